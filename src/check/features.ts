/**
 * `features [conv(16, kernel=3, padding=same), batch_norm(), max_pool(2), …]`:
 * the convolutional layers a network applies to its input before its dense
 * layers and structures. Each call is checked for its arguments here, and the
 * whole stack for its shapes once the input is known (`checkFeatureShapes`).
 */
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { Call, Value } from "../parse/ast.js";
import { featureShapes, type ChannelsFirst } from "../../runtime/features/shapes.js";
import type { FeatureLayerSpec, SpatialPair } from "../../runtime/spec.js";
import { resolveArguments, type ParameterRule } from "./arguments.js";
import { didYouMean } from "./suggest.js";
import { describeValue } from "./values.js";

/** A feature layer as checked, without its name and activation (lower gives those), and where it was written. */
export type FeatureDraft = DistributiveOmit<FeatureLayerSpec, "name" | "activate">;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface CheckedFeature {
  readonly layer: FeatureDraft;
  readonly span: Span;
}

const PADDING = { name: "padding", kind: "choice", choices: ["same", "valid"], default: "valid" } as const satisfies ParameterRule;
const pair = (name: string, fallback?: number): ParameterRule => ({ name, kind: "integers", min: 1, max: 1024, ...(fallback === undefined ? {} : { default: [fallback] }) });

/** Each feature layer's parameters, in order (the language server lists them from here). */
export const featureRules: Readonly<Record<string, readonly ParameterRule[]>> = {
  conv: [{ name: "channels", kind: "integer", min: 1, max: 4096 }, pair("kernel", 3), pair("stride", 1), PADDING, pair("dilation", 1)],
  max_pool: [pair("size", 2), { name: "stride", kind: "integers", min: 1, max: 1024, default: [] }, PADDING],
  avg_pool: [pair("size", 2), { name: "stride", kind: "integers", min: 1, max: 1024, default: [] }, PADDING],
  global_avg_pool: [],
  batch_norm: [
    { name: "momentum", kind: "number", min: 0, max: 1, default: 0.1 },
    { name: "epsilon", kind: "number", min: 1e-12, max: 1, default: 1e-5 },
  ],
  flatten: [],
};

/** The feature layers of one `features` setting (a call or a list of calls); undefined after reporting a problem. */
export function checkFeatureList(value: Value, bag: DiagnosticBag): CheckedFeature[] | undefined {
  const items = value.kind === "ListLiteral" ? value.items : [value];
  const layers: CheckedFeature[] = [];
  let ok = true;
  items.forEach((item, position) => {
    if (item.kind !== "Call") {
      bag.report("DS2005", item.span, ["features", "layer calls such as conv(16, kernel=3) or max_pool(2)", describeValue(item)]);
      ok = false;
      return;
    }
    if (item.callee.name === "flatten" && position !== items.length - 1) {
      bag.report("DS2055", item.span, [], "the features are flattened before the dense layers anyway; leave it out or move it to the end");
      ok = false;
      return;
    }
    const layer = checkFeatureCall(item, bag);
    if (layer === undefined) ok = false;
    else if (layer !== "flatten") layers.push({ layer, span: item.span });
  });
  return ok ? layers : undefined;
}

function checkFeatureCall(call: Call, bag: DiagnosticBag): FeatureDraft | "flatten" | undefined {
  const kind = call.callee.name;
  const rules = featureRules[kind];
  if (rules === undefined) {
    bag.report("DS2050", call.callee.span, [kind], didYouMean(kind, Object.keys(featureRules)));
    return undefined;
  }
  const args = resolveArguments(call, rules, bag);
  if (args === undefined) return undefined;
  const pairOf = (name: string, fallback?: SpatialPair): SpatialPair | undefined => {
    const numbers = args[name] as readonly number[];
    if (numbers.length === 0 && fallback !== undefined) return fallback;
    if (numbers.length === 1) return [numbers[0]!, numbers[0]!];
    if (numbers.length === 2) return [numbers[0]!, numbers[1]!];
    const argument = call.args.find((a) => a.name?.name === name) ?? call.args[rules.findIndex((r) => r.name === name)];
    bag.report("DS2005", argument?.span ?? call.span, [name, "one integer or [height, width]", `${numbers.length} values`]);
    return undefined;
  };
  const padding = args.padding as "same" | "valid";
  switch (kind) {
    case "conv": {
      const [kernel, stride, dilation] = [pairOf("kernel"), pairOf("stride"), pairOf("dilation")];
      if (!kernel || !stride || !dilation) return undefined;
      return { kind: "conv", channels: args.channels as number, kernel, stride, dilation, padding };
    }
    case "max_pool":
    case "avg_pool": {
      const size = pairOf("size");
      const stride = size && pairOf("stride", size);
      if (!size || !stride) return undefined;
      return { kind: kind === "max_pool" ? "maxPool" : "avgPool", size, stride, padding };
    }
    case "global_avg_pool":
      return { kind: "globalAvgPool" };
    case "batch_norm":
      return { kind: "batchNorm", momentum: args.momentum as number, epsilon: args.epsilon as number };
    default:
      return "flatten";
  }
}

/**
 * The feature stack's shapes over the network's input, each misfit reported
 * at the layer that causes it. Returns the flattened output size, or
 * undefined after reporting.
 */
export function checkFeatureShapes(
  networkName: string,
  inputShape: readonly number[],
  inputSpan: Span,
  features: readonly CheckedFeature[],
  bag: DiagnosticBag,
): number | undefined {
  if (inputShape.length !== 3) {
    bag.report("DS2054", inputSpan, [networkName, `[${inputShape.join(", ")}]`], "write it channels first, e.g. input [1, 28, 28]");
    return undefined;
  }
  const layers = features.map((f) => ({ ...f.layer, name: f.layer.kind, activate: false }) as FeatureLayerSpec);
  const result = featureShapes(inputShape as unknown as ChannelsFirst, layers);
  if ("problem" in result) {
    const code = result.problem.kind === "kernelTooLarge" ? "DS2052" : "DS2053";
    bag.report(code, features[result.layer]!.span, [describeLayer(features[result.layer]!.layer), result.problem.message]);
    return undefined;
  }
  const [channels, height, width] = result.shapes.at(-1)!;
  return channels * height * width;
}

function describeLayer(layer: FeatureDraft): string {
  switch (layer.kind) {
    case "conv":
      return `conv(${layer.channels})`;
    case "maxPool":
      return "max_pool";
    case "avgPool":
      return "avg_pool";
    case "globalAvgPool":
      return "global_avg_pool";
    case "batchNorm":
      return "batch_norm";
  }
}
