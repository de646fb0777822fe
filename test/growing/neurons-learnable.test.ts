/**
 * growNeurons over layers whose masks learn: every old connection keeps its
 * (keep, drop) logit pair and its static mask exactly, a new neuron's
 * connections start with a fresh network's logits and live static entries,
 * a split copy's with the pairs of the neuron it copies, and the preserving
 * modes keep the outputs. keep = 0.3 is below ½, so a fresh network's logits
 * close every entry: logits left behind (or, for a split copy, fresh ones)
 * would switch weights off and change the outputs.
 */
import { describe, expect, it } from "vitest";
import { createOptimizer, createRandom, growNeurons, networkLayout, tf, type Model } from "../../runtime/index.js";
import { initialLogits } from "../../runtime/kernels/learnable-mask.js";
import { forEachBlockConnection } from "../../runtime/storage/layout.js";
import { buildModel } from "../support/models.js";

const KEEP = 0.3;
const FRESH = Array.from(initialLogits(1, KEEP, 1));
const SOURCE = `network M { input 5 dense [4, 3] output 2 mask learnable(keep=${KEEP}) }`;
const x = tf.randomUniform([6, 5], -1, 1, "float32", 11);
const y = tf.tensor1d([0, 1, 0, 1, 1, 0], "int32");

function logitsOf(model: Model, layer: string): Float32Array {
  return model.parameters.find((p) => p.name === `${layer}.maskLogits`)!.variable.dataSync() as Float32Array;
}

/** Each block's row-major entry → (its kernel's layer, connection index), read from the storage layout. */
function connections(model: Model): Map<string, { layer: string; at: Map<number, number> }> {
  const result = new Map<string, { layer: string; at: Map<number, number> }>();
  for (const layout of networkLayout(model.spec)) {
    for (const slice of layout.blocks) {
      const at = new Map<number, number>();
      forEachBlockConnection(layout, slice, (e, entry) => at.set(entry, e));
      result.set(slice.name, { layer: model.spec.layers[layout.target]!.name, at });
    }
  }
  return result;
}

/** The (keep, drop) pair of every entry of `block`, row-major. */
function pairs(model: Model, block: string): number[][] {
  const { layer, at } = connections(model).get(block)!;
  const logits = logitsOf(model, layer);
  const info = model.blocks.find((b) => b.name === block)!;
  return Array.from({ length: info.sourceSize * info.targetSize }, (_, i) => [logits[2 * at.get(i)!]!, logits[2 * at.get(i)! + 1]!]);
}

/** The static masks beneath the learned ones: every mask opened (keep 1, drop 0) on a copy of the logits, then put back. */
function staticMask(model: Model, block: string): Uint8Array {
  const held = model.parameters.filter((p) => p.name.endsWith(".maskLogits")).map((p) => [p, p.variable.dataSync().slice()] as const);
  for (const [p] of held)
    p.variable.assign(
      tf.tensor(
        Float32Array.from({ length: p.variable.size }, (_, i) => (i % 2 === 0 ? 1 : 0)),
        p.variable.shape,
      ),
    );
  const mask = model.getMask(block);
  for (const [p, values] of held) p.variable.assign(tf.tensor(values, p.variable.shape));
  return mask;
}

/** A network whose logits are as training leaves them (about half the entries closed) over a hand-pruned static mask. */
async function learned(seed: number): Promise<Model> {
  const model = await buildModel(SOURCE, { seed });
  for (const p of model.parameters.filter((q) => q.name.endsWith(".maskLogits")))
    p.variable.assign(
      tf.tensor(
        Float32Array.from({ length: p.variable.size }, (_, i) => (i % 2 === 0 ? 1 : 0)),
        p.variable.shape,
      ),
    );
  model.setMask(
    "input->dense1",
    model.getMask("input->dense1").map((m, i) => (i % 6 === 0 ? 0 : m)),
  );
  const random = createRandom(seed + 1);
  for (const p of model.parameters.filter((q) => q.name.endsWith(".maskLogits"))) {
    p.variable.assign(
      tf.tensor(
        Float32Array.from({ length: p.variable.size }, () => random.uniform(-2, 2)),
        p.variable.shape,
      ),
    );
  }
  return model;
}

function expectSameOutputs(a: Model, b: Model): void {
  const [before, after] = [a.predict(x).dataSync(), b.predict(x).dataSync()];
  for (let i = 0; i < before.length; i++) expect(after[i]).toBeCloseTo(before[i]!, 5);
}

/** Checks every entry of every block: `from(block, r, c)` is the old entry it comes from, or undefined for a fresh one. */
function expectCarried(small: Model, big: Model, from: (block: string, r: number, c: number) => [number, number] | undefined): void {
  for (const block of big.blocks) {
    const old = small.blocks.find((b) => b.name === block.name)!;
    const [oldPairs, newPairs] = [pairs(small, block.name), pairs(big, block.name)];
    const [oldMask, newMask] = [staticMask(small, block.name), staticMask(big, block.name)];
    for (let r = 0; r < block.sourceSize; r++) {
      for (let c = 0; c < block.targetSize; c++) {
        const i = r * block.targetSize + c;
        const source = from(block.name, r, c);
        const j = source === undefined ? undefined : source[0] * old.targetSize + source[1];
        expect(newPairs[i], `${block.name}[${r}, ${c}] logits`).toEqual(j === undefined ? FRESH : oldPairs[j]);
        expect(newMask[i], `${block.name}[${r}, ${c}] static mask`).toBe(j === undefined ? 1 : oldMask[j]);
      }
    }
  }
}

describe("growNeurons over learnable masks", () => {
  it("zero mode: outputs kept, old logits and static masks carried exactly, new connections a fresh network's", async () => {
    const small = await learned(1);
    const before = small.parameters.map((p) => Array.from(p.variable.dataSync()));
    const big = await growNeurons(small, "dense1", { mode: "zero", count: 3, seed: 2 });
    expect(big.layers.find((l) => l.name === "dense1")!.size).toBe(7);
    expectSameOutputs(small, big);
    expectCarried(small, big, (block, r, c) => {
      if (block === "input->dense1") return c < 4 ? [r, c] : undefined;
      if (block === "dense1->dense2") return r < 4 ? [r, c] : undefined;
      return [r, c];
    });
    // The old network keeps its logits (its masks were held open only while read).
    expect(small.parameters.map((p) => Array.from(p.variable.dataSync()))).toEqual(before);
  });

  it("split mode: each copy takes the logits and static mask of the neuron it copies, so the outputs stay", async () => {
    const small = await learned(3);
    const big = await growNeurons(small, "dense2", { mode: "split", split: [0, 2] });
    expectSameOutputs(small, big);
    const copied = (n: number): number => (n < 3 ? n : [0, 2][n - 3]!);
    expectCarried(small, big, (block, r, c) => {
      if (block === "dense1->dense2") return [r, copied(c)];
      if (block === "dense2->output") return [copied(r), c];
      return [r, c];
    });
  });

  it("fresh mode with Adam: the logits' moments carried at old connections and 0 at new ones, and training goes on", async () => {
    const small = await learned(5);
    const optimizer = createOptimizer("adam");
    await small.fit({ x, y }, { epochs: 1, batchSize: 3, optimizer });
    const moment = async (model: Model, layer: string): Promise<Float32Array> => {
      const name = model.parameters.find((p) => p.name === `${layer}.maskLogits`)!.variable.name;
      return (await optimizer.getWeights()).find((w) => w.name === `${name}/m`)!.tensor.dataSync() as Float32Array;
    };
    const oldMoment = (await moment(small, "dense2")).slice();
    expect(oldMoment.some((v) => v !== 0)).toBe(true);
    const big = await growNeurons(small, "dense1", { mode: "fresh", count: 2, seed: 4, optimizer });
    expectCarried(small, big, (block, r, c) => {
      if (block === "input->dense1") return c < 4 ? [r, c] : undefined;
      if (block === "dense1->dense2") return r < 4 ? [r, c] : undefined;
      return [r, c];
    });
    const newMoment = await moment(big, "dense2");
    const [oldAt, newAt] = [connections(small).get("dense1->dense2")!.at, connections(big).get("dense1->dense2")!.at];
    for (let r = 0; r < 6; r++) {
      for (let c = 0; c < 3; c++) {
        const e = newAt.get(r * 3 + c)!;
        const expected = r < 4 ? [oldMoment[2 * oldAt.get(r * 3 + c)!], oldMoment[2 * oldAt.get(r * 3 + c)! + 1]] : [0, 0];
        expect([newMoment[2 * e], newMoment[2 * e + 1]], `moment [${r}, ${c}]`).toEqual(expected);
      }
    }
    const trained = logitsOf(big, "dense2").slice();
    const history = await big.fit({ x, y }, { epochs: 1, batchSize: 3, optimizer });
    expect(Number.isFinite(history.epochs[0]!.loss)).toBe(true);
    expect(Array.from(logitsOf(big, "dense2"))).not.toEqual(Array.from(trained));
    optimizer.dispose();
  });
});

describe("growNeurons after a conv stem or a recurrent layer", () => {
  const everything = (model: Model): Map<string, number[]> => new Map([...model.parameters, ...model.state].map((p) => [p.name, Array.from(p.variable.dataSync())]));

  it.each([
    ["conv stem with batch norm", `network C { input [1, 6, 6] features [conv(3, kernel=3), batch_norm(), max_pool(2)] dense 4 output 2 mask learnable(keep=${KEEP}) }`, "conv1"],
    ["gru", `network R { input [4, 3] recurrent gru(hidden=[4]) dense 4 output 2 mask learnable(keep=${KEEP}) }`, "gru1.hidden"],
  ])("%s: its weights, statistics, static mask and logits carried unchanged, the dense ones as before, and the outputs kept", async (_, source, masked) => {
    const small = await buildModel(source, { seed: 7 });
    for (const p of small.parameters.filter((q) => q.name.endsWith(".maskLogits")))
      p.variable.assign(
        tf.tensor(
          Float32Array.from({ length: p.variable.size }, (_, i) => (i % 2 === 0 ? 1 : 0)),
          p.variable.shape,
        ),
      );
    small.setMask(
      masked,
      small.getMask(masked).map((m, i) => (i % 4 === 0 ? 0 : m)),
    );
    const random = createRandom(8);
    for (const p of small.parameters.filter((q) => q.name.endsWith(".maskLogits")))
      p.variable.assign(
        tf.tensor(
          Float32Array.from({ length: p.variable.size }, () => random.uniform(-2, 2)),
          p.variable.shape,
        ),
      );
    const input = tf.randomUniform([5, ...small.inputShape], 0, 1, "float32", 9);
    for (let i = 0; i < 3; i++) tf.dispose(small.predict(input, { training: true })); // running statistics away from 0 and 1
    const big = await growNeurons(small, "dense1", { mode: "zero", count: 2, seed: 3 });
    const [before, after] = [everything(small), everything(big)];
    const unchanged = [...before.keys()].filter((name) => !name.startsWith("dense1.") && !name.startsWith("output."));
    expect(unchanged.length).toBeGreaterThan(2);
    for (const name of unchanged) expect(after.get(name), name).toEqual(before.get(name));
    expect(staticMask(big, masked)).toEqual(staticMask(small, masked));
    expect(staticMask(small, masked).filter((m) => m === 0).length).toBeGreaterThan(0);
    expectCarried(small, big, (block, r, c) => {
      if (block.endsWith("->dense1")) return c < 4 ? [r, c] : undefined;
      if (block === "dense1->output") return r < 4 ? [r, c] : undefined;
      return [r, c];
    });
    const [a, b] = [small.predict(input).dataSync(), big.predict(input).dataSync()];
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
    tf.dispose(input);
  });
});
