import { parseArgs } from "node:util";
import type { BackendChoice, OptimizerName } from "../../runtime/index.js";
import type { TrainArguments } from "./train.js";
import { UsageError } from "./usage.js";

/** Reads `dsc train`'s command line; every wrong value is a UsageError that names the option. */
export function trainArguments(argv: readonly string[]): TrainArguments {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      network: { type: "string" },
      data: { type: "string" },
      epochs: { type: "string" },
      seed: { type: "string" },
      out: { type: "string", short: "o" },
      "batch-size": { type: "string" },
      optimizer: { type: "string" },
      lr: { type: "string" },
      backend: { type: "string" },
      "no-progress": { type: "boolean" },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError(`train needs exactly one .ds file, got ${positionals.length}`);
  if (values.data === undefined) throw new UsageError("train needs --data mnist or --data FILE (.csv or .json)");
  if (values.epochs === undefined) throw new UsageError("train needs --epochs N");
  const optimizer = oneOf("--optimizer", values.optimizer ?? "adam", ["adam", "sgd"] as const);
  const backend = oneOf("--backend", values.backend ?? "auto", ["wasm", "cpu", "auto"] as const);
  return {
    file: positionals[0]!,
    ...(values.network === undefined ? {} : { network: values.network }),
    data: values.data,
    epochs: integer("--epochs", values.epochs, 1),
    seed: integer("--seed", values.seed ?? "0", 0),
    ...(values.out === undefined ? {} : { out: values.out }),
    batchSize: integer("--batch-size", values["batch-size"] ?? "32", 1),
    optimizer: optimizer as OptimizerName,
    ...(values.lr === undefined ? {} : { learningRate: positive("--lr", values.lr) }),
    backend: backend as BackendChoice,
    progress: values["no-progress"] !== true,
  };
}

function integer(option: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`${option} must be an integer ≥ ${min}, got '${text}'`);
  return value;
}

function positive(option: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${option} must be a positive number, got '${text}'`);
  return value;
}

function oneOf<T extends string>(option: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`${option} must be ${allowed.map((a) => `'${a}'`).join(" or ")}, got '${text}'`);
  }
  return text as T;
}
