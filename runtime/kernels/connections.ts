/**
 * A kernel's structural connections, read from its blocks' encoded masks
 * without ever holding a rows × columns array unless the kernel runs dense:
 * a sparse kernel's memory follows its connections from the start. Shared by
 * the runtime (building networks) and `plannedParameters` (counting them).
 */
import { decodeIntegers, EMPTY_MASK, FULL_MASK } from "../masks/codec.js";
import type { KernelSpec, NetworkSpec } from "../spec.js";

interface BlockConnections {
  /** First fused row of the block. */
  readonly rowOffset: number;
  readonly sourceSize: number;
  /** Live entries (row-major within the block, ascending), or every entry. */
  readonly live: Uint32Array | "full";
}

export interface KernelConnections {
  /** Fused rows (the blocks' source sizes added up) and columns (the target layer's size). */
  readonly rows: number;
  readonly cols: number;
  readonly edges: number;
  /** Rows with at least one connection: the rows a packed kernel multiplies. */
  readonly usedRows: number;
  /** The connections' fused rows and target columns, ordered by row, then column. */
  edgeList(): { readonly rows: Int32Array; readonly targets: Int32Array };
  /** The fused 0/1 mask, row-major [rows, cols]. */
  denseMask(): Uint8Array;
}

/** Thrown for a mask that does not decode; names the block. */
export class BlockMaskError extends Error {
  override name = "BlockMaskError";
}

export function kernelConnections(spec: NetworkSpec, kernel: KernelSpec): KernelConnections {
  const cols = spec.layers[kernel.target]!.size;
  const blocks: BlockConnections[] = [];
  let rows = 0;
  let edges = 0;
  let usedRows = 0;
  for (const b of kernel.blocks) {
    const block = spec.blocks[b]!;
    const sourceSize = spec.layers[block.source]!.size;
    const live = liveEntries(block.mask, sourceSize * cols, block.name);
    blocks.push({ rowOffset: rows, sourceSize, live });
    rows += sourceSize;
    if (live === "full") {
      edges += sourceSize * cols;
      usedRows += cols > 0 ? sourceSize : 0;
      continue;
    }
    edges += live.length;
    let lastRow = -1;
    for (const i of live) {
      const row = Math.floor(i / cols);
      if (row !== lastRow) usedRows++;
      lastRow = row;
    }
  }
  return {
    rows,
    cols,
    edges,
    usedRows,
    edgeList: () => {
      const edgeRows = new Int32Array(edges);
      const targets = new Int32Array(edges);
      let e = 0;
      for (const block of blocks) {
        if (block.live === "full") {
          for (let r = 0; r < block.sourceSize; r++) {
            for (let c = 0; c < cols; c++, e++) {
              edgeRows[e] = block.rowOffset + r;
              targets[e] = c;
            }
          }
          continue;
        }
        for (const i of block.live) {
          edgeRows[e] = block.rowOffset + Math.floor(i / cols);
          targets[e++] = i % cols;
        }
      }
      return { rows: edgeRows, targets };
    },
    denseMask: () => {
      const mask = new Uint8Array(rows * cols);
      for (const block of blocks) {
        const start = block.rowOffset * cols;
        if (block.live === "full") mask.fill(1, start, start + block.sourceSize * cols);
        else for (const i of block.live) mask[start + i] = 1;
      }
      return mask;
    },
  };
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
