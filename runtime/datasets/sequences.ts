/**
 * Sequence tasks for recurrent networks, seeded, and the layout every
 * sequence sample has: `steps` rows of `features` values, step-major
 * (`[t · width + f]`), padded with zeros after its own length; with `flags`
 * each row has one more value, last, 1 for a real step and 0 for padding —
 * what a `padded=true` recurrent stack reads as the sample's length.
 *
 * - deepstruct's "learn the start symbol": a sequence s, s+1, s+2, … of
 *   random length, labelled with its first symbol s — the network has to keep
 *   s in its state through the whole sequence.
 * - the adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015): each
 *   step a value uniform in [0, 1) and a marker, 1 at exactly two steps (one
 *   in each half of the sequence) and 0 elsewhere; the target is the sum of
 *   the two marked values. Always predicting 1 has a mean squared error of
 *   1/6 (the variance of that sum), the bar a network must get under.
 */
import { createRandom } from "../random.js";
import { requireInteger, type Dataset } from "./dataset.js";

/** Where one sample's values go: its own length (≤ steps), written step-major, the flag last in each row when `flags`. */
export interface SequenceLayout {
  readonly steps: number;
  readonly features: number;
  readonly flags: boolean;
}

/** Values per sample: steps × (features, plus the flag). */
export function sequenceWidth(layout: SequenceLayout): number {
  return layout.steps * (layout.features + (layout.flags ? 1 : 0));
}

/** Writes sample `sample` of `length` steps into `target`, `value(t, f)` for its real steps; padding stays 0 (flag included). */
export function writeSequence(target: Float32Array, sample: number, length: number, layout: SequenceLayout, value: (t: number, f: number) => number): void {
  const row = layout.features + (layout.flags ? 1 : 0);
  const base = sample * layout.steps * row;
  for (let t = 0; t < length; t++) {
    for (let f = 0; f < layout.features; f++) target[base + t * row + f] = value(t, f);
    if (layout.flags) target[base + t * row + layout.features] = 1;
  }
}

export interface StartSymbolOptions {
  /** Default 2000. */
  readonly samples?: number;
  /** Symbols s in [0, classes), each a class (default 10). */
  readonly classes?: number;
  /** Padded length; each sequence's own length is uniform in [1, steps] (default 20). */
  readonly steps?: number;
  readonly seed?: number;
  /** A real-step flag after each step's symbol (default false): input [steps, 2] for a `padded=true` stack. */
  readonly flags?: boolean;
}

/** Samples [steps, 1] (one value per step, row-major `features`), or [steps, 2] with `flags`; class s. */
export function startSymbol(options: StartSymbolOptions = {}): Dataset {
  const samples = requireInteger("samples", options.samples ?? 2000, 1);
  const classes = requireInteger("classes", options.classes ?? 10, 2);
  const layout = { steps: requireInteger("steps", options.steps ?? 20, 1), features: 1, flags: options.flags === true };
  const random = createRandom(options.seed ?? 0);
  const features = new Float32Array(samples * sequenceWidth(layout));
  const labels = new Int32Array(samples);
  for (let i = 0; i < samples; i++) {
    const symbol = random.int(classes);
    const length = 1 + random.int(layout.steps);
    writeSequence(features, i, length, layout, (t) => symbol + t);
    labels[i] = symbol;
  }
  return { size: samples, featureSize: sequenceWidth(layout), features, labels: { kind: "classes", classes: labels } };
}

export interface AddingOptions {
  /** Default 2000. */
  readonly samples?: number;
  /** Sequence length, at least 2 (default 20). */
  readonly steps?: number;
  readonly seed?: number;
  /** A real-step flag after each step (default false; every step is real): input [steps, 3] for a `padded=true` stack. */
  readonly flags?: boolean;
}

/** Samples [steps, 2] (value, marker), or [steps, 3] with `flags`; one target, the sum of the two marked values. */
export function adding(options: AddingOptions = {}): Dataset {
  const samples = requireInteger("samples", options.samples ?? 2000, 1);
  const layout = { steps: requireInteger("steps", options.steps ?? 20, 2), features: 2, flags: options.flags === true };
  const random = createRandom(options.seed ?? 0);
  const features = new Float32Array(samples * sequenceWidth(layout));
  const targets = new Float32Array(samples);
  const half = Math.floor(layout.steps / 2);
  const values = new Float32Array(layout.steps);
  for (let i = 0; i < samples; i++) {
    for (let t = 0; t < layout.steps; t++) values[t] = random.uniform(0, 1);
    const first = random.int(half);
    const second = half + random.int(layout.steps - half);
    writeSequence(features, i, layout.steps, layout, (t, f) => (f === 0 ? values[t]! : t === first || t === second ? 1 : 0));
    targets[i] = values[first]! + values[second]!;
  }
  return { size: samples, featureSize: sequenceWidth(layout), features, labels: { kind: "targets", width: 1, values: targets } };
}
