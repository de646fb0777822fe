import { describe, expect, it } from "vitest";
import { tf, type Model } from "../../runtime/index.js";
import { buildModel } from "../support/models.js";

const STEPS = 5;
const FEATURES = 2;

/** Copies every trainable parameter of `from` into `to` (same stack, same sizes, by position). */
function copyParameters(from: Model, to: Model): void {
  expect(to.parameters.map((p) => p.name)).toEqual(from.parameters.map((p) => p.name));
  from.parameters.forEach((p, i) => to.parameters[i]!.variable.assign(p.variable));
}

/** One sample's real steps, then padding whose values are noise (7, -3, …) so that only the flag can hide them. */
function paddedSample(values: number[][], length: number): number[] {
  const rows: number[] = [];
  for (let t = 0; t < STEPS; t++) {
    if (t < length) rows.push(...values[t]!, 1);
    else rows.push(7 - t, -3 * t, 0);
  }
  return rows;
}

const values: number[][] = Array.from({ length: STEPS }, (_, t) => Array.from({ length: FEATURES }, (_, f) => Math.sin(1 + t * FEATURES + f)));

describe("sequences of different lengths in one batch (padded=true)", () => {
  for (const call of ["rnn(hidden=[4, 3]", "gru(hidden=[4, 3]", "lstm(hidden=[4, 3]"]) {
    it(`${call}): each sample's output is its own real steps', padding does not change the state`, async () => {
      const padded = await buildModel(`network P { input [${STEPS}, ${FEATURES + 1}] recurrent ${call}, padded=true) output 2 }`, { seed: 5 });
      const lengths = [1, 3, 5, 2];
      const batch = tf.tensor3d(
        lengths.flatMap((length) => paddedSample(values, length)),
        [lengths.length, STEPS, FEATURES + 1],
      );
      const out = padded.predict(batch).arraySync() as number[][];
      for (const [i, length] of lengths.entries()) {
        const plain = await buildModel(`network Q { input [${length}, ${FEATURES}] recurrent ${call}) output 2 }`, { seed: 0 });
        copyParameters(padded, plain);
        const alone = plain.predict(tf.tensor3d(values.slice(0, length).flat(), [1, length, FEATURES])).arraySync() as number[][];
        expect(out[i]![0]).toBeCloseTo(alone[0]![0]!, 5);
        expect(out[i]![1]).toBeCloseTo(alone[0]![1]!, 5);
        plain.dispose();
      }
      padded.dispose();
    });
  }

  it("sends no gradient into the padding steps' values", async () => {
    const model = await buildModel(`network P { input [${STEPS}, ${FEATURES + 1}] recurrent gru(hidden=3, padded=true) output 2 }`, { seed: 1 });
    const x = tf.tensor3d(paddedSample(values, 2), [1, STEPS, FEATURES + 1]);
    const grad = tf
      .grad((input: tf.Tensor) => tf.sum(model.predict(input as tf.Tensor3D)))(x)
      .arraySync() as number[][][];
    for (let t = 0; t < STEPS; t++) {
      const moved = grad[0]![t]!.slice(0, FEATURES).some((g) => Math.abs(g) > 0);
      expect(moved).toBe(t < 2);
    }
    model.dispose();
  });

  it("outputs zeros at padding steps with output=all", async () => {
    const source = `network P { input [${STEPS}, ${FEATURES + 1}] recurrent rnn(hidden=3, output=all, padded=true) output 2 }`;
    const model = await buildModel(source, { seed: 2 });
    const a = model.predict(tf.tensor3d(paddedSample(values, 2), [1, STEPS, FEATURES + 1])).arraySync();
    // The dense output reads every step; padding steps add nothing, so the noise in them cannot move it.
    const quiet = paddedSample(values, 2).map((v, k) => (Math.floor(k / (FEATURES + 1)) >= 2 ? 0 : v));
    const b = model.predict(tf.tensor3d(quiet, [1, STEPS, FEATURES + 1])).arraySync();
    expect(a).toEqual(b);
    model.dispose();
  });
});
