/**
 * A recurrent stack carried whole into the grown network. Growth widens a
 * network's structure (its graph-made dense layers); recurrent layers keep
 * their sizes, so every weight, bias, mask and learned mask logit is the old
 * one, entry for entry. A stack of other kinds or sizes is refused: its
 * neurons would have no correspondence to follow.
 */
import type { Model, RecurrentInfo } from "../model.js";
import type { CarriedLogits } from "./carried-logits.js";
import { writeVariable } from "../storage/blocks.js";

const describe = (layer: RecurrentInfo | undefined): string => (layer === undefined ? "no such layer" : `${layer.kind}, ${layer.inputs} inputs, ${layer.hidden} hidden`);

function checkSameStack(old: Model, grown: Model): void {
  const count = Math.max(old.recurrent.length, grown.recurrent.length);
  for (let i = 0; i < count; i++) {
    const [before, after] = [old.recurrent[i], grown.recurrent[i]];
    if (before?.name === after?.name && before?.kind === after?.kind && before?.inputs === after?.inputs && before?.hidden === after?.hidden) continue;
    const name = after?.name ?? before!.name;
    throw new Error(
      `growInto: recurrent layer '${name}' is ${describe(before)} in '${old.name}' but ${describe(after)} in '${grown.name}'; growth widens the structure, recurrent layers keep their sizes`,
    );
  }
}

function copyParameter(old: Model, grown: Model, name: string): void {
  const from = old.parameters.find((p) => p.name === name)!.variable;
  writeVariable(grown.parameters.find((p) => p.name === name)!.variable, from.dataSync() as Float32Array);
}

/** Copies every recurrent layer's parameters, masks and logits from `old` into `grown`. */
export function transferRecurrent(old: Model, grown: Model, logits: CarriedLogits): void {
  checkSameStack(old, grown);
  for (const layer of grown.recurrent) {
    for (const what of ["inputWeight", "hiddenWeight", "bias"]) copyParameter(old, grown, `${layer.name}.${what}`);
    for (const { name, shape } of layer.masks) {
      // The static mask (learned masks are held open while growing: carried-logits.ts); weights under its zeros are stored as 0 already.
      grown.setMask(name, old.getMask(name));
      for (let entry = 0; entry < shape[0] * shape[1]; entry++) logits.carry(name, entry, entry);
    }
  }
}
