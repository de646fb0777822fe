import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { createNetwork, tf, type BackendChoice, type EpochLogs, type Model, type OptimizerName, type TrainingCallbacks } from "../../runtime/index.js";
import { saveWeights, writeFileAtomically } from "../../runtime/files.js";
import { DataError, loadData, type Dataset } from "../data/index.js";
import { formatDiagnostic } from "../diagnostics/format.js";
import { analyze, networkSpec } from "../index.js";
import type { CliIo } from "./main.js";
import { UsageError } from "./usage.js";

export interface TrainArguments {
  readonly file: string;
  readonly network?: string;
  readonly data: string;
  readonly epochs: number;
  readonly seed: number;
  readonly out?: string;
  readonly batchSize: number;
  readonly optimizer: OptimizerName;
  readonly learningRate?: number;
  readonly backend: BackendChoice;
  /** Draw a progress bar on stderr (only ever on a terminal). */
  readonly progress: boolean;
}

/** What `report.json` holds: enough to compare runs and to reproduce one. */
export interface TrainingReport {
  readonly network: string;
  readonly source: string;
  readonly data: string;
  readonly trainSamples: number;
  readonly testSamples: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerName;
  readonly learningRate: number | null;
  readonly seed: number;
  readonly backend: string;
  readonly testLoss: number;
  /** In [0, 1]; null for regression targets. */
  readonly testAccuracy: number | null;
  readonly trainSeconds: number;
  readonly liveConnections: number;
  readonly totalConnections: number;
  readonly sparsity: number;
  readonly history: readonly EpochLogs[];
}

/**
 * `dsc train FILE --network NAME --data mnist|FILE --epochs N ...`: compiles
 * the network in memory, trains it, prints one line per epoch and a summary,
 * and writes the weights and `report.json` to the output folder.
 */
export async function trainCommand(args: TrainArguments, io: CliIo): Promise<number> {
  const source = await readSource(args.file, io);
  if (source === undefined) return 1;
  const analyzed = analyze(source, { fileName: args.file });
  for (const d of analyzed.diagnostics) io.err(formatDiagnostic(d, source));
  if (analyzed.plans === undefined) return 1;
  const names = analyzed.plans.map((plan) => plan.network.name);
  const plan = args.network === undefined && names.length === 1 ? analyzed.plans[0]! : analyzed.plans.find((p) => p.network.name === args.network);
  if (plan === undefined) {
    const known = names.map((n) => `'${n}'`).join(", ") || "none";
    throw new UsageError(
      args.network === undefined
        ? `${args.file} declares several networks (${known}); choose one with --network`
        : `${args.file} has no network '${args.network}'; its networks are ${known}`,
    );
  }

  const model = await createNetwork(networkSpec(plan), { seed: args.seed, backend: args.backend });
  const inputSize = model.inputShape.reduce((a, b) => a * b, 1);
  let split: Awaited<ReturnType<typeof loadData>>;
  try {
    split = await loadData(args.data, { inputSize, outputSize: model.outputShape[0]! });
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    io.err(error.format());
    model.dispose();
    return 1;
  }

  const classes = split.train.labels.kind === "classes";
  const loss = classes ? "crossEntropy" : "mse";
  const train = toTensors(split.train);
  const test = toTensors(split.test);
  io.out(
    `${model.name} on ${split.description}: ${split.train.size.toLocaleString("en-US")} training and ${split.test.size.toLocaleString("en-US")} held-out samples, ` +
      `backend ${model.backend}, seed ${args.seed}, ${model.liveConnections().toLocaleString("en-US")} live connections`,
  );
  const started = performance.now();
  const history = await model.fit(train, {
    epochs: args.epochs,
    batchSize: args.batchSize,
    optimizer: args.learningRate === undefined ? args.optimizer : { kind: args.optimizer, learningRate: args.learningRate },
    loss,
    seed: args.seed,
    validationData: test,
    callbacks: [epochPrinter(args.epochs, io), ...(args.progress && process.stderr.isTTY ? [progressBar()] : [])],
  });
  const trainSeconds = (performance.now() - started) / 1000;
  const evaluation = model.evaluate(test, { loss });

  const out = args.out ?? join("runs", model.name);
  await mkdir(out, { recursive: true });
  await saveWeights(model, out);
  const live = model.liveConnections();
  const total = model.totalConnections();
  const report: TrainingReport = {
    network: model.name,
    source: args.file,
    data: args.data,
    trainSamples: split.train.size,
    testSamples: split.test.size,
    epochs: history.epochs.length,
    batchSize: args.batchSize,
    optimizer: args.optimizer,
    learningRate: args.learningRate ?? null,
    seed: args.seed,
    backend: model.backend,
    testLoss: evaluation.loss,
    testAccuracy: evaluation.accuracy ?? null,
    trainSeconds,
    liveConnections: live,
    totalConnections: total,
    sparsity: total === 0 ? 0 : 1 - live / total,
    history: history.epochs,
  };
  await writeFileAtomically(join(out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  io.out(summary(report, out));
  tf.dispose([train.x, train.y, test.x, test.y]);
  model.dispose();
  return 0;
}

async function readSource(file: string, io: CliIo): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    io.err(`dsc: cannot read ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
    return undefined;
  }
}

function toTensors(data: Dataset): { x: tf.Tensor2D; y: tf.Tensor } {
  const x = tf.tensor2d(data.features, [data.size, data.featureSize]);
  const y = data.labels.kind === "classes" ? tf.tensor1d(data.labels.classes, "int32") : tf.tensor2d(data.labels.values, [data.size, data.labels.width]);
  return { x, y };
}

const percent = (v: number | undefined): string => (v === undefined ? "—" : `${(v * 100).toFixed(2)}%`);
const count = (v: number): string => v.toLocaleString("en-US");

function epochPrinter(epochs: number, io: CliIo): TrainingCallbacks {
  return {
    onEpochEnd: (logs) => {
      io.out(
        `epoch ${logs.epoch}/${epochs}  loss ${logs.loss.toFixed(4)}  accuracy ${percent(logs.accuracy)}  ` +
          `held-out ${percent(logs.valAccuracy)}  live ${count(logs.liveConnections)} (sparsity ${percent(logs.sparsity)})` +
          `${logs.pruned > 0 ? `, ${count(logs.pruned)} pruned` : ""}` +
          `${logs.regrown > 0 ? `, ${count(logs.dropped)} dropped and regrown` : ""}  ${logs.seconds.toFixed(1)} s`,
      );
    },
  };
}

/** A bar per epoch on stderr, so stdout stays a clean log when redirected. */
function progressBar(): TrainingCallbacks {
  const bar = new cliProgress.SingleBar(
    { format: "  epoch {epoch} [{bar}] {value}/{total} batches  loss {loss}", stream: process.stderr, clearOnComplete: true, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onTrainBegin: () => undefined,
    onEpochBegin: () => {
      started = false;
    },
    onBatchEnd: (logs) => {
      if (!started) {
        bar.start(logs.batches, 0, { epoch: logs.epoch, loss: "…" });
        started = true;
      }
      bar.update(logs.batch, { loss: logs.loss.toFixed(4) });
    },
    onEpochEnd: () => {
      if (started) bar.stop();
    },
  };
}

function summary(report: TrainingReport, out: string): string {
  const rows = report.history.map(
    (e) =>
      `| ${e.epoch} | ${e.loss.toFixed(4)} | ${percent(e.accuracy)} | ${percent(e.valAccuracy)} | ${count(e.liveConnections)} | ${percent(e.sparsity)} | ${e.seconds.toFixed(1)} |`,
  );
  return [
    "",
    "| epoch | loss | accuracy | held-out accuracy | live connections | sparsity | seconds |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    `${report.network}: held-out accuracy ${percent(report.testAccuracy ?? undefined)} (loss ${report.testLoss.toFixed(4)}) on ${count(report.testSamples)} samples, ` +
      `${count(report.liveConnections)} of ${count(report.totalConnections)} connections live, trained in ${report.trainSeconds.toFixed(1)} s`,
    `weights: ${join(out, "model.json")} and the weight file it names; report: ${join(out, "report.json")}`,
  ].join("\n");
}
