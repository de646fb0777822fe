// The datasets' own modules, not their index: the index also exports toTensors, which loads TensorFlow.js.
import { NonFiniteSampleError, type Interval } from "../../runtime/datasets/function.js";
import { declaredDataset } from "../data/declared.js";
import { CONSTANTS, expressionSize, firstNonFinite, FUNCTIONS, type Expression } from "../data/expression/expression.js";
import { parseExpression } from "../data/expression/parse.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Call, DataDeclaration, ListLiteral, StringLiteral, Value } from "../parse/ast.js";
import { resolveArguments, type ArgumentValue, type ParameterRule } from "./arguments.js";
import type { DataSource, FunctionDataSource } from "./program.js";
import { didYouMean } from "./suggest.js";
import { describeValue } from "./values.js";

/** Limits that keep a declaration's data within what a CLI run holds in memory and makes in seconds. */
export const MAX_SAMPLES = 1_000_000;
export const MAX_INPUTS = 1_000;
/** Samples × expression nodes: the evaluations a function dataset costs. */
export const MAX_EVALUATIONS = 100_000_000;

const SAMPLES: ParameterRule = { name: "samples", kind: "integer", min: 2, max: MAX_SAMPLES, default: 100 };
const NOISE: ParameterRule = { name: "noise", kind: "number", min: 0, max: 1e6, default: 0 };
const SEED: ParameterRule = { name: "seed", kind: "integer", min: 0, max: 2 ** 32 - 1, default: 0 };

const BUILT_INS = {
  function: [
    { name: "expression", kind: "custom" },
    { name: "inputs", kind: "custom" },
    { name: "domain", kind: "custom", default: [-1, 1] },
    { name: "samples", kind: "custom", default: 1000 },
    { name: "sampler", kind: "choice", choices: ["uniform", "grid"], default: "uniform" },
    SEED,
  ],
  moons: [SAMPLES, NOISE, SEED],
  spirals: [SAMPLES, { name: "arms", kind: "integer", min: 2, max: 1000, default: 2 }, { name: "turns", kind: "number", min: 0, max: 1000, default: 1 }, NOISE, SEED],
  blobs: [
    SAMPLES,
    { name: "centers", kind: "integer", min: 1, max: 1000, default: 3 },
    { name: "features", kind: "integer", min: 1, max: MAX_INPUTS, default: 2 },
    { name: "std", kind: "number", min: 0, max: 1e6, default: 1 },
    { name: "box", kind: "custom", default: [-10, 10] },
    SEED,
  ],
} as const satisfies Record<string, readonly ParameterRule[]>;

/**
 * Checks `data NAME = …`: the call, its arguments' kinds and ranges, and for
 * a function dataset the expression and its value at every sample, so a
 * dataset that passes can always be made.
 */
export function checkDataDeclaration(declaration: DataDeclaration, bag: DiagnosticBag): DataSource | undefined {
  const call = declaration.value;
  const kind = call.callee.name;
  if (!Object.hasOwn(BUILT_INS, kind)) {
    bag.report("DS2040", call.callee.span, [kind], didYouMean(kind, Object.keys(BUILT_INS)));
    return undefined;
  }
  const args = resolveArguments(call, BUILT_INS[kind as keyof typeof BUILT_INS], bag);
  if (args === undefined) return undefined;
  switch (kind) {
    case "function":
      return checkFunction(call, args, bag);
    case "moons":
      return { kind, options: { samples: num(args.samples), noise: num(args.noise), seed: num(args.seed) } };
    case "spirals":
      return atLeast(call, args, "arms", bag)
        ? { kind, options: { samples: num(args.samples), arms: num(args.arms), turns: num(args.turns), noise: num(args.noise), seed: num(args.seed) } }
        : undefined;
    default:
      return checkBlobs(call, args, bag);
  }
}

const num = (value: ArgumentValue | undefined): number => value as number;

/** `samples` must give every class (arm, centre) one sample at least. */
function atLeast(call: Call, args: Record<string, ArgumentValue>, classes: string, bag: DiagnosticBag): boolean {
  if (num(args.samples) >= num(args[classes])) return true;
  bag.report("DS2006", argumentSpan(call, "samples"), ["samples", `at least ${classes} (${num(args[classes])})`, num(args.samples)]);
  return false;
}

function checkBlobs(call: Call, args: Record<string, ArgumentValue>, bag: DiagnosticBag): DataSource | undefined {
  const box = intervalOf("box", args.box!, bag);
  if (box === undefined || !atLeast(call, args, "centers", bag)) return undefined;
  const options = { samples: num(args.samples), centers: num(args.centers), features: num(args.features), std: num(args.std), box, seed: num(args.seed) };
  return { kind: "blobs", options };
}

function checkFunction(call: Call, args: Record<string, ArgumentValue>, bag: DiagnosticBag): FunctionDataSource | undefined {
  const text = args.expression as Value;
  if (text.kind !== "StringLiteral") {
    bag.report("DS2005", text.span, ["expression", 'the formula in double quotes, e.g. "sin(x) * y"', describeValue(text)]);
    return undefined;
  }
  const inputs = inputNames(args.inputs as Value, bag);
  const domain = inputs && domainOf(args.domain!, inputs.length, bag);
  const samples = inputs && samplesOf(args.samples!, args.sampler as "uniform" | "grid", inputs.length, call, bag);
  if (inputs === undefined || domain === undefined || samples === undefined) return undefined;
  const parsed = parseExpression(text.value, inputs, text);
  for (const p of parsed.problems) bag.report(p.code, p.span, p.args, p.hint);
  if (parsed.expression === undefined) return undefined;
  const total = typeof samples === "number" ? samples : samples.reduce((a, b) => a * b, 1);
  const work = total * expressionSize(parsed.expression);
  if (work > MAX_EVALUATIONS) {
    const limit = Math.floor(MAX_EVALUATIONS / expressionSize(parsed.expression));
    bag.report("DS2006", argumentSpan(call, "samples"), ["samples", `at most ${limit} for an expression of ${expressionSize(parsed.expression)} operations`, total]);
    return undefined;
  }
  const source: FunctionDataSource = {
    kind: "function",
    text: text.value,
    expression: parsed.expression,
    inputs,
    domain,
    samples,
    sampler: args.sampler as "uniform" | "grid",
    seed: num(args.seed),
  };
  return finiteEverywhere(source, text, bag) ? source : undefined;
}

/** Makes the samples once, so a NaN or infinity is reported here, at the sub-expression that made it. */
function finiteEverywhere(source: FunctionDataSource, text: StringLiteral, bag: DiagnosticBag): boolean {
  try {
    declaredDataset(source);
    return true;
  } catch (error) {
    if (!(error instanceof NonFiniteSampleError)) throw error;
    const culprit: Expression = firstNonFinite(source.expression, error.point);
    const finite = Number.isFinite(culprit === source.expression ? error.value : NaN);
    const value = finite ? `${error.value}, too large for a 32-bit float` : String(error.value);
    const point = source.inputs.map((name, i) => `${name} = ${Number(error.point[i]!.toPrecision(6))}`).join(", ");
    const span = finite ? text.span : culprit.span;
    bag.report("DS2042", span, [error.sample, point, source.text.slice(culprit.from, culprit.to), value], "limit the domain, or guard the expression, e.g. log(abs(x) + 1)");
    return false;
  }
}

function inputNames(value: Value, bag: DiagnosticBag): string[] | undefined {
  if (value.kind !== "ListLiteral" || value.items.length === 0 || value.items.length > MAX_INPUTS) {
    bag.report("DS2005", value.span, ["inputs", `a list of 1 to ${MAX_INPUTS} names, e.g. [x, y]`, describeValue(value)]);
    return undefined;
  }
  const names: string[] = [];
  let ok = true;
  for (const item of value.items) {
    if (item.kind !== "NameReference") {
      bag.report("DS2005", item.span, ["inputs", "a name, e.g. x", describeValue(item)]);
      ok = false;
      continue;
    }
    const role = Object.hasOwn(FUNCTIONS, item.name) ? "a function" : Object.hasOwn(CONSTANTS, item.name) ? "a constant" : undefined;
    if (names.includes(item.name)) bag.report("DS2043", item.span, [item.name]);
    else if (role !== undefined) bag.report("DS2044", item.span, [item.name, role]);
    ok &&= !names.includes(item.name) && role === undefined;
    names.push(item.name);
  }
  return ok ? names : undefined;
}

/** `[low, high]` for every input, or `[[low, high], …]` one per input. */
function domainOf(value: ArgumentValue, inputs: number, bag: DiagnosticBag): Interval[] | undefined {
  if (Array.isArray(value)) return Array.from({ length: inputs }, () => value as unknown as Interval);
  const list = value as Value;
  const perInput = list.kind === "ListLiteral" && list.items.length > 0 && list.items.every((item) => item.kind === "ListLiteral");
  if (!perInput) {
    const one = intervalOf("domain", list, bag);
    return one && Array.from({ length: inputs }, () => one);
  }
  const items = (list as ListLiteral).items;
  if (items.length !== inputs) {
    bag.report("DS2005", list.span, ["domain", `one interval, or ${inputs} (one per input)`, `${items.length} intervals`]);
    return undefined;
  }
  const intervals = items.map((item) => intervalOf("domain", item, bag));
  return intervals.every((i) => i !== undefined) ? (intervals as Interval[]) : undefined;
}

function intervalOf(name: string, value: ArgumentValue, bag: DiagnosticBag): Interval | undefined {
  if (Array.isArray(value)) return value as unknown as Interval;
  const list = value as Value;
  const numbers =
    list.kind === "ListLiteral" && list.items.length === 2 && list.items.every((i) => i.kind === "NumberLiteral")
      ? list.items.map((i) => (i as { value: number }).value)
      : undefined;
  if (numbers === undefined) {
    bag.report("DS2005", list.span, [name, "an interval [low, high] of two numbers", describeValue(list)]);
    return undefined;
  }
  const [low, high] = numbers as [number, number];
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(low < high)) {
    bag.report("DS2006", list.span, [name, "an interval of finite numbers with low < high", `[${low}, ${high}]`]);
    return undefined;
  }
  return [low, high];
}

/** A number of samples, or for a grid the points per input (a perfect power, or a list of one count per input). */
function samplesOf(value: ArgumentValue, sampler: "uniform" | "grid", inputs: number, call: Call, bag: DiagnosticBag): number | number[] | undefined {
  if (typeof value === "number") return value;
  const v = value as Value;
  const perInput = v.kind === "ListLiteral" && sampler === "grid";
  const items = perInput ? (v as ListLiteral).items : [v];
  const counts = items.map((item) => (item.kind === "NumberLiteral" && Number.isInteger(item.value) && item.value >= 1 ? item.value : undefined));
  if (counts.some((c) => c === undefined) || (perInput && counts.length !== inputs)) {
    const expected = sampler === "grid" ? `a positive integer, or ${inputs} of them (points per input)` : "a positive integer";
    bag.report("DS2005", v.span, ["samples", expected, describeValue(v)]);
    return undefined;
  }
  const total = (counts as number[]).reduce((a, b) => a * b, 1);
  if (total > MAX_SAMPLES) {
    bag.report("DS2006", v.span, ["samples", `at most ${MAX_SAMPLES} in all`, total]);
    return undefined;
  }
  if (perInput) return counts as number[];
  const side = Math.round(total ** (1 / inputs));
  if (sampler === "uniform" || side ** inputs === total) return total;
  const below = Math.max(1, Math.floor(total ** (1 / inputs)));
  const nearest = `${below ** inputs} or ${(below + 1) ** inputs}`;
  bag.report("DS2006", argumentSpan(call, "samples"), ["samples", `n^${inputs} for a grid over ${inputs} inputs (${nearest}), or a list of ${inputs} counts`, total]);
  return undefined;
}

function argumentSpan(call: Call, name: string): Call["span"] {
  return (call.args.find((a) => a.name?.name === name) ?? call).span;
}
