import { describe, expect, it } from "vitest";
import { tf } from "../../runtime/index.js";
import { createRandom } from "../../runtime/random.js";
import { buildModel } from "../support/models.js";

/** Class 1 when x0 + x1 > 0; inputs 2 … 7 are noise. */
function noisyTask(samples: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const random = createRandom(seed);
  const x = new Float32Array(samples * 8);
  const y = new Int32Array(samples);
  for (let i = 0; i < samples; i++) {
    for (let j = 0; j < 8; j++) x[i * 8 + j] = random.uniform(-1, 1);
    y[i] = x[i * 8]! + x[i * 8 + 1]! > 0 ? 1 : 0;
  }
  return { x: tf.tensor2d(x, [samples, 8]), y: tf.tensor1d(y, "int32") };
}

describe("learnable masks", () => {
  it("change during 100 training steps and end up dropping most noise inputs while keeping the informative ones", async () => {
    const model = await buildModel("network L { input 8 output 2\n  mask learnable(keep=0.9, temperature=1, penalty=0.5) }", { seed: 1 });
    expect(model.parameters.map((p) => p.name)).toContain("output.maskLogits");
    const before = model.getMask("input->output");
    expect(Array.from(before)).toEqual(new Array(16).fill(1));
    const history = await model.fit(noisyTask(400, 2), { epochs: 1, batchSize: 4, optimizer: { kind: "adam", learningRate: 0.05 } });
    const after = model.getMask("input->output");
    const noiseKept = Array.from(after.slice(4)).filter((m) => m === 1).length;
    const informativeKept = Array.from(after.slice(0, 4)).filter((m) => m === 1).length;
    expect(after).not.toEqual(before);
    expect(noiseKept).toBeLessThanOrEqual(3); // of 12
    expect(informativeKept).toBeGreaterThanOrEqual(2); // of 4: each class column keeps x0 and x1 in at least one
    expect(history.epochs[0]!.accuracy).toBeGreaterThan(0.7);
    expect(model.liveConnections()).toBe(noiseKept + informativeKept);
  });

  it("compute with the hard mask: predictions equal those of the same weights under the binary mask", async () => {
    const model = await buildModel("network H { input 8 dense 3 output 2\n  mask learnable(keep=0.6, layers=[dense1]) }", { seed: 3 });
    const logits = model.parameters.find((p) => p.name === "dense1.maskLogits")!.variable;
    logits.assign(tf.randomNormal([8, 3, 2], 0, 1, "float32", 7));
    const { x } = noisyTask(5, 4);
    const hard = model.getMask("input->dense1");
    const live = hard.reduce((a, b) => a + b, 0);
    expect(live).toBeGreaterThan(3);
    expect(live).toBeLessThan(21);
    const plain = await buildModel("network H { input 8 dense 3 output 2 }", { seed: 3 });
    plain.setMask("input->dense1", hard);
    for (const p of plain.parameters) p.variable.assign(model.parameters.find((q) => q.name === p.name)!.variable);
    // The plain model may run its masked block sparse (the cost model's choice), so sums differ in order: float32 rounding only.
    const expected = Array.from(plain.predict(x).dataSync());
    Array.from(model.predict(x).dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });
});
