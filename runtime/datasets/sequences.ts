/**
 * Sequence tasks for recurrent networks, seeded. deepstruct's "learn the
 * start symbol": a sequence s, s+1, s+2, … of random length, padded with
 * zeros to `steps`, labelled with its first symbol s — the network has to
 * keep s in its state through the whole sequence, padding included.
 */
import { createRandom } from "../random.js";
import { requireInteger, type Dataset } from "./dataset.js";

export interface StartSymbolOptions {
  /** Default 2000. */
  readonly samples?: number;
  /** Symbols s in [0, classes), each a class (default 10). */
  readonly classes?: number;
  /** Padded length; each sequence's own length is uniform in [1, steps] (default 20). */
  readonly steps?: number;
  readonly seed?: number;
}

/** Samples [steps, 1] (one value per step, row-major `features`), class s. */
export function startSymbol(options: StartSymbolOptions = {}): Dataset {
  const samples = requireInteger("samples", options.samples ?? 2000, 1);
  const classes = requireInteger("classes", options.classes ?? 10, 2);
  const steps = requireInteger("steps", options.steps ?? 20, 1);
  const random = createRandom(options.seed ?? 0);
  const features = new Float32Array(samples * steps);
  const labels = new Int32Array(samples);
  for (let i = 0; i < samples; i++) {
    const symbol = random.int(classes);
    const length = 1 + random.int(steps);
    for (let t = 0; t < length; t++) features[i * steps + t] = symbol + t;
    labels[i] = symbol;
  }
  return { size: samples, featureSize: steps, features, labels: { kind: "classes", classes: labels } };
}
