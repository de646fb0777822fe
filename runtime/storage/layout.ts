/**
 * The canonical layout of a kernel's parameters, computed from the spec
 * alone: whatever runs the kernel (a dense product, the graph kernel, a GPU
 * shader), on whatever backend, its weights and mask are stored in this one
 * form, and files, getWeights/setWeights, pruning, growth, extraction, the
 * optimizer's state and the PyTorch target all read and write it.
 *
 * A kernel is every block entering one layer. Its *structural connections*
 * are the live entries of its blocks' spec masks, blocks in kernel order,
 * each block row-major: a block's connections are one contiguous slice.
 * A kernel stores one value per structural connection, row-major — as a
 * `[rows, cols]` matrix when every entry is structural (a full kernel), as
 * `[used rows, cols]` when the rows that hold a connection are complete, as a
 * vector `[connections]` otherwise. Memory follows the
 * connections: no rows × columns array exists for a partial kernel unless a
 * dense binding asks for one.
 */
import { decodeIntegers, EMPTY_MASK, FULL_MASK } from "../masks/codec.js";
import type { NetworkSpec } from "../spec.js";

/** One block's place in its kernel: fused rows [rowOffset, rowOffset + sourceSize), connections [first, first + count). */
export interface BlockSlice {
  /** Index into `spec.blocks`. */
  readonly block: number;
  readonly name: string;
  readonly source: number;
  readonly rowOffset: number;
  readonly sourceSize: number;
  readonly first: number;
  readonly count: number;
}

export interface KernelLayout {
  /** Index into `spec.kernels`. */
  readonly kernel: number;
  /** Index of the layer the kernel computes. */
  readonly target: number;
  /** Fused rows (the blocks' source sizes added up) and columns (the target layer's size). */
  readonly rows: number;
  readonly cols: number;
  /** Structural connections. */
  readonly count: number;
  /** Whether every entry of the fused [rows, cols] is a connection. */
  readonly full: boolean;
  /**
   * The shape the kernel's weight is stored in, always its connections
   * row-major: `[rows, cols]` when full, `[used rows, cols]` when every row
   * with a connection holds every column (a layer reading a structure's
   * sinks), else `[count]`.
   */
  readonly shape: readonly number[];
  readonly blocks: readonly BlockSlice[];
  /** The connections of fused row r are rowStart[r] … rowStart[r + 1] − 1: [rows + 1]. */
  readonly rowStart: Int32Array;
  /** Rows with at least one connection, ascending. */
  readonly usedRows: Int32Array;
  /** Whether each used row holds every column, so [usedRows, cols] is the connection vector reshaped. */
  readonly usedRowsComplete: boolean;
  /** Each connection's fused row and target column, ordered by row, then column. */
  edges(): { readonly rows: Int32Array; readonly targets: Int32Array };
  /** The connection at fused (row, col), or −1. */
  connectionAt(row: number, col: number): number;
}

/** Thrown for a mask that does not decode; names the block. */
export class BlockMaskError extends Error {
  override name = "BlockMaskError";
}

/** Every kernel's layout, in spec order. */
export function networkLayout(spec: NetworkSpec): KernelLayout[] {
  return spec.kernels.map((_, k) => kernelLayout(spec, k));
}

export function kernelLayout(spec: NetworkSpec, kernel: number): KernelLayout {
  const kernelSpec = spec.kernels[kernel]!;
  const cols = spec.layers[kernelSpec.target]!.size;
  const blocks: BlockSlice[] = [];
  const lives: (Uint32Array | "full")[] = [];
  let rows = 0;
  let count = 0;
  for (const b of kernelSpec.blocks) {
    const block = spec.blocks[b]!;
    const sourceSize = spec.layers[block.source]!.size;
    const live = liveEntries(block.mask, sourceSize * cols, block.name);
    const blockCount = live === "full" ? sourceSize * cols : live.length;
    blocks.push({ block: b, name: block.name, source: block.source, rowOffset: rows, sourceSize, first: count, count: blockCount });
    lives.push(live);
    rows += sourceSize;
    count += blockCount;
  }
  const rowStart = new Int32Array(rows + 1);
  blocks.forEach((slice, i) => {
    const live = lives[i]!;
    if (live === "full") for (let r = 0; r < slice.sourceSize; r++) rowStart[slice.rowOffset + r + 1] = cols;
    else for (const entry of live) rowStart[slice.rowOffset + Math.floor(entry / cols) + 1]!++;
  });
  for (let r = 0; r < rows; r++) rowStart[r + 1]! += rowStart[r]!;
  const used: number[] = [];
  let complete = true;
  for (let r = 0; r < rows; r++) {
    const inRow = rowStart[r + 1]! - rowStart[r]!;
    if (inRow > 0) used.push(r);
    if (inRow > 0 && inRow < cols) complete = false;
  }
  const full = count === rows * cols;
  let edges: { rows: Int32Array; targets: Int32Array } | undefined;
  const edgeList = (): { rows: Int32Array; targets: Int32Array } => (edges ??= listEdges(blocks, lives, cols, count));
  return {
    kernel,
    target: kernelSpec.target,
    rows,
    cols,
    count,
    full,
    shape: full ? [rows, cols] : complete && used.length > 0 ? [used.length, cols] : [count],
    blocks,
    rowStart,
    usedRows: Int32Array.from(used),
    usedRowsComplete: complete,
    edges: edgeList,
    connectionAt: (row, col) => {
      if (full) return row * cols + col;
      const { targets } = edgeList();
      let [low, high] = [rowStart[row]!, rowStart[row + 1]! - 1];
      while (low <= high) {
        const middle = (low + high) >> 1;
        const t = targets[middle]!;
        if (t === col) return middle;
        if (t < col) low = middle + 1;
        else high = middle - 1;
      }
      return -1;
    },
  };
}

function listEdges(blocks: readonly BlockSlice[], lives: readonly (Uint32Array | "full")[], cols: number, count: number): { rows: Int32Array; targets: Int32Array } {
  const rows = new Int32Array(count);
  const targets = new Int32Array(count);
  blocks.forEach((slice, i) => {
    const live = lives[i]!;
    let e = slice.first;
    if (live === "full") {
      for (let r = 0; r < slice.sourceSize; r++) {
        for (let c = 0; c < cols; c++, e++) {
          rows[e] = slice.rowOffset + r;
          targets[e] = c;
        }
      }
      return;
    }
    for (const entry of live) {
      rows[e] = slice.rowOffset + Math.floor(entry / cols);
      targets[e++] = entry % cols;
    }
  });
  return { rows, targets };
}

function liveEntries(encoded: string, size: number, block: string): Uint32Array | "full" {
  if (encoded === FULL_MASK) return "full";
  if (encoded === EMPTY_MASK) return new Uint32Array(0);
  let values: number[];
  try {
    values = decodeIntegers(encoded);
  } catch (error) {
    throw new BlockMaskError(`the mask of block '${block}' cannot be decoded: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let previous = -1;
  for (const index of values) {
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      throw new BlockMaskError(`the mask of block '${block}' cannot be decoded: mask entry ${index} is outside a mask of ${size} entries`);
    }
    if (index <= previous) throw new BlockMaskError(`the mask of block '${block}' cannot be decoded: entries must ascend, but ${index} follows ${previous}`);
    previous = index;
  }
  return Uint32Array.from(values);
}

/**
 * Calls `visit` for each connection of a block: its index in the kernel and
 * its row-major entry in the block's [sourceSize, cols] matrix.
 */
export function forEachBlockConnection(layout: KernelLayout, slice: BlockSlice, visit: (connection: number, entry: number) => void): void {
  const end = slice.first + slice.count;
  if (layout.full || slice.count === slice.sourceSize * layout.cols) {
    for (let e = slice.first; e < end; e++) visit(e, e - slice.first);
    return;
  }
  const { rows, targets } = layout.edges();
  for (let e = slice.first; e < end; e++) visit(e, (rows[e]! - slice.rowOffset) * layout.cols + targets[e]!);
}

/** Values per connection laid out as the fused row-major [rows, cols] matrix (0 off the structure). */
export function toFused(layout: KernelLayout, values: ArrayLike<number>): Float32Array {
  if (layout.full) return Float32Array.from(values);
  const out = new Float32Array(layout.rows * layout.cols);
  const { rows, targets } = layout.edges();
  for (let e = 0; e < layout.count; e++) out[rows[e]! * layout.cols + targets[e]!] = values[e]!;
  return out;
}

/** The values at a kernel's connections, from a fused row-major [rows, cols] matrix. */
export function fromFused(layout: KernelLayout, fused: ArrayLike<number>): Float32Array {
  if (layout.full) return Float32Array.from(fused);
  const { rows, targets } = layout.edges();
  return Float32Array.from(targets, (t, e) => fused[rows[e]! * layout.cols + t]!);
}

/** The blocks of a kernel whose masks are learned (the spec's `learnable`); empty for a kernel without connections. */
export function learnableBlocks(spec: NetworkSpec, layout: KernelLayout): BlockSlice[] {
  const names = new Set(spec.learnable?.blocks ?? []);
  return layout.count === 0 ? [] : layout.blocks.filter((b) => names.has(b.name));
}

/**
 * The parameters a network allocates, without building it: a weight per
 * structural connection, a bias per neuron of every computed layer plus a
 * gain and shift where it is normalised, and two logits per connection of
 * blocks with learnable masks. The same under every execution and backend.
 */
export function plannedParameters(spec: NetworkSpec): { weights: number; biases: number; maskLogits: number; live: number } {
  let [weights, biases, maskLogits] = [0, 0, 0];
  for (const layout of networkLayout(spec)) {
    weights += layout.count;
    const normalised = spec.layerNorm && spec.layers[layout.target]!.origin.kind !== "output" && layout.cols > 1;
    biases += layout.cols * (normalised ? 3 : 1);
    if (learnableBlocks(spec, layout).length > 0) maskLogits += 2 * layout.count;
  }
  return { weights, biases, maskLogits, live: weights };
}
