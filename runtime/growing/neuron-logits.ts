/**
 * Which old entry each entry of a grown block comes from when growNeurons
 * appends neurons to a layer, and the learned mask logits carried along
 * that correspondence. A dense kernel's `…maskLogits` hold two logits
 * (keep, drop) per connection in the kernel's canonical layout, which
 * changes when a layer the kernel computes or reads grows: so they are
 * carried connection by connection, as growInto carries them
 * (carried-logits.ts), not as a matrix.
 *
 * An entry between old neurons takes the old pair; in split mode a copy's
 * entries take the pairs of the neuron it copies (the copy computes with
 * that neuron's mask, static and learned, so the outputs stay); every other
 * new entry keeps what the grown network was made with, a fresh network's
 * logits.
 */
import type { BlockInfo, Model } from "../model.js";
import { connectionIndices } from "./transfer.js";

const SUFFIX = ".maskLogits";

/**
 * For `block` of the old network, the old row-major entry that grown entry
 * (r, c) comes from, or −1 for a new one: rows and columns past the old sizes
 * belong to new neurons of `layer`, which in split mode copy `split`'s.
 */
export function entrySource(block: BlockInfo, layer: string, split: readonly number[]): (r: number, c: number) => number {
  const copyOf = (index: number, size: number, grows: boolean): number => (index < size ? index : grows && split.length > 0 ? split[index - size]! : -1);
  return (r, c) => {
    const [or, oc] = [copyOf(r, block.sourceSize, block.source === layer), copyOf(c, block.targetSize, block.target === layer)];
    return or < 0 || oc < 0 ? -1 : or * block.targetSize + oc;
  };
}

/** Carries a grown network's `…maskLogits` (or an optimizer slot shaped like them): `old` into a copy of `base`. */
export type LogitCarrier = (name: string, old: Float32Array, base: Float32Array) => Float32Array;

export const isMaskLogits = (name: string): boolean => name.endsWith(SUFFIX);

/** The logit carrier from `model` into `grown`, which has neurons appended to `layer` (split: the neurons they copy). */
export function logitCarrier(model: Model, grown: Model, layer: string, split: readonly number[]): LogitCarrier {
  const [oldIndex, newIndex] = [connectionIndices(model.spec), connectionIndices(grown.spec)];
  return (name, old, base) => {
    const kernelLayer = name.slice(0, -SUFFIX.length);
    // A conv's or recurrent weight's logits keep their shape: carried whole.
    if (!model.blocks.some((block) => newIndex.get(block.name)!.layer === kernelLayer)) return Float32Array.from(old);
    const next = Float32Array.from(base);
    for (const block of model.blocks) {
      const { layer: target, at } = newIndex.get(block.name)!;
      if (target !== kernelLayer) continue;
      const oldAt = oldIndex.get(block.name)!.at;
      const cols = grown.blocks.find((b) => b.name === block.name)!.targetSize;
      const source = entrySource(block, layer, split);
      for (let i = 0; i < at.length; i++) {
        const from = at[i]! < 0 ? -1 : source(Math.floor(i / cols), i % cols);
        if (from < 0 || oldAt[from]! < 0) continue;
        next[2 * at[i]!] = old[2 * oldAt[from]!]!;
        next[2 * at[i]! + 1] = old[2 * oldAt[from]! + 1]!;
      }
    }
    return next;
  };
}
