import type { NetworkSpec } from "../../runtime/spec.js";
import { DEFAULT_LIMIT } from "./listed.js";
import { diffNetwork, specView } from "./networks.js";
import type { DiffOptions } from "./programs.js";
import type { RunBlockDiff, RunDiff, WeightMovement } from "./types.js";

/** A masked weight of a saved model (a dense block, a conv, a recurrent weight): its mask and weights, row-major [sourceSize, targetSize]. */
export interface RunBlock {
  readonly name: string;
  readonly sourceSize: number;
  readonly targetSize: number;
  readonly mask: Uint8Array;
  readonly weights: Float32Array;
}

/** One side of a diff of run folders: the spec model.json carries and every block's mask and weights. */
export interface RunVersion {
  readonly spec: NetworkSpec;
  readonly blocks: readonly RunBlock[];
}

/** Per block, the connections pruned, grown and kept between two saved models, and how far the kept ones' weights moved. */
export function diffRuns(a: RunVersion, b: RunVersion, options: DiffOptions = {}): RunDiff {
  const spec = diffNetwork(specView(a.spec), specView(b.spec), options.limit ?? DEFAULT_LIMIT);
  const blocksB = new Map(b.blocks.map((block) => [block.name, block]));
  const paired = a.blocks.flatMap((x) => {
    const y = blocksB.get(x.name);
    return y === undefined ? [] : [[x, y] as const];
  });
  const sameShape = paired.filter(([x, y]) => x.sourceSize === y.sourceSize && x.targetSize === y.targetSize);
  const blocks = sameShape.map(([x, y]) => diffBlock(x, y));
  const sum = (key: "pruned" | "grown" | "unchanged") => blocks.reduce((total, block) => total + block[key], 0);
  return {
    format: "dsc-diff",
    version: 1,
    kind: "runs",
    networks: { before: a.spec.name, after: b.spec.name },
    ...(spec === undefined ? {} : { spec }),
    blocks,
    resized: paired
      .filter((pair) => !sameShape.includes(pair))
      .map(([x, y]) => ({ name: x.name, before: [x.sourceSize, x.targetSize] as const, after: [y.sourceSize, y.targetSize] as const })),
    totals: {
      pruned: sum("pruned"),
      grown: sum("grown"),
      unchanged: sum("unchanged"),
      ...movement(Math.hypot(...blocks.map((b) => b.moved)), Math.hypot(...blocks.map((b) => b.norm))),
    },
  };
}

/** One pass over the entries of two equally shaped blocks. */
function diffBlock(a: RunBlock, b: RunBlock): RunBlockDiff {
  let pruned = 0;
  let grown = 0;
  let unchanged = 0;
  let moved = 0;
  let norm = 0;
  for (let i = 0; i < a.mask.length; i++) {
    const liveA = a.mask[i] !== 0;
    const liveB = b.mask[i] !== 0;
    if (liveA && !liveB) pruned++;
    else if (liveB && !liveA) grown++;
    else if (liveA) {
      unchanged++;
      const wa = a.weights[i]!;
      moved += (b.weights[i]! - wa) ** 2;
      norm += wa * wa;
    }
  }
  return { name: a.name, pruned, grown, unchanged, ...movement(Math.sqrt(moved), Math.sqrt(norm)) };
}

function movement(moved: number, norm: number): WeightMovement {
  return { moved, norm, relative: norm === 0 ? null : moved / norm };
}

/** Whether a run diff found nothing: same spec, no connection switched, no weight moved. */
export function isEmptyRunDiff(diff: RunDiff): boolean {
  return diff.spec === undefined && diff.resized.length === 0 && diff.totals.pruned + diff.totals.grown === 0 && diff.totals.moved === 0;
}
