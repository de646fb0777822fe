/**
 * What a custom gradient saves for its backward pass. TensorFlow.js's engine
 * runs an `Identity` kernel (and records it on the tape) for every tensor
 * saved, because a tensor made inside the differentiated function is
 * disposed when its forward pass ends. A variable or a kept tensor (a
 * binding's mask) outlives that, so it is read as it is: on a pruned
 * LeNet-300-100 step that is four of the eleven saves.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "@tensorflow/tfjs-core";

type SaveFunction = (tensors: Tensor[]) => void;

/** A tensor no `tf.tidy` disposes: a variable, or one kept with `tf.keep`. */
const outlivesTidy = (tensor: Tensor): boolean => tensor.kept || tensor instanceof tf.Variable;

/**
 * Saves those of `tensors` a tidy could dispose; the returned function
 * gives, from the backward pass's `saved`, all of `tensors` in order.
 */
export function saveForBackward(save: SaveFunction, tensors: readonly Tensor[]): (saved: readonly Tensor[]) => Tensor[] {
  const kept = tensors.map(outlivesTidy);
  save(tensors.filter((_, i) => !kept[i]));
  return (saved) => {
    let next = 0;
    return tensors.map((tensor, i) => (kept[i] ? tensor : saved[next++]!));
  };
}
