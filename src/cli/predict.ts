import { loadModel, writeFileAtomically } from "../../runtime/files.js";
import { tf, type BackendChoice, type Model } from "../../runtime/index.js";
import { loadFeatures, type Features } from "../data/index.js";
import type { CliIo } from "./main.js";
import { reported, runDatasets, runReport, shapeOf } from "./run-data.js";

export interface PredictArguments {
  readonly run: string;
  readonly data: string;
  readonly out?: string;
  readonly backend: BackendChoice;
}

/**
 * `dsc predict RUN --data FILE [-o OUT.csv]`: the saved run's outputs for every
 * sample of FILE, in the file's order, as CSV — for a classifier the
 * predicted class and each class's probability (softmax of the logits), for
 * regression the outputs. To OUT.csv (written whole or not at all) or stdout.
 */
export async function predictCommand(args: PredictArguments, io: CliIo): Promise<number> {
  const model = await loadModel(args.run, { backend: args.backend });
  try {
    const samples = await reported(io, async () => loadFeatures(args.data, shapeOf(model), { datasets: await runDatasets(args.run) }));
    if (samples === undefined) return 1;
    // A run trained on classes reports a held-out accuracy; one on targets reports null. Without a report, outputs are written as they are.
    const classifier = (await runReport(args.run))?.testAccuracy != null;
    const csv = predictionsCsv(model, samples, classifier);
    if (args.out === undefined) {
      io.out(csv.trimEnd());
      return 0;
    }
    await writeFileAtomically(args.out, csv);
    io.out(`${model.name} (${args.run}) on ${samples.description}: ${samples.size.toLocaleString("en-US")} predictions written to ${args.out}`);
    return 0;
  } finally {
    model.dispose();
  }
}

export function predictionsCsv(model: Model, samples: Features, classes: boolean): string {
  const x = tf.tensor2d(samples.features, [samples.size, samples.featureSize]);
  const outputs = model.outputShape[0]!;
  let values: Float32Array;
  try {
    values = tf.tidy(() => {
      const logits = model.predictBatches(x);
      return (classes ? tf.softmax(logits) : logits).dataSync() as Float32Array;
    });
  } finally {
    x.dispose();
  }
  const number = (v: number): string => String(Number(v.toPrecision(7)));
  const header = classes ? ["class", ...Array.from({ length: outputs }, (_, i) => `p${i}`)] : Array.from({ length: outputs }, (_, i) => `y${i}`);
  const lines = [header.join(",")];
  for (let r = 0; r < samples.size; r++) {
    const row = Array.from(values.subarray(r * outputs, (r + 1) * outputs));
    const best = row.reduce((b, v, i) => (v > row[b]! ? i : b), 0);
    lines.push((classes ? [String(best), ...row.map(number)] : row.map(number)).join(","));
  }
  return `${lines.join("\n")}\n`;
}
