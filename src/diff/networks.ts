import type { CheckedNetwork } from "../check/program.js";
import type { KernelPlan } from "../fuse/plan.js";
import type { FeatureLayerSpec, NetworkSpec } from "../../runtime/spec.js";
import type { CellNetworkSpec } from "../../runtime/cells/spec.js";
import { decodeIntegers, EMPTY_MASK, FULL_MASK } from "../../runtime/masks/codec.js";
import { listed, unionInOrder } from "./listed.js";
import type { BlockChange, BlockConnections, NetworkDiff, NetworkSummary } from "./types.js";
import { callText, valueText } from "./values.js";

/**
 * A network as the diff compares it, whether it came from a `.ds` file or a
 * run's spec: layer sizes and block connections by name, and its settings
 * as text by setting name (list settings numbered: `mask 1`, `mask 2`).
 */
export interface NetworkView {
  readonly name: string;
  readonly layers: ReadonlyMap<string, number>;
  readonly blocks: ReadonlyMap<string, BlockConnections>;
  readonly settings: ReadonlyMap<string, string>;
}

/** The view of a planned network: layers and blocks from its plan, settings from the checked declaration. */
export function planView(checked: CheckedNetwork, plan: KernelPlan): NetworkView {
  const { layers, blocks } = plan.network;
  return {
    name: checked.name,
    layers: new Map(layers.map((layer) => [layer.name, layer.size])),
    blocks: new Map(
      blocks.map((block) => {
        const total = layers[block.source]!.size * layers[block.target]!.size;
        return [block.name, { live: block.mask.kind === "full" ? total : block.mask.live.length, total }];
      }),
    ),
    settings: new Map([
      ...commonSettings(checked.inputShape, checked.activation, checked.layerNorm, checked.execution),
      ...numbered(
        "mask",
        checked.masks.map(({ kind, ...fields }) => callText(kind, fields)),
      ),
      ...numbered(
        "prune",
        checked.pruning.map(({ schedule: { kind, ...fields }, layers }) => callText(kind, { ...fields, layers })),
      ),
      ...(checked.growth === undefined ? [] : [["grow", growthText(checked.growth.config, checked.growth.layers)] as const]),
      ...convSettings(plan.network.features, plan.network.cells),
    ]),
  };
}

/** The view of a network spec (a run's model.json): what the runtime builds, its schedules with their blocks resolved. */
export function specView(spec: NetworkSpec): NetworkView {
  const blocks = spec.blocks.map((block): [string, BlockConnections] => {
    const total = spec.layers[block.source]!.size * spec.layers[block.target]!.size;
    return [block.name, { live: liveInMask(block.mask, total), total }];
  });
  return {
    name: spec.name,
    layers: new Map(spec.layers.map((layer) => [layer.name, layer.size])),
    blocks: new Map(blocks),
    settings: new Map([
      ...commonSettings(spec.inputShape, spec.activation, spec.layerNorm, spec.execution),
      ...(spec.learnable === undefined ? [] : [["mask learnable", valueText(spec.learnable)] as const]),
      ...numbered(
        "prune",
        (spec.pruning ?? []).map(({ kind, ...fields }) => callText(kind, fields)),
      ),
      ...(spec.growth === undefined ? [] : [["grow", growthText(spec.growth)] as const]),
      ...convSettings(spec.features, spec.cells),
    ]),
  };
}

/** A feature layer as text, without its name and mask: `conv(16, kernel=3×3, stride=1×1, dilation=1×1, same)`, `batchNorm`. */
function layerText(layer: FeatureLayerSpec): string {
  const pair = (p: readonly number[]): string => p.join("×");
  if (layer.kind === "conv") return `conv(${layer.channels}, kernel=${pair(layer.kernel)}, stride=${pair(layer.stride)}, dilation=${pair(layer.dilation)}, ${layer.padding})`;
  if (layer.kind === "maxPool" || layer.kind === "avgPool") return `${layer.kind}(${pair(layer.size)}, stride=${pair(layer.stride)}, ${layer.padding})`;
  return layer.kind;
}

/** `features` and `cells` as settings: the feature layers, and per cell network its graph, every cell's layers (widths vary in a scalable graph) and its head. */
function convSettings(features: readonly FeatureLayerSpec[] | undefined, cells: CellNetworkSpec | undefined): [string, string][] {
  const stack = (layers: readonly FeatureLayerSpec[]): string => `[${layers.map(layerText).join(", ")}]`;
  const cellTexts = cells === undefined ? [] : [...new Set(cells.vertices.map((v) => stack(v.layers)))];
  return [
    ...(features === undefined ? [] : [["features", stack(features)] as [string, string]]),
    ...(cells === undefined ? [] : [["cells", `${cells.vertices.length} cells over '${cells.graph}': ${cellTexts.join(" or ")}; head ${stack(cells.head)}`] as [string, string]]),
  ];
}

function commonSettings(inputShape: readonly number[], activation: string, layerNorm: boolean, execution: string | undefined): [string, string][] {
  return [
    ["input", valueText(inputShape)],
    ["activation", activation],
    ["layer_norm", String(layerNorm)],
    // Left out means auto: writing the default changes nothing.
    ["execution", execution ?? "auto"],
  ];
}

function growthText({ method, ...fields }: { readonly method: string }, layers?: unknown): string {
  return callText(method, { ...fields, layers });
}

function numbered(setting: string, values: readonly string[]): [string, string][] {
  return values.map((value, i) => [`${setting} ${i + 1}`, value]);
}

/** Live entries of an encoded mask: full and empty masks have their own words, the rest list their entries. */
function liveInMask(encoded: string, total: number): number {
  if (encoded === FULL_MASK) return total;
  return encoded === EMPTY_MASK ? 0 : decodeIntegers(encoded).length;
}

/** The summary of a network present on one side only. */
export function summary(view: NetworkView): NetworkSummary {
  const blocks = [...view.blocks.values()];
  return { name: view.name, layers: view.layers.size, blocks: blocks.length, liveConnections: blocks.reduce((sum, b) => sum + b.live, 0) };
}

/** What differs between two views of a network, or undefined when nothing does. */
export function diffNetwork(a: NetworkView, b: NetworkView, limit: number): NetworkDiff | undefined {
  const layers = changedEntries(a.layers, b.layers, (x, y) => x === y).map(([name, before, after]) => ({ name, before, after }));
  const settings = changedEntries(a.settings, b.settings, (x, y) => x === y).map(([setting, before, after]) => ({ setting, before, after }));
  const blocks = changedEntries(a.blocks, b.blocks, (x, y) => x.live === y.live && x.total === y.total).map(([name, before, after]): BlockChange => ({ name, before, after }));
  if (layers.length + settings.length + blocks.length === 0) return undefined;
  const before = [...a.blocks.values()];
  const after = [...b.blocks.values()];
  const sum = (list: readonly BlockConnections[], key: keyof BlockConnections) => list.reduce((total, block) => total + block[key], 0);
  return {
    name: b.name,
    layers,
    settings,
    blocks: listed(blocks, limit),
    totals: {
      blocks: { before: before.length, after: after.length },
      liveConnections: { before: sum(before, "live"), after: sum(after, "live") },
      connections: { before: sum(before, "total"), after: sum(after, "total") },
    },
  };
}

/** Entries whose values differ or that one side lacks (null there), in `a`'s order then `b`'s. */
function changedEntries<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>, same: (x: V, y: V) => boolean): [string, V | null, V | null][] {
  return unionInOrder(a.keys(), b.keys()).flatMap((key): [string, V | null, V | null][] => {
    const x = a.get(key);
    const y = b.get(key);
    return x !== undefined && y !== undefined && same(x, y) ? [] : [[key, x ?? null, y ?? null]];
  });
}
