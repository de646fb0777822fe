import type { DynamicSparsity } from "../../runtime/growing/dynamic-sparse.js";
import type { PruningSchedule, ScheduleSaliency } from "../../runtime/pruning/schedule.js";
import type { PruneUnit } from "../../runtime/spec.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { Call, Value } from "../parse/ast.js";
import { resolveArguments, type ArgumentValue, type ParameterRule } from "./arguments.js";
import type { CheckedNetwork, CheckedSchedule, LayerSelection, MaskPolicy } from "./program.js";
import { didYouMean } from "./suggest.js";
import { describeValue } from "./values.js";

const layers: ParameterRule = { name: "layers", kind: "custom", default: "all" };
const seed: ParameterRule = { name: "seed", kind: "integer", min: 0, default: 0 };
const fraction = (name: string, fallback?: number): ParameterRule => ({ name, kind: "number", min: 0, max: 1, ...(fallback === undefined ? {} : { default: fallback }) });
const percent: ParameterRule = { name: "percent", kind: "number", min: Number.MIN_VALUE, max: 100 };
// Choices are typed by the runtime's declarations: the language offers these values, the runtime declares what they may be.
const saliencies = ["magnitude", "random", "normalizedMagnitude", "synflow"] as const satisfies readonly ScheduleSaliency[];
const scopes = ["global", "layer"] as const satisfies readonly NonNullable<PruningSchedule["scope"]>[];
const units = ["weight", "kernel", "channel", "neuron", "gate", "layer"] as const satisfies readonly PruneUnit[];
const common: readonly ParameterRule[] = [
  { name: "saliency", kind: "choice", choices: saliencies, default: "magnitude" },
  { name: "scope", kind: "choice", choices: scopes, default: "global" },
  layers,
  seed,
  { name: "unit", kind: "choice", choices: units, default: "weight" },
];

const maskRules = {
  dense: [layers],
  file: [{ name: "path", kind: "string" }, layers],
  random: [fraction("density"), seed, layers],
  learnable: [fraction("keep", 0.9), { name: "temperature", kind: "number", min: Number.MIN_VALUE, default: 1 }, { name: "penalty", kind: "number", min: 0, default: 0 }, layers],
} as const satisfies Record<string, readonly ParameterRule[]>;

/** The prune schedules' parameters, exported for the language server's vocabulary (src/lsp/vocabulary.ts). */
export const pruneRules = {
  one_shot: [percent, { name: "epoch", kind: "integer", min: 0, default: 0 }, { name: "step", kind: "integer", min: 1, default: 0 }, ...common],
  iterative: [
    percent,
    { name: "every", kind: "integer", min: 1, default: 1 },
    fraction("target"),
    { name: "start", kind: "integer", min: 0, default: 0 },
    { name: "rewind", kind: "custom", default: "none" },
    ...common,
  ],
  gradual: [
    fraction("initial", 0),
    fraction("final"),
    { name: "start", kind: "integer", min: 1 },
    { name: "end", kind: "integer", min: 1 },
    { name: "every", kind: "integer", min: 1, default: 1 },
    ...common,
  ],
} as const satisfies Record<string, readonly ParameterRule[]>;

/** `mask random(density=0.5, seed=1, layers=[dense1])`, `mask dense(…)`, `mask learnable(keep=0.9, temperature=1, …)`. */
export function checkMaskPolicy(value: Value, bag: DiagnosticBag): MaskPolicy | undefined {
  const policy = policyCall("mask", value, maskRules, bag);
  if (policy === undefined) return undefined;
  const { kind, call, args, selection } = policy;
  switch (kind) {
    case "dense":
      return { kind, layers: selection };
    case "file":
      return { kind, path: args["path"] as string, span: call.span, layers: selection };
    case "random":
      return { kind, density: args["density"] as number, seed: args["seed"] as number, layers: selection };
    case "learnable":
      return { kind, keep: args["keep"] as number, temperature: args["temperature"] as number, penalty: args["penalty"] as number, layers: selection };
  }
}

/** `prune one_shot(…)`, `prune iterative(…)` or `prune gradual(…)`; the runtime's schedule with its layers unresolved. */
export function checkPruneSchedule(value: Value, bag: DiagnosticBag): CheckedSchedule | undefined {
  const policy = policyCall("prune", value, pruneRules, bag);
  if (policy === undefined) return undefined;
  const { kind, call, args, selection } = policy;
  const unit = args["unit"] as PruneUnit;
  // unit=weight is the runtime's default: left out of the spec, so schedules without a unit emit as before.
  const shared = { saliency: args["saliency"], scope: args["scope"], seed: args["seed"], ...(unit === "weight" ? {} : { unit }) } as Pick<
    CheckedSchedule["schedule"],
    "saliency" | "scope" | "seed" | "unit"
  >;
  const unitSpan = call.args.find((a) => a.name?.name === "unit")?.span ?? call.span;
  if (unit === "layer" && args["scope"] === "layer") {
    // Each layer is one unit: ranked on its own it has nothing to rank against, and a share of one unit rounds to none.
    bag.report("DS2006", call.args.find((a) => a.name?.name === "scope")?.span ?? call.span, ["scope", "global with unit=layer (layers are ranked against each other)", "layer"]);
    return undefined;
  }
  switch (kind) {
    case "one_shot": {
      const [epoch, step] = [args["epoch"] as number, args["step"] as number];
      if (epoch > 0 && step > 0) {
        bag.report("DS2006", call.span, ["one_shot", "given an epoch or a step, not both", `epoch=${epoch} and step=${step}`]);
        return undefined;
      }
      // Without an epoch or a step, the network is pruned as it is created (epoch 0).
      return { layers: selection, unitSpan, schedule: { kind: "oneShot", percent: args["percent"] as number, ...(step > 0 ? { atStep: step } : { atEpoch: epoch }), ...shared } };
    }
    case "iterative": {
      const rewind = checkRewind(args["rewind"]!, bag);
      if (rewind === undefined) return undefined;
      const start = args["start"] as number;
      const schedule = { kind: "iterative", percent: args["percent"] as number, every: args["every"] as number, target: args["target"] as number, rewind, ...shared } as const;
      return { layers: selection, unitSpan, schedule: start > 0 ? { ...schedule, start } : schedule };
    }
    case "gradual": {
      const [start, end] = [args["start"] as number, args["end"] as number];
      if (end < start) {
        bag.report("DS2006", call.span, ["end", `at least start (${start})`, end]);
        return undefined;
      }
      const schedule = { kind: "gradual", initial: args["initial"] as number, final: args["final"] as number, start, end, every: args["every"] as number, ...shared } as const;
      return { layers: selection, unitSpan, schedule };
    }
  }
}

/** A policy line's call, its checked arguments and its `layers=[…]`, or undefined after reporting what is wrong. */
function policyCall<K extends string>(
  setting: string,
  value: Value,
  rules: Readonly<Record<K, readonly ParameterRule[]>>,
  bag: DiagnosticBag,
): { kind: K; call: Call; args: Record<string, ArgumentValue>; selection: LayerSelection } | undefined {
  const call = expectCall(setting, value, Object.keys(rules), bag);
  if (call === undefined) return undefined;
  const kind = call.callee.name as K;
  const args = resolveArguments(call, rules[kind], bag);
  const selection = args && layerSelection(args["layers"]!, call, bag);
  return args && selection ? { kind, call, args, selection } : undefined;
}

function expectCall(setting: string, value: Value, kinds: readonly string[], bag: DiagnosticBag): Call | undefined {
  if (value.kind === "Call" && kinds.includes(value.callee.name)) return value;
  const hint = value.kind === "Call" ? didYouMean(value.callee.name, kinds) : undefined;
  bag.report("DS2005", value.kind === "Call" ? value.callee.span : value.span, [setting, `one of ${kinds.map((k) => `${k}(…)`).join(", ")}`, describeValue(value)], hint);
  return undefined;
}

/** `none`, `init`, or an epoch number to rewind to. */
function checkRewind(value: unknown, bag: DiagnosticBag): NonNullable<Extract<PruningSchedule, { kind: "iterative" }>["rewind"]> | undefined {
  if (value === "none") return "none";
  const v = value as Value;
  if (v.kind === "NameReference" && (v.name === "none" || v.name === "init")) return v.name;
  if (v.kind === "NumberLiteral" && Number.isInteger(v.value) && v.value >= 1) return { epoch: v.value };
  bag.report("DS2005", v.span, ["rewind", "none, init or an epoch number", describeValue(v)]);
  return undefined;
}

function layerSelection(value: unknown, call: Call, bag: DiagnosticBag): LayerSelection | undefined {
  if (value === "all") return { names: [], span: call.span };
  const v = value as Value;
  const items = v.kind === "ListLiteral" ? v.items : [v];
  const names: string[] = [];
  const spans: Span[] = [];
  for (const item of items) {
    if (item.kind !== "NameReference") {
      bag.report("DS2005", item.span, ["layers", "layer names such as dense1, a structure's graph name, or output", describeValue(item)]);
      return undefined;
    }
    names.push(item.name);
    spans.push(item.span);
  }
  return { names, span: v.span, spans };
}

const growRule: readonly ParameterRule[] = [
  fraction("sparsity"),
  { name: "distribution", kind: "choice", choices: ["uniform", "erk"] satisfies NonNullable<DynamicSparsity["distribution"]>[], default: "uniform" },
  { name: "every", kind: "integer", min: 1, default: 100 },
  { name: "drop", kind: "number", min: Number.MIN_VALUE, max: 1, default: 0.3 },
  { name: "decay", kind: "choice", choices: ["cosine", "constant"] satisfies NonNullable<DynamicSparsity["decay"]>[], default: "cosine" },
  { name: "stop", kind: "integer", min: 1 },
  { name: "regrow", kind: "choice", choices: ["zero", "random"] satisfies NonNullable<DynamicSparsity["regrow"]>[], default: "" },
  layers,
  seed,
];

/** `grow rigl(sparsity=0.9, every=100, drop=0.3, stop=2000, …)` or `grow set(…)`. */
export function checkGrowth(value: Value, bag: DiagnosticBag): NonNullable<CheckedNetwork["growth"]> | undefined {
  const policy = policyCall("grow", value, { rigl: growRule, set: growRule }, bag);
  if (policy === undefined) return undefined;
  const { kind: method, call, args, selection } = policy;
  const sparsity = args["sparsity"] as number;
  if (sparsity >= 1) {
    bag.report("DS2006", call.span, ["sparsity", "below 1", sparsity]);
    return undefined;
  }
  const regrow = (args["regrow"] as string) || (method === "rigl" ? "zero" : "random");
  return {
    layers: selection,
    config: {
      method,
      sparsity,
      distribution: args["distribution"] as NonNullable<DynamicSparsity["distribution"]>,
      every: args["every"] as number,
      dropFraction: args["drop"] as number,
      decay: args["decay"] as NonNullable<DynamicSparsity["decay"]>,
      stop: args["stop"] as number,
      regrow: regrow as NonNullable<DynamicSparsity["regrow"]>,
      seed: args["seed"] as number,
    },
  };
}
