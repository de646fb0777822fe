import { loadModel } from "../../runtime/files.js";
import { tf, toTensors, type BackendChoice, type Evaluation, type Model } from "../../runtime/index.js";
import type { Dataset } from "../data/index.js";
import type { CliIo } from "./main.js";
import { readData, runDatasets } from "./run-data.js";
import { count, percent } from "./train-output.js";

export interface EvaluateArguments {
  readonly run: string;
  readonly data: string;
  readonly backend: BackendChoice;
}

/**
 * `dsc evaluate RUN --data SOURCE`: the loss (and accuracy, for classes) of a
 * saved run on a dataset, split as `dsc train` splits it — the part it
 * trained on and the part it held out, each reported on its own.
 */
export async function evaluateCommand(args: EvaluateArguments, io: CliIo): Promise<number> {
  const model = await loadModel(args.run, { backend: args.backend });
  try {
    const split = await readData(args.data, model, io, await runDatasets(args.run));
    if (split === undefined) return 1;
    io.out(`${model.name} (${args.run}) on ${split.description}, backend ${model.backend}`);
    io.out(`  held-out:  ${line(evaluateOn(model, split.test))}`);
    io.out(`  training:  ${line(evaluateOn(model, split.train))}`);
    return 0;
  } finally {
    model.dispose();
  }
}

function evaluateOn(model: Model, data: Dataset): Evaluation {
  const tensors = toTensors(data);
  try {
    return model.evaluate(tensors, { loss: data.labels.kind === "classes" ? "crossEntropy" : "mse" });
  } finally {
    tf.dispose([tensors.x, tensors.y]);
  }
}

function line(e: Evaluation): string {
  const score = e.accuracy === undefined ? `mse ${e.loss.toFixed(4)}` : `accuracy ${percent(e.accuracy)}  loss ${e.loss.toFixed(4)}`;
  return `${score}  (${count(e.samples)} samples)`;
}
