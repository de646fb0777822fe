import { describe, expect, it } from "vitest";
import { createNetwork, growInto, tf, type Model } from "../../runtime/index.js";
import { analyze, networkSpec } from "../../src/index.js";

const source = (scale: number, graph = "edges { 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3, 0 -> 3 }"): string => `
  cell block = [conv(4, kernel=3, padding=same), batch_norm(), conv(4, kernel=3, padding=same), batch_norm()]
  graph base = ${graph}
  graph g = scalable(base, scale=${scale})
  network N { input [1, 6, 6]  features [conv(3, kernel=3, padding=same)]  structure g  cells block  head 5  output 3 }`;

function spec(text: string) {
  const { plans, diagnostics } = analyze(text);
  expect(diagnostics).toEqual([]);
  return networkSpec(plans![0]!);
}

function values(model: Model, name: string): Float32Array {
  return (model.parameters.find((p) => p.name === name) ?? model.state.find((p) => p.name === name))!.variable.dataSync() as Float32Array;
}

async function trained(): Promise<Model> {
  const model = await createNetwork(spec(source(8)), { backend: "cpu", seed: 1 });
  // Training-mode passes move every batch norm's running statistics away from 0 and 1.
  for (let i = 0; i < 3; i++) tf.dispose(model.predict(tf.randomUniform([4, 1, 6, 6], 0, 1, "float32", i), { training: true }));
  return model;
}

describe("growInto for a cell network", () => {
  it("widens every cell at the larger scale and keeps the outputs (zero mode, inference), each old weight, mask and statistic in place", async () => {
    const small = await trained();
    const mask = small.getMask("cell3.conv1").map((m, i) => (i % 7 === 0 ? 0 : m));
    small.setMask("cell3.conv1", mask);
    const big = await growInto(small, spec(source(16)), { seed: 2 });
    expect(small.features.find((f) => f.name === "cell3.conv1")!.weightShape).toEqual([3, 3, 6, 2]);
    expect(big.features.find((f) => f.name === "cell3.conv1")!.weightShape).toEqual([3, 3, 12, 4]);
    const x = tf.randomUniform([5, 1, 6, 6], 0, 1, "float32", 7);
    const [a, b] = [small.predict(x).dataSync(), big.predict(x).dataSync()];
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 5);
    // cell3 reads cells 0, 1, 2 (2 channels each, now 4): old input channel 2 (cell 1's first) is new channel 4.
    const [oldW, newW] = [values(small, "cell3.conv1.weight"), values(big, "cell3.conv1.weight")];
    expect(newW[(0 * 12 + 4) * 4 + 1]).toBe(oldW[(0 * 6 + 2) * 2 + 1]);
    expect(newW[(0 * 12 + 2) * 4 + 1]).toBe(0);
    expect(big.getMask("cell3.conv1")[(0 * 12 + 0) * 4 + 0]).toBe(mask[0]);
    expect(Array.from(values(big, "cell2.bn2.runningVariance").slice(0, 2))).toEqual(Array.from(values(small, "cell2.bn2.runningVariance")));
    expect(Array.from(values(big, "cell2.bn2.runningVariance").slice(2))).toEqual([1, 1]);
    expect(Array.from(values(big, "conv1.weight"))).toEqual(Array.from(values(small, "conv1.weight")));
    tf.dispose(x);
    small.dispose();
    big.dispose();
  });

  it("draws the weights out of new channels too in fresh mode, so the outputs change", async () => {
    const small = await trained();
    const big = await growInto(small, spec(source(16)), { seed: 2, mode: "fresh" });
    const x = tf.randomUniform([5, 1, 6, 6], 0, 1, "float32", 7);
    expect(Array.from(big.predict(x).dataSync())).not.toEqual(Array.from(small.predict(x).dataSync()));
    tf.dispose(x);
    small.dispose();
    big.dispose();
  });

  it("refuses a cell network over another graph", async () => {
    const small = await trained();
    await expect(growInto(small, spec(source(16, "edges { 0 -> 1, 1 -> 2, 2 -> 3 }")))).rejects.toThrow(/cell networks are over different graphs/);
    small.dispose();
  });
});
