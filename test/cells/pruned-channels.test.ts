/**
 * A cell network with pruned output channels (in a source cell, in inner
 * cells, in the head's conv) runs without them: its outputs, gradients and
 * batch-norm running statistics are those of the same network computing
 * every channel with the pruned weights zeroed, and its convs are handed
 * only their live filters (all of them when some conv has none live).
 */
import { describe, expect, it, vi } from "vitest";
import { tf, type Model } from "../../runtime/index.js";
import type { Tensor4D } from "@tensorflow/tfjs-core";
import { buildModel } from "../support/models.js";

/** Every batch-sized conv call's [input batch, filters handed over]: what the forward computed. */
const calls = vi.hoisted(() => [] as [number, number][]);
vi.mock("../../runtime/kernels/conv/masked-conv.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../runtime/kernels/conv/masked-conv.js")>();
  return {
    ...actual,
    maskedConv2d: (...args: Parameters<typeof actual.maskedConv2d>) => {
      calls.push([args[0].shape[0], args[1].shape[3]]);
      return actual.maskedConv2d(...args);
    },
  };
});

/**
 * Cells that start and end with batch norm and pool: cell 2 reads cell 0's
 * and cell 4's 4×4 maps and cell 1's 2×2 ones (zero-padded below and
 * right), so a pruned channel of cell 1 is no longer the same everywhere
 * when cell 2's first batch norm reads it. Sinks 2 and 3 feed the head.
 */
const SOURCE = `
  cell c = [batch_norm(epsilon=0.1), conv(4, kernel=3, padding=same), batch_norm(epsilon=0.1), max_pool(2)]
  graph g = edges { 0 -> 1, 1 -> 2, 0 -> 2, 4 -> 2, 0 -> 3 }
  network N { input [2, 8, 8]  structure g  cells c  head 5  output 3 }`;

/** Pruned output channels by conv: sources 0 and 4, inner cells 1 and 2, the head; cell 3 keeps all. */
const PRUNED: Record<string, readonly number[]> = { "cell0.conv1": [1, 3], "cell4.conv1": [2], "cell1.conv1": [0, 1, 3], "cell2.conv1": [0], "head.conv": [1, 4] };

const BATCH = 6;

/** Conv biases a training-mode batch norm reads straight away. */
const BIAS_BEFORE_NORM = /^(cell\d+\.conv1|head\.conv)\.bias$/;

function variable(model: Model, name: string): tf.Variable {
  const found = [...model.parameters, ...model.state].find((p) => p.name === name);
  if (found === undefined) throw new Error(`no parameter ${name}`);
  return found.variable;
}

/** The mask of `conv` with its `channels` wholly pruned and, where `sparse`, one weight in seven besides. */
function channelMask(model: Model, conv: string, channels: readonly number[], sparse: boolean): Uint8Array {
  const [kh, kw, cin, cout] = model.features.find((f) => f.name === conv)!.weightShape!;
  return Uint8Array.from({ length: kh * kw * cin * cout }, (_, k) => (channels.includes(k % cout) || (sparse && k % 7 === 3) ? 0 : 1));
}

/**
 * Two networks of the same seed, every bias, gain and shift set alike to
 * seeded multiples of 1/16: one pruned, one with those weights zeroed.
 * Multiples of 1/16 keep the zeroed network's pruned channels exact: a
 * batch norm divides their rounding by √(ε + 0), 316× at the default ε,
 * and ε = 0.1 in the cells keeps that within 1e-5.
 */
async function pair(backend: "cpu" | "wasm" = "cpu", pruning: Record<string, readonly number[]> = PRUNED): Promise<{ pruned: Model; zeroed: Model }> {
  const [pruned, zeroed] = [await buildModel(SOURCE, { seed: 3, backend }), await buildModel(SOURCE, { seed: 3, backend })] as [Model, Model];
  pruned.parameters
    .filter((p) => /\.(bias|gain|shift)$/.test(p.name))
    .forEach((p, i) => {
      // Gains in [0.5, 1.5], biases in [-0.5, 0.5], shifts in [1/16, 1/2]: positive, so a pruned channel passes the relu after its norm.
      const sixteenths = (low: number, high: number): tf.Tensor => tf.div(tf.round(tf.randomUniform(p.variable.shape, low, high, "float32", 100 + i)), 16);
      p.variable.assign(p.name.endsWith(".gain") ? sixteenths(8, 24) : p.name.endsWith(".shift") ? sixteenths(1, 8) : sixteenths(-8, 8));
      variable(zeroed, p.name).assign(p.variable);
    });
  for (const [conv, channels] of Object.entries(pruning)) {
    const mask = channelMask(pruned, conv, channels, conv !== "head.conv");
    pruned.setMask(conv, mask);
    const weight = variable(zeroed, `${conv}.weight`);
    weight.assign(tf.mul(weight, tf.tensor(mask, weight.shape, "float32")));
  }
  return { pruned, zeroed };
}

function maxDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/** A training-mode loss's value and gradients (conv weights' only at live entries), and the running statistics after it. */
function trainingStep(model: Model, masks: Model, x: tf.Tensor, r: tf.Tensor): Map<string, tf.Tensor> {
  const variables = model.parameters.map((p) => p.variable);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.predict(x, { training: true }), r)) as tf.Scalar, variables);
  const result = new Map<string, tf.Tensor>([["loss", value]]);
  model.parameters.forEach((p) => {
    const grad = grads[p.variable.name]!;
    const conv = p.name.replace(/\.weight$/, "");
    const live = p.name.endsWith(".weight") && masks.features.some((f) => f.name === conv);
    result.set(p.name, live ? tf.mul(grad, tf.tensor(masks.getMask(conv), grad.shape, "float32")) : grad);
  });
  model.state.forEach((s) => result.set(s.name, tf.clone(s.variable)));
  return result;
}

describe("a cell network with pruned output channels", () => {
  it.each(["cpu", "wasm"] as const)(
    "matches the same network computing every channel with the pruned weights zeroed: outputs, gradients, running statistics, both modes (%s)",
    async (backend) => {
      const { pruned, zeroed } = await pair(backend);
      const x = tf.randomUniform([BATCH, 2, 8, 8], 0, 1, "float32", 1);
      const r = tf.randomNormal([BATCH, 3], 0, 1, "float32", 2);
      // Twice: the second step's batch norms start from the running statistics the first one moved.
      for (let step = 0; step < 2; step++) {
        const [a, b] = [trainingStep(pruned, pruned, x, r), trainingStep(zeroed, pruned, x, r)];
        expect([...a.keys()]).toEqual([...b.keys()]);
        expect(a.size).toBe(1 + pruned.parameters.length + pruned.state.length);
        for (const [name, value] of a) {
          const difference = maxDifference(value, b.get(name)!);
          if (!BIAS_BEFORE_NORM.test(name)) expect([name, difference]).toEqual([name, expect.closeTo(0, 5)]);
          else {
            // The norm takes the bias out again: its gradient is exactly 0, ours within 1e-5 of it. The zeroed network's
            // computed pruned channel gives it rounding over √ε (6e-5 on WASM through the head's norm, ε = 1e-5): checked to 1e-3.
            expect([name, tf.max(tf.abs(value)).dataSync()[0]]).toEqual([name, expect.closeTo(0, 5)]);
            expect([name, difference]).toEqual([name, expect.closeTo(0, 3)]);
          }
        }
        // A pruned channel's batch-norm shift reaches the loss through cell 2's norm of the padded maps: it has a gradient.
        expect(Math.abs(a.get("cell1.bn2.shift")!.dataSync()[0]!)).toBeGreaterThan(1e-3);
        tf.dispose([...a.values(), ...b.values()]);
      }
      for (const name of ["cell0.bn1.runningMean", "cell2.bn1.runningVariance", "cell2.bn2.runningMean", "head.bn.runningVariance"]) {
        const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(variable(pruned, name), name.endsWith("Mean") ? 0 : 1))).dataSync()[0]!);
        expect(moved).toBeGreaterThan(1e-3);
      }
      const [p, z] = [pruned.predict(x), zeroed.predict(x)];
      expect(maxDifference(p, z)).toBeLessThan(1e-5);
      expect(tf.max(tf.abs(p)).dataSync()[0]).toBeGreaterThan(1e-2);
      tf.dispose([x, r, p, z]);
      pruned.dispose();
      zeroed.dispose();
    },
  );

  it("hands each conv only its live filters: the pruned channels are not computed", async () => {
    const { pruned, zeroed } = await pair();
    const x = tf.randomUniform([BATCH, 2, 8, 8], 0, 1, "float32", 1);
    const computed = (model: Model, training: boolean): number => {
      calls.length = 0;
      tf.dispose(model.predict(x, { training }));
      return calls.filter(([batch]) => batch === BATCH).reduce((n, [, filters]) => n + filters, 0);
    };
    const all = pruned.features.reduce((n, f) => n + (f.weightShape?.[3] ?? 0), 0);
    const prunedCount = Object.values(PRUNED).reduce((n, c) => n + c.length, 0);
    for (const training of [false, true]) {
      expect(computed(zeroed, training)).toBe(all);
      expect(computed(pruned, training)).toBe(all - prunedCount);
    }
    tf.dispose(x);
    pruned.dispose();
    zeroed.dispose();
  });

  it("computes every channel when some conv has none live, with the same outputs in both modes", async () => {
    const { pruned, zeroed } = await pair("cpu", { ...PRUNED, "cell3.conv1": [0, 1, 2, 3] });
    const x = tf.randomUniform([BATCH, 2, 8, 8], 0, 1, "float32", 1);
    calls.length = 0;
    tf.dispose(pruned.predict(x));
    expect(calls.filter(([batch]) => batch === BATCH).reduce((n, [, filters]) => n + filters, 0)).toBe(pruned.features.reduce((n, f) => n + (f.weightShape?.[3] ?? 0), 0));
    for (const training of [true, false]) {
      const [p, z] = [pruned.predict(x, { training }), zeroed.predict(x, { training })];
      expect(maxDifference(p, z)).toBeLessThan(1e-5);
      tf.dispose([p, z]);
    }
    tf.dispose(x);
    pruned.dispose();
    zeroed.dispose();
  });
  it("an inference pass after the first reads what the first remembered: no gathers, no tensors kept beyond it, all freed with the model", async () => {
    const x = tf.randomUniform([BATCH, 2, 8, 8], 0, 1, "float32", 1);
    const base = tf.memory().numTensors;
    const unused = await pair();
    unused.pruned.dispose();
    unused.zeroed.dispose();
    // What building, setting up and disposing a pair leaves (pair's own temporaries): the same again below, nothing more.
    const leftByPair = tf.memory().numTensors - base;
    const beforePair = tf.memory().numTensors;
    const { pruned, zeroed } = await pair();
    const gathers = async (): Promise<number> => (await tf.profile(() => tf.dispose(pruned.predict(x)))).kernels.filter((k) => k.name === "GatherV2").length;
    expect(await gathers()).toBeGreaterThan(0);
    const kept = tf.memory().numTensors;
    expect(await gathers()).toBe(0);
    expect(tf.memory().numTensors).toBe(kept);
    // A changed mask is read afresh: its conv's filters and every constant downstream of it.
    pruned.setMask("cell1.conv1", channelMask(pruned, "cell1.conv1", [0, 1], true));
    expect(await gathers()).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(kept);
    pruned.dispose();
    zeroed.dispose();
    expect(tf.memory().numTensors - beforePair).toBe(leftByPair);
    tf.dispose(x);
  });

  it("recomputes what it remembered when parameters, masks or running statistics change, matching the zeroed network each time", async () => {
    const { pruned, zeroed } = await pair();
    const x = tf.randomUniform([BATCH, 2, 8, 8], 0, 1, "float32", 1);
    const agree = (): void => {
      const [p, z] = [pruned.predict(x), zeroed.predict(x)];
      expect(maxDifference(p, z)).toBeLessThan(1e-5);
      tf.dispose([p, z]);
    };
    agree();
    // As an optimizer would: new values for a pruned conv's bias (its constants) and a norm's shift, in both networks.
    for (const [name, value] of [
      ["cell0.conv1.bias", 0.25],
      ["cell2.bn1.shift", -0.125],
    ] as const) {
      const changed = tf.add(variable(pruned, name), value);
      [pruned, zeroed].forEach((m) => variable(m, name).assign(changed));
      changed.dispose();
    }
    agree();
    // Another channel pruned: the pruned network's mask, the zeroed network's weights.
    const mask = channelMask(pruned, "cell3.conv1", [2], false);
    pruned.setMask("cell3.conv1", mask);
    const weight = variable(zeroed, "cell3.conv1.weight");
    weight.assign(tf.mul(weight, tf.tensor(mask, weight.shape, "float32")));
    agree();
    // A training-mode pass outside any gradient moves the running statistics that inference then reads.
    tf.dispose([pruned.predict(x, { training: true }), zeroed.predict(x, { training: true })]);
    agree();
    tf.dispose(x);
    pruned.dispose();
    zeroed.dispose();
  });
  it("reads the parameters an optimizer step left, in place or not: inference after fitting equals a pass computed afresh", async () => {
    for (const backend of ["cpu", "wasm"] as const) {
      const { pruned, zeroed } = await pair(backend);
      zeroed.dispose();
      const x = tf.randomUniform([BATCH, 2, 8, 8], 0, 1, "float32", 1);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], "int32"), 3);
      tf.dispose(pruned.predict(x)); // remembers the starting parameters
      // Adam: on WASM with the native part loaded, fused-adam.ts updates data no other tensor holds in place.
      await pruned.fit({ x, y }, { epochs: 2, batchSize: BATCH, optimizer: { kind: "adam", learningRate: 0.05 }, seed: 1 });
      const remembered = pruned.predict(x);
      // While a gradient is recorded nothing is remembered: the output from the parameters as they are now.
      let afresh: tf.Tensor | undefined;
      tf.variableGrads(() => {
        const out = pruned.predict(x);
        afresh = tf.keep(tf.clone(out));
        return tf.sum(out) as tf.Scalar;
      }, [pruned.parameters[0]!.variable]);
      expect([backend, maxDifference(remembered, afresh!)]).toEqual([backend, expect.closeTo(0, 6)]);
      tf.dispose([x, y, remembered, afresh!]);
      pruned.dispose();
    }
  });
});
