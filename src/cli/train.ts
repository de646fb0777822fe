import { readdir, readFile, realpath } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  createNetwork,
  DEFAULT_LEARNING_RATE,
  tf,
  toTensors,
  type EpochLogs,
  type Evaluation,
  type FitOptions,
  type History,
  type Model,
  type TrainingCallbacks,
  type TrainingState,
} from "../../runtime/index.js";
import { loadModel, loadTrainingState, saveTrainingState, saveWeights, writeFileAtomically } from "../../runtime/files.js";
import { formatDiagnostic } from "../diagnostics/format.js";
import { targetMeans, type Dataset } from "../data/index.js";
import { analyze, networkSpec, type KernelPlan } from "../index.js";
import { historySvg } from "./history-svg.js";
import { RESTORE_TERMINAL, watchInterrupt } from "./interrupt.js";
import type { CliIo } from "./main.js";
import { readData, type Split } from "./run-data.js";
import { readSource } from "./read-source.js";
import { claimRunFolder, type RunFolder } from "./run-folder.js";
import { fitSettings, type RunSettings, type TrainArguments } from "./train-arguments.js";
import { count, epochPrinter, kindShares, progressBar, summary } from "./train-output.js";
import { UsageError } from "./usage.js";

export type { TrainArguments } from "./train-arguments.js";

/** What `report.json` holds: enough to compare runs, to reproduce one, and to resume it. */
export interface TrainingReport {
  readonly network: string;
  readonly source: string;
  readonly data: string;
  readonly trainSamples: number;
  readonly testSamples: number;
  /** Epochs completed. */
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: RunSettings["optimizer"];
  /** The learning rate the optimizer started from (the default when none was given). */
  readonly learningRate: number;
  readonly seed: number;
  readonly backend: string;
  readonly testLoss: number;
  /** In [0, 1]; null for regression targets. */
  readonly testAccuracy: number | null;
  readonly trainSeconds: number;
  readonly liveConnections: number;
  readonly totalConnections: number;
  readonly sparsity: number;
  /** Ctrl-C ended the run; the folder holds the last completed epoch. */
  readonly interrupted: boolean;
  readonly stopReason: History["stopReason"] | null;
  /** The command line's settings, which `--resume` continues with. */
  readonly settings: RunSettings;
  readonly history: readonly EpochLogs[];
}

/** Files of a run folder that describe its training rather than its model. */
const DESCRIPTIONS = ["report.json", "history.svg"];

/**
 * `dsc train FILE --data … --epochs N …`, or `dsc train --resume RUN`:
 * compiles the network in memory (or reloads the run), trains it, prints a
 * line per epoch and a summary, and after every epoch replaces the run folder
 * as a whole with the weights, the training state, report.json and
 * history.svg of that epoch.
 */
export async function trainCommand(args: TrainArguments, io: CliIo): Promise<number> {
  const resumed = args.resume === undefined ? undefined : await readRun(args.resume);
  const settings = resumed === undefined ? args.settings! : resumedSettings(resumed.report.settings, args);
  const source = await readSource(settings.file, io);
  if (source === undefined) return 1;
  const analyzed = analyze(source, { fileName: settings.file, ...(settings.limits === undefined ? {} : { limits: settings.limits }) });
  for (const d of analyzed.diagnostics) io.err(formatDiagnostic(d, source));
  if (analyzed.plans === undefined) return 1;
  const plan = choosePlan(analyzed.plans, settings);
  const folder = await claimRunFolder({
    ...(args.out === undefined ? (args.resume === undefined ? {} : { out: args.resume }) : { out: args.out }),
    fallback: join("runs", plan.network.name),
    force: args.force,
    ...(args.resume === undefined ? {} : { resuming: args.resume }),
  });
  const model =
    resumed === undefined
      ? await createNetwork(networkSpec(plan), { seed: settings.seed, backend: settings.backend })
      : await loadModel(args.resume!, { backend: settings.backend });
  try {
    const split = await readData(settings.data, model, io, analyzed.datasets ?? []);
    if (split === undefined) return 1;
    if (resumed === undefined) startAtTargetMeans(model, split.train);
    return await run({ settings, model, split, folder, io, progress: args.progress, ...(resumed === undefined ? {} : { resume: resumed.state }) });
  } finally {
    model.dispose();
  }
}

/** ` (conv 2,000 + dense 10,345)` for a model with several kinds of prunable weight, nothing for one. */
function sharesText(model: Model): string {
  const shares = kindShares(model.liveConnectionsByKind());
  return shares === undefined ? "" : ` (${shares})`;
}

interface Run {
  readonly settings: RunSettings;
  readonly model: Model;
  readonly split: Split;
  readonly folder: RunFolder;
  readonly io: CliIo;
  readonly progress: boolean;
  readonly resume?: TrainingState;
}

async function run(r: Run): Promise<number> {
  const train = toTensors(r.split.train);
  const test = toTensors(r.split.test);
  try {
    return await trainOn(r, train, test);
  } finally {
    tf.dispose([train.x, train.y, test.x, test.y]);
  }
}

type Tensors = ReturnType<typeof toTensors>;

async function trainOn({ settings, model, split, folder, io, progress, resume }: Run, train: Tensors, test: Tensors): Promise<number> {
  const loss = split.train.labels.kind === "classes" ? "crossEntropy" : "mse";
  const bar = progress && process.stderr.isTTY ? progressBar(process.stderr) : undefined;
  const interrupt = watchInterrupt(
    (text) => io.err(text),
    () => {
      bar?.close();
      if (process.stderr.isTTY) process.stderr.write(RESTORE_TERMINAL);
    },
  );
  io.out(
    `${model.name} on ${split.description}: ${count(split.train.size)} training and ${count(split.test.size)} held-out samples, ` +
      `backend ${model.backend}, seed ${settings.seed}, ${count(model.liveConnections())} live connections${sharesText(model)}` +
      (resume === undefined ? "" : `; resuming after epoch ${resume.epochsCompleted}`),
  );
  const started = performance.now();
  const reportOf = (history: readonly EpochLogs[], interrupted: boolean, stopReason: History["stopReason"] | null, fresh = false): TrainingReport => {
    const evaluation = (!fresh && heldOutOfLastEpoch(history, settings, split.test.size)) || model.evaluate(test, { loss });
    const live = model.liveConnections();
    const total = model.totalConnections();
    return {
      network: model.name,
      source: settings.file,
      data: settings.data,
      trainSamples: split.train.size,
      testSamples: split.test.size,
      epochs: history.length,
      batchSize: settings.batchSize,
      optimizer: settings.optimizer,
      learningRate: settings.learningRate ?? DEFAULT_LEARNING_RATE[settings.optimizer],
      seed: settings.seed,
      backend: model.backend,
      testLoss: evaluation.loss,
      testAccuracy: evaluation.accuracy ?? null,
      trainSeconds: history.reduce((s, e) => s + e.seconds, 0),
      liveConnections: live,
      totalConnections: total,
      sparsity: total === 0 ? 0 : 1 - live / total,
      interrupted,
      stopReason,
      settings: portable(settings),
      history,
    };
  };
  let last: TrainingReport | undefined;
  const checkpoint = async (state: TrainingState): Promise<void> => {
    const report = reportOf(state.history, false, state.stopReason ?? null);
    await folder.commit(async (dir) => {
      await saveWeights(model, dir);
      await saveTrainingState(dir, state);
      await writeDescriptions(dir, report);
    });
    last = report;
  };
  const callbacks: TrainingCallbacks[] = [...(bar === undefined ? [] : [bar.callbacks]), epochPrinter(settings.epochs, io), interrupt.callbacks];
  let history: History;
  try {
    history = await model.fit(train, { ...fitSettings(settings, loss, test), callbacks, checkpoint, ...(resume === undefined ? {} : { resume }) } satisfies FitOptions);
  } catch (error) {
    io.err(`dsc: ${(error as Error).message}${last === undefined ? "" : `; ${folder.path} keeps epoch ${last.epochs}`}`);
    return 1;
  } finally {
    bar?.stop();
    interrupt.dispose();
  }
  if (interrupt.requested) return await markInterrupted(folder, last, io);
  if (history.earlyStopping?.restored === true) {
    // The best epoch's weights are back in the model; the folder is to hold them, not the last epoch's.
    const report = reportOf(history.epochs, false, history.stopReason ?? null, true);
    const keep = (await readdir((await folder.current())!)).filter((n) => !n.startsWith("weights-") && n !== "model.json" && !DESCRIPTIONS.includes(n));
    await folder.commit(async (dir) => {
      await saveWeights(model, dir);
      await writeDescriptions(dir, report);
    }, keep);
    last = report;
  }
  if (last === undefined) throw new Error("training ended without a completed epoch");
  io.out(summary({ ...last, trainSeconds: (performance.now() - started) / 1000 }, folder.path));
  return 0;
}

/**
 * Regression targets far from zero (the landscape's lie around 30) would cost
 * most of a run's steps just moving the output there; starting each output's
 * bias at its training targets' mean is the same as training on centred
 * targets, and the model still predicts in the data's own units.
 */
function startAtTargetMeans(model: Model, data: Dataset): void {
  const means = targetMeans(data);
  if (means !== undefined) model.setBias(model.layers.at(-1)!.name, means);
}

/**
 * The held-out score of the weights as the last epoch left them: fit already
 * evaluated them on the held-out part (its validation data, unless a split of
 * the training data took that role), in the same batches `evaluate` uses.
 */
function heldOutOfLastEpoch(history: readonly EpochLogs[], settings: RunSettings, samples: number): Evaluation | undefined {
  const last = history.at(-1);
  if (last?.valLoss === undefined || settings.validationSplit !== undefined) return undefined;
  return { loss: last.valLoss, ...(last.valAccuracy === undefined ? {} : { accuracy: last.valAccuracy }), samples };
}

/** After Ctrl-C: the folder keeps the last completed epoch, and its report says the run was interrupted. */
async function markInterrupted(folder: RunFolder, last: TrainingReport | undefined, io: CliIo): Promise<number> {
  if (last === undefined) {
    io.err("dsc: interrupted before the first epoch ended; nothing was written");
    return 130;
  }
  const report: TrainingReport = { ...last, interrupted: true };
  const keep = (await readdir((await folder.current())!)).filter((n) => !DESCRIPTIONS.includes(n));
  await folder.commit((dir) => writeDescriptions(dir, report), keep);
  io.out(summary(report, folder.path));
  io.err(`dsc: continue with: dsc train --resume ${folder.path}`);
  return 130;
}

async function writeDescriptions(dir: string, report: TrainingReport): Promise<void> {
  await writeFileAtomically(join(dir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  const title = `${report.network} on ${report.data}`;
  await writeFileAtomically(join(dir, "history.svg"), historySvg(title, report.history, report.testAccuracy === null ? "loss (mse)" : "loss (cross-entropy)"));
}

async function readRun(dir: string): Promise<{ report: TrainingReport; state: TrainingState }> {
  const where = await realpath(dir).catch(() => {
    throw new UsageError(`--resume ${dir}: no such folder`);
  });
  const text = await readFile(join(where, "report.json"), "utf8").catch(() => {
    throw new UsageError(`--resume ${dir}: there is no report.json; it is not a run folder of dsc train`);
  });
  const report = JSON.parse(text) as TrainingReport;
  if (report.settings === undefined) throw new UsageError(`--resume ${dir}: its report.json was written by an older dsc and cannot be resumed`);
  return { report, state: await loadTrainingState(dir) };
}

/** Settings with their files as absolute paths, so `--resume`, `dsc evaluate` and `dsc predict` find them from any working directory. */
function portable(settings: RunSettings): RunSettings {
  const data = existsSync(settings.data) ? resolve(settings.data) : settings.data;
  return { ...settings, file: resolve(settings.file), data };
}

/** A resumed run keeps its settings; only the length of the run may change. */
function resumedSettings(saved: RunSettings, args: TrainArguments): RunSettings {
  if (args.given.length > 0) {
    throw new UsageError(`--resume continues a run with its own settings; ${args.given.map((o) => `--${o}`).join(", ")} cannot be changed (only --epochs)`);
  }
  return args.epochs === undefined ? saved : { ...saved, epochs: args.epochs };
}

function choosePlan(plans: readonly KernelPlan[], settings: RunSettings): KernelPlan {
  const names = plans.map((plan) => plan.network.name);
  const plan = settings.network === undefined && names.length === 1 ? plans[0] : plans.find((p) => p.network.name === settings.network);
  if (plan !== undefined) return plan;
  const known = names.map((n) => `'${n}'`).join(", ") || "none";
  throw new UsageError(
    settings.network === undefined
      ? `${settings.file} declares several networks (${known}); choose one with --network`
      : `${settings.file} has no network '${settings.network}'; its networks are ${known}`,
  );
}
