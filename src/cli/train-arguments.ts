import { parseArgs } from "node:util";
import type { BackendChoice, EarlyStoppingOptions, FitOptions, LearningRateSchedule, LossName, OptimizerName, TrainingData } from "../../runtime/index.js";
import type { Limits } from "../index.js";
import { backendOption } from "./backend-option.js";
import { limitsOption } from "./limits-option.js";
import { UsageError } from "./usage.js";

/** How a run trains: what report.json keeps, so `--resume` continues with the same. */
export interface RunSettings {
  readonly file: string;
  readonly network?: string;
  readonly data: string;
  readonly epochs: number;
  readonly seed: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerName;
  readonly learningRate?: number;
  readonly schedule?: LearningRateSchedule;
  readonly weightDecay?: number;
  readonly l2?: number;
  readonly clipNorm?: number;
  readonly clipValue?: number;
  readonly earlyStopping?: EarlyStoppingOptions;
  readonly validationSplit?: number;
  readonly backend: BackendChoice;
  /** `--limit KEY=N`: compiler limits the file is compiled under. */
  readonly limits?: Partial<Limits>;
}

export interface TrainArguments {
  /** Absent with `--resume`, whose run brings its own. */
  readonly settings?: RunSettings;
  readonly resume?: string;
  readonly out?: string;
  /** `--force`: replace another run in `--out`. */
  readonly force: boolean;
  /** Draw a progress bar on stderr (only ever on a terminal). */
  readonly progress: boolean;
  /** `--epochs` as given (with `--resume`, a new length for the run). */
  readonly epochs?: number;
  /** Settings given on the command line besides `--epochs` (which `--resume` refuses). */
  readonly given: readonly string[];
}

const SETTING_OPTIONS = {
  network: { type: "string" },
  data: { type: "string" },
  seed: { type: "string" },
  "batch-size": { type: "string" },
  optimizer: { type: "string" },
  lr: { type: "string" },
  "lr-schedule": { type: "string" },
  warmup: { type: "string" },
  "weight-decay": { type: "string" },
  l2: { type: "string" },
  "clip-norm": { type: "string" },
  "clip-value": { type: "string" },
  "early-stopping": { type: "string" },
  "restore-best": { type: "boolean" },
  "validation-split": { type: "string" },
  backend: { type: "string" },
} as const;

/** Reads `dsc train`'s command line; every wrong value is a UsageError that names the option. */
export function trainArguments(argv: readonly string[]): TrainArguments {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      ...SETTING_OPTIONS,
      epochs: { type: "string" },
      out: { type: "string", short: "o" },
      force: { type: "boolean" },
      resume: { type: "string" },
      "no-progress": { type: "boolean" },
      limit: { type: "string", multiple: true },
    },
    allowPositionals: true,
  });
  const common = {
    ...(values.out === undefined ? {} : { out: values.out }),
    force: values.force === true,
    progress: values["no-progress"] !== true,
    ...(values.epochs === undefined ? {} : { epochs: integer("--epochs", values.epochs, 1) }),
    given: [...Object.keys(SETTING_OPTIONS), "limit"].filter((o) => (values as Record<string, unknown>)[o] !== undefined),
  };
  if (values.resume !== undefined) {
    if (positionals.length > 0) throw new UsageError("train --resume RUN takes no .ds file: the run names its own");
    return { ...common, resume: values.resume };
  }
  if (positionals.length !== 1) throw new UsageError(`train needs exactly one .ds file, got ${positionals.length}`);
  if (values.data === undefined)
    throw new UsageError("train needs --data mnist, --data start-symbol, --data adding, --data FILE (.csv or .json) or --data NAME (a data declaration of the file)");
  if (common.epochs === undefined) throw new UsageError("train needs --epochs N");
  const limits = limitsOption(values.limit);
  return { ...common, settings: { ...runSettings(positionals[0]!, values.data, common.epochs, values), ...(Object.keys(limits).length === 0 ? {} : { limits }) } };
}

type Values = { readonly [K in keyof typeof SETTING_OPTIONS]?: (typeof SETTING_OPTIONS)[K]["type"] extends "boolean" ? boolean : string };

function runSettings(file: string, data: string, epochs: number, values: Values): RunSettings {
  const optional = <T>(key: string, value: T | undefined): { [k: string]: T } => (value === undefined ? {} : { [key]: value });
  const number = (option: keyof Values, read: (o: string, t: string) => number): number | undefined => {
    const text = values[option];
    return typeof text === "string" ? read(`--${option}`, text) : undefined;
  };
  const patience = number("early-stopping", (o, t) => integer(o, t, 0));
  return {
    file,
    ...optional("network", values.network),
    data,
    epochs,
    seed: number("seed", (o, t) => integer(o, t, 0)) ?? 0,
    batchSize: number("batch-size", (o, t) => integer(o, t, 1)) ?? 32,
    optimizer: oneOf("--optimizer", values.optimizer ?? "adam", ["adam", "sgd"] as const),
    ...optional("learningRate", number("lr", positive)),
    ...optional(
      "schedule",
      schedule(
        values["lr-schedule"],
        number("warmup", (o, t) => integer(o, t, 1)),
      ),
    ),
    ...optional("weightDecay", number("weight-decay", nonNegative)),
    ...optional("l2", number("l2", nonNegative)),
    ...optional("clipNorm", number("clip-norm", positive)),
    ...optional("clipValue", number("clip-value", positive)),
    ...optional("earlyStopping", patience === undefined ? undefined : { patience, restoreBest: values["restore-best"] === true }),
    ...optional("validationSplit", number("validation-split", fraction)),
    backend: backendOption(values.backend),
  };
}

/** `--lr-schedule constant | step:EVERY:FACTOR | cosine[:MINIMUM]`, with `--warmup EPOCHS`. */
function schedule(text: string | undefined, warmupEpochs: number | undefined): LearningRateSchedule | undefined {
  if (text === undefined && warmupEpochs === undefined) return undefined;
  const warmup = warmupEpochs === undefined ? {} : { warmupEpochs };
  const [kind, ...parts] = (text ?? "constant").split(":");
  const bad = (): never => {
    throw new UsageError(`--lr-schedule must be constant, step:EVERY:FACTOR (e.g. step:10:0.5) or cosine[:MINIMUM], got '${text}'`);
  };
  if (kind === "constant" && parts.length === 0) return { kind, ...warmup };
  if (kind === "step" && parts.length === 2)
    return { kind, every: integer("--lr-schedule step's EVERY", parts[0]!, 1), factor: positive("--lr-schedule step's FACTOR", parts[1]!), ...warmup };
  if (kind === "cosine" && parts.length <= 1) return { kind, ...(parts.length === 1 ? { minimum: nonNegative("--lr-schedule cosine's MINIMUM", parts[0]!) } : {}), ...warmup };
  return bad();
}

/** The options of `fit` a run's settings give, with the held-out data to validate on unless a split of the training data is asked for. */
export function fitSettings(settings: RunSettings, loss: LossName, heldOut: TrainingData): FitOptions {
  return {
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    optimizer: settings.learningRate === undefined ? settings.optimizer : { kind: settings.optimizer, learningRate: settings.learningRate },
    loss,
    seed: settings.seed,
    ...(settings.validationSplit === undefined ? { validationData: heldOut } : { validationSplit: settings.validationSplit }),
    ...(settings.schedule === undefined ? {} : { learningRate: settings.schedule }),
    ...(settings.weightDecay === undefined ? {} : { weightDecay: settings.weightDecay }),
    ...(settings.l2 === undefined ? {} : { l2: settings.l2 }),
    ...(settings.clipNorm === undefined ? {} : { clipNorm: settings.clipNorm }),
    ...(settings.clipValue === undefined ? {} : { clipValue: settings.clipValue }),
    ...(settings.earlyStopping === undefined ? {} : { earlyStopping: settings.earlyStopping }),
  };
}

function integer(option: string, text: string, min: number): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value) || value < min) throw new UsageError(`${option} must be an integer ≥ ${min}, got '${text}'`);
  return value;
}

function positive(option: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) throw new UsageError(`${option} must be a positive number, got '${text}'`);
  return value;
}

function nonNegative(option: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0) throw new UsageError(`${option} must be a number ≥ 0, got '${text}'`);
  return value;
}

function fraction(option: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !(value > 0 && value < 1)) throw new UsageError(`${option} must be a number between 0 and 1, got '${text}'`);
  return value;
}

function oneOf<T extends string>(option: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`${option} must be ${allowed.map((a) => `'${a}'`).join(" or ")}, got '${text}'`);
  }
  return text as T;
}
