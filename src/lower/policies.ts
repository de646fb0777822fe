import { createRandom } from "../../runtime/random.js";
import type { PruningSchedule } from "../../runtime/pruning/schedule.js";
import type { DynamicSparsity } from "../../runtime/growing/dynamic-sparse.js";
import type { LearnableMaskSpec } from "../../runtime/spec.js";
import type { CheckedNetwork, LayerSelection, MaskPolicy } from "../check/program.js";
import type { MaskFile } from "../elaborate/program.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { BlockIR, LayerIR, MaskIR } from "./ir.js";
import { closestName } from "../check/suggest.js";
import { lowerSchedule } from "./pruning.js";

/**
 * Applies a network's `mask` and `prune` lines to its blocks. A layer name
 * selects the blocks entering that layer; a structure's graph name selects
 * the blocks entering any of its depths. `mask dense(…)` makes the selected
 * blocks full, `mask random(density, seed)` keeps each live connection with
 * probability `density` (one draw per live entry, blocks in order), so both
 * are fixed at compile time, as is `mask file(...)`; learnable masks and pruning schedules go to the
 * runtime. A schedule's or a grow line's `layers=[…]` may also name convs
 * (their weights) and recurrent layers (their `.input` and `.hidden` weights).
 */
export function applyPolicies(
  network: CheckedNetwork,
  layers: readonly LayerIR[],
  blocks: BlockIR[],
  maskFiles: ReadonlyMap<string, MaskFile>,
  bag: DiagnosticBag,
  /** Conv layers' names: their masks are applied by features.ts, and here they select no block. */
  convNames: ReadonlySet<string> = new Set(),
  /** Recurrent layers' names (`lstm1`, …): pruning schedules may name them. */
  recurrentNames: readonly string[] = [],
): { pruning: PruningSchedule[]; learnable?: LearnableMaskSpec; growth?: DynamicSparsity } {
  const named = layersByName(layers);
  const select = (selection: LayerSelection): number[] | undefined => {
    if (selection.names.length === 0) return blocks.map((_, i) => i);
    const targets = new Set<number>();
    for (const name of selection.names) {
      if (convNames.has(name)) continue;
      const matching = named.get(name) ?? [];
      if (matching.length === 0) {
        const known = [...layers.slice(1).map((l) => l.name), ...convNames, ...recurrentNames];
        const closest = closestName(name, [...known, ...named.keys()]);
        bag.report("DS2027", selection.span, [network.name, name], closest === undefined ? `its layers are ${known.join(", ")}` : `did you mean '${closest}'?`);
        return undefined;
      }
      for (const layer of matching) targets.add(layer);
    }
    const chosen: number[] = [];
    blocks.forEach((block, b) => targets.has(block.target) && chosen.push(b));
    return chosen;
  };
  /** The blocks a line selects: every block when it names nothing; else those entering its names other than convs and recurrent layers (none if it names only those). */
  const recurrentWeight = (name: string): boolean => /^(.+)\.(input|hidden)$/.test(name) && recurrentNames.includes(name.replace(/\.(input|hidden)$/, ""));
  const blocksNamed = (selection: LayerSelection): number[] | undefined => {
    if (selection.names.length === 0) return select(selection);
    const others = selection.names.filter((name) => !convNames.has(name) && !recurrentNames.includes(name) && !recurrentWeight(name));
    return others.length === 0 ? [] : select({ ...selection, names: others });
  };
  /** What a named prune, grow or learnable line reaches: named convs' weights, named recurrent layers' `.input` and `.hidden`, the blocks entering the other names. */
  const weightsNamed = (selection: LayerSelection): string[] | undefined => {
    const selected = blocksNamed(selection);
    if (selected === undefined) return undefined;
    const convs = selection.names.filter((name) => convNames.has(name));
    const recurrent = selection.names.filter((name) => recurrentNames.includes(name) || recurrentWeight(name));
    const weights = recurrent.flatMap((name) => (recurrentWeight(name) ? [name] : [`${name}.input`, `${name}.hidden`]));
    return [...convs, ...weights, ...selected.map((b) => blocks[b]!.name)];
  };

  let learnable: LearnableMaskSpec | undefined;
  for (const policy of network.masks) {
    if (policy.kind === "learnable") {
      // Named, or every weight: convs', recurrent layers' and the blocks'.
      const all = [...convNames, ...recurrentNames.flatMap((name) => [`${name}.input`, `${name}.hidden`]), ...blocks.map((b) => b.name)];
      const weights = policy.layers.names.length === 0 ? all : weightsNamed(policy.layers);
      if (weights !== undefined) learnable = { blocks: weights, keep: policy.keep, temperature: policy.temperature, penalty: policy.penalty };
      continue;
    }
    const selected = blocksNamed(policy.layers);
    if (selected === undefined) continue;
    if (policy.kind === "file") {
      applyMaskFile(policy, maskFiles.get(policy.path)!, selected, layers, blocks, bag);
      continue;
    }
    const random = createRandom(policy.kind === "random" ? policy.seed : 0);
    for (const b of selected) {
      const block = blocks[b]!;
      const size = layers[block.source]!.size * layers[block.target]!.size;
      if (policy.kind === "dense") {
        blocks[b] = { ...block, mask: { kind: "full" } };
        continue;
      }
      const live = liveEntries(block.mask, size).filter(() => random.next() < policy.density);
      blocks[b] = { ...block, mask: live.length === size ? { kind: "full" } : { kind: "sparse", live: Uint32Array.from(live) } };
    }
  }

  const pruning: PruningSchedule[] = [];
  for (const checked of network.pruning) {
    const names = { network: network.name, convs: convNames, recurrent: recurrentNames, denseBlocks: (s: LayerSelection) => select(s)?.map((b) => blocks[b]!.name) };
    const schedule = lowerSchedule(checked, names, bag);
    if (schedule !== undefined) pruning.push(schedule);
  }
  let growth: DynamicSparsity | undefined;
  if (network.growth) {
    // Growth reaches what pruning reaches: every weight when it names none.
    const weights = weightsNamed(network.growth.layers);
    if (weights !== undefined) growth = network.growth.layers.names.length === 0 ? network.growth.config : { ...network.growth.config, blocks: weights };
  }
  return { pruning, ...(learnable ? { learnable } : {}), ...(growth ? { growth } : {}) };
}

/**
 * What each name in `layers=[…]` selects: the layer of that name, and every
 * depth of every structure made from the graph of that name (never the input).
 * Made once per network, so long selections over deep structures stay linear.
 */
function layersByName(layers: readonly LayerIR[]): Map<string, number[]> {
  const named = new Map<string, number[]>();
  const add = (name: string, index: number): void => {
    const list = named.get(name);
    if (list === undefined) named.set(name, [index]);
    else if (list.at(-1) !== index) list.push(index);
  };
  layers.forEach((layer, i) => {
    if (i === 0) return;
    add(layer.name, i);
    if (layer.origin.kind === "structure") add(layer.origin.graph, i);
  });
  return named;
}

/**
 * `mask file(...)`: the file's mask for each selected block, intersected with
 * the block's own (a file can switch connections off, never add ones the
 * structure does not have). A selected block missing from the file is an error.
 */
function applyMaskFile(
  policy: Extract<MaskPolicy, { kind: "file" }>,
  file: MaskFile,
  selected: readonly number[],
  layers: readonly LayerIR[],
  blocks: BlockIR[],
  bag: DiagnosticBag,
): void {
  if ("problem" in file) {
    bag.report(file.unreadable ? "DS2022" : "DS2023", policy.span, [policy.path, file.problem]);
    return;
  }
  for (const b of selected) {
    const block = blocks[b]!;
    const size = layers[block.source]!.size * layers[block.target]!.size;
    const values = file.masks[block.name];
    if (values === undefined || values.length !== size) {
      const reason = values === undefined ? `it has no mask for block '${block.name}'` : `the mask of block '${block.name}' has ${values.length} entries; expected ${size}`;
      bag.report("DS2023", policy.span, [policy.path, reason]);
      continue;
    }
    const live = liveEntries(block.mask, size).filter((i) => values[i] === 1);
    blocks[b] = { ...block, mask: live.length === size ? { kind: "full" } : { kind: "sparse", live: Uint32Array.from(live) } };
  }
}

function liveEntries(mask: MaskIR, size: number): number[] {
  return mask.kind === "full" ? Array.from({ length: size }, (_, i) => i) : Array.from(mask.live);
}
