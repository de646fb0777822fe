import type { Model } from "../model.js";

/** Where a block's entries sit inside its kernel's fused weight: rows [rowOffset, rowOffset + sourceSize) of `cols` columns. */
export interface BlockPlace {
  readonly block: string;
  readonly weight: string;
  readonly rowOffset: number;
  readonly sourceSize: number;
  readonly cols: number;
}

/** Each block's place in the fused weight of the kernel that computes its target, in spec order. */
export function blockPlaces(model: Model): Map<string, BlockPlace> {
  const places = new Map<string, BlockPlace>();
  const { spec } = model;
  for (const kernel of spec.kernels) {
    const target = spec.layers[kernel.target]!;
    let rowOffset = 0;
    for (const b of kernel.blocks) {
      const block = spec.blocks[b]!;
      const sourceSize = spec.layers[block.source]!.size;
      places.set(block.name, { block: block.name, weight: `${target.name}.weight`, rowOffset, sourceSize, cols: target.size });
      rowOffset += sourceSize;
    }
  }
  return places;
}

/** A block's slice, row-major `[sourceSize, cols]`, of a fused `[rows, cols]` array. */
export function blockSlice(fused: ArrayLike<number>, place: BlockPlace): Float32Array {
  const start = place.rowOffset * place.cols;
  const slice = new Float32Array(place.sourceSize * place.cols);
  for (let i = 0; i < slice.length; i++) slice[i] = fused[start + i]!;
  return slice;
}
