/**
 * growInto carries every per-weight state to the larger network through the
 * weights' correspondence: learned mask logits (dense blocks, stem convs, cell
 * and head convs, recurrent weights), masks, batch-norm gains, shifts and
 * running statistics. New entries get what a fresh network starts with.
 *
 * Every network learns its masks with keep = 0.3, below ½: a fresh network's
 * learned masks start closed, so logits left behind by growth would switch
 * the carried weights off and change the outputs.
 */
import { describe, expect, it } from "vitest";
import { createNetwork, createRandom, growInto, networkLayout, pruneChannels, pruneNeurons, tf, type Model } from "../../runtime/index.js";
import { initialLogits } from "../../runtime/kernels/learnable-mask.js";
import type { NetworkSpec } from "../../runtime/spec.js";
import { forEachBlockConnection } from "../../runtime/storage/layout.js";
import { analyze, networkSpec } from "../../src/index.js";

const KEEP = 0.3;
/** A fresh entry's (keep, drop) logits at temperature 1. */
const FRESH = Array.from(initialLogits(1, KEEP, 1));
const LEARNABLE = `mask learnable(keep=${KEEP})`;

function spec(text: string): NetworkSpec {
  const { plans, diagnostics } = analyze(text);
  expect(diagnostics).toEqual([]);
  return networkSpec(plans![0]!);
}

function values(model: Model, name: string): Float32Array {
  const found = model.parameters.find((p) => p.name === name) ?? model.state.find((p) => p.name === name);
  if (found === undefined) throw new Error(`no parameter '${name}' in ${model.name}`);
  return found.variable.dataSync() as Float32Array;
}

const pair = (logits: Float32Array, entry: number): number[] => [logits[2 * entry]!, logits[2 * entry + 1]!];

/** Logits as training leaves them: drawn from `seed`, so about half the entries keep and half drop. */
function learnMasks(model: Model, seed: number): void {
  const random = createRandom(seed);
  for (const p of model.parameters.filter((q) => q.name.endsWith(".maskLogits"))) {
    const drawn = tf.tensor(
      Float32Array.from({ length: p.variable.size }, () => random.uniform(-2, 2)),
      p.variable.shape,
    );
    p.variable.assign(drawn);
    drawn.dispose();
  }
}

/** Opens every learned mask (keep logit above drop), so getMask gives the static mask beneath. */
function openMasks(model: Model): void {
  for (const p of model.parameters.filter((q) => q.name.endsWith(".maskLogits"))) {
    const open = tf.tensor(
      Float32Array.from({ length: p.variable.size }, (_, i) => (i % 2 === 0 ? 1 : 0)),
      p.variable.shape,
    );
    p.variable.assign(open);
    open.dispose();
  }
}

/** Training-mode passes move every batch norm's running statistics away from 0 and 1. */
function moveStatistics(model: Model, seed: number): void {
  for (let i = 0; i < 3; i++) tf.dispose(model.predict(tf.randomUniform([4, ...model.inputShape], 0, 1, "float32", seed + i), { training: true }));
}

function expectSameOutputs(small: Model, big: Model, seed: number): void {
  const x = tf.randomUniform([5, ...small.inputShape], 0, 1, "float32", seed);
  const [a, b] = [small.predict(x).dataSync(), big.predict(x).dataSync()];
  expect(b.length).toBe(a.length);
  for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 5);
  tf.dispose(x);
}

function expectBatchNormCarried(small: Model, big: Model, name: string, oldChannels: number): void {
  for (const [what, fill] of [
    ["gain", 1],
    ["shift", 0],
    ["runningMean", 0],
    ["runningVariance", 1],
  ] as const) {
    const [before, after] = [values(small, `${name}.${what}`), values(big, `${name}.${what}`)];
    expect(Array.from(after.slice(0, oldChannels)), `${name}.${what}`).toEqual(Array.from(before));
    expect(
      Array.from(after.slice(oldChannels)).every((v) => v === fill),
      `${name}.${what} new channels`,
    ).toBe(true);
  }
}

describe.each(["cpu", "wasm"] as const)("growInto carries a cell network's learned conv masks (%s)", (backend) => {
  const source = (scale: number): string => `
    cell block = [conv(4, kernel=3, padding=same), batch_norm(), conv(4, kernel=3, padding=same), batch_norm()]
    graph base = edges { 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3, 0 -> 3 }
    graph g = scalable(base, scale=${scale})
    network N { input [1, 6, 6]  features [conv(3, kernel=3, padding=same), batch_norm()]  structure g  cells block  head 5  output 3  ${LEARNABLE} }`;

  async function grown(): Promise<[Model, Model]> {
    const small = await createNetwork(spec(source(8)), { backend, seed: 1 });
    moveStatistics(small, 0);
    // A static mask pruned by hand beneath the learned one (read open: keep = 0.3 closes every entry of a fresh network).
    openMasks(small);
    small.setMask(
      "cell3.conv1",
      small.getMask("cell3.conv1").map((m, i) => (i % 7 === 0 ? 0 : m)),
    );
    learnMasks(small, 3);
    const learned = small.parameters.map((p) => Array.from(p.variable.dataSync()));
    const big = await growInto(small, spec(source(16)), { seed: 2 });
    // growInto reads the old network's static masks with its learned ones held open, and gives it its logits back.
    expect(small.parameters.map((p) => Array.from(p.variable.dataSync()))).toEqual(learned);
    return [small, big];
  }

  it("keeps the outputs (zero mode, inference), every conv's logits, weights and masks and every batch norm's statistics at their mapped entries", async () => {
    const [small, big] = await grown();
    expectSameOutputs(small, big, 7);
    // cell3 reads cells 0, 1, 2, each 2 channels at scale 8 and 4 at 16: new input channel i is channel i % 4 of cell ⌊i / 4⌋.
    const [oldLogits, newLogits] = [values(small, "cell3.conv1.maskLogits"), values(big, "cell3.conv1.maskLogits")];
    const [oldW, newW] = [values(small, "cell3.conv1.weight"), values(big, "cell3.conv1.weight")];
    const [oldMask, newMask] = [small.getMask("cell3.conv1"), big.getMask("cell3.conv1")];
    let [carried, fresh] = [0, 0];
    for (let tap = 0; tap < 9; tap++) {
      for (let i = 0; i < 12; i++) {
        for (let o = 0; o < 4; o++) {
          const k = (tap * 12 + i) * 4 + o;
          const from = i % 4 < 2 ? 2 * Math.floor(i / 4) + (i % 4) : undefined;
          if (from === undefined || o >= 2) {
            expect(pair(newLogits, k)).toEqual(FRESH);
            fresh++;
            continue;
          }
          const j = (tap * 6 + from) * 2 + o;
          expect(pair(newLogits, k)).toEqual(pair(oldLogits, j));
          expect(newW[k]).toBe(oldW[j]);
          expect(newMask[k]).toBe(oldMask[j]);
          carried++;
        }
      }
    }
    expect([carried, fresh]).toEqual([9 * 6 * 2, 9 * 12 * 4 - 9 * 6 * 2]);
    expect(oldMask.some((m) => m === 0) && oldMask.some((m) => m === 1)).toBe(true);
    // The stem's conv and the dense layer after the head keep their shapes: all their logits carry.
    for (const name of ["conv1.maskLogits", "output.maskLogits"]) expect(Array.from(values(big, name)), name).toEqual(Array.from(values(small, name)));
    // The head's 1×1 conv reads the one sink, cell 3: its first 2 of 4 input channels are the old ones.
    const [oldHead, newHead] = [values(small, "head.conv.maskLogits"), values(big, "head.conv.maskLogits")];
    for (let i = 0; i < 4; i++) for (let o = 0; o < 5; o++) expect(pair(newHead, i * 5 + o)).toEqual(i < 2 ? pair(oldHead, i * 5 + o) : FRESH);
    // Batch norms keep gains, shifts and running statistics per channel; new channels start as a fresh batch norm's (1, 0, 0, 1).
    expectBatchNormCarried(small, big, "bn1", 3);
    expectBatchNormCarried(small, big, "cell2.bn2", 2);
    expectBatchNormCarried(small, big, "cell3.bn1", 2);
    small.dispose();
    big.dispose();
  });

  it("carries the static mask beneath the logits (closed entries can reopen); new entries have a fresh network's, every entry", async () => {
    const [small, big] = await grown();
    const closed = big.getMask("cell3.conv1");
    expect(closed[(0 * 12 + 2) * 4 + 1]).toBe(0); // new input channel 2 (cell 0's third), old output 1: fresh logits drop
    openMasks(big);
    openMasks(small);
    const open = big.getMask("cell3.conv1");
    const oldMask = small.getMask("cell3.conv1");
    expect(oldMask.filter((m) => m === 0).length).toBe(Math.ceil((9 * 6 * 2) / 7));
    for (let tap = 0; tap < 9; tap++) {
      for (let i = 0; i < 12; i++) {
        for (let o = 0; o < 4; o++) {
          const from = i % 4 < 2 ? 2 * Math.floor(i / 4) + (i % 4) : undefined;
          const expected = from === undefined || o >= 2 ? 1 : oldMask[(tap * 6 + from) * 2 + o];
          expect(open[(tap * 12 + i) * 4 + o]).toBe(expected);
        }
      }
    }
    small.dispose();
    big.dispose();
  });
});

/** For each neuron of a layer in `big`, the same neuron in `small` (a vertex's i-th neuron stays its i-th), as the design of growInto says. */
function neuronMap(small: Model, big: Model, layer: string): (number | undefined)[] {
  const [before, after] = [small.layers.find((l) => l.name === layer)!, big.layers.find((l) => l.name === layer)!];
  const keys = (vertices: readonly number[] | undefined, size: number): string[] => {
    const seen = new Map<number, number>();
    return Array.from({ length: size }, (_, n) => {
      const v = vertices?.[n];
      if (v === undefined) return String(n);
      seen.set(v, (seen.get(v) ?? 0) + 1);
      return `${v}#${seen.get(v)}`;
    });
  };
  const old = new Map(keys(before.vertices, before.size).map((k, n) => [k, n]));
  return keys(after.vertices, after.size).map((k) => old.get(k));
}

/** Each dense connection's (kernel's logits name, connection index), by block and row-major entry. */
function connections(model: Model): Map<string, { logits: string; at: Map<number, number> }> {
  const result = new Map<string, { logits: string; at: Map<number, number> }>();
  for (const layout of networkLayout(model.spec)) {
    for (const slice of layout.blocks) {
      const at = new Map<number, number>();
      forEachBlockConnection(layout, slice, (e, entry) => at.set(entry, e));
      result.set(slice.name, { logits: `${model.spec.layers[layout.target]!.name}.maskLogits`, at });
    }
  }
  return result;
}

describe("growInto carries a conv stem's and dense blocks' learned masks", () => {
  const source = (scale: number): string => `graph s = scalable(balanced_tree(2, 1), scale=${scale}, proportions=[2, 1, 1])
    network F { input [1, 6, 6]  features [conv(3, kernel=3), batch_norm(), max_pool(2)]  structure s  output 2  ${LEARNABLE} }`;

  it("keeps the stem's weights, logits and statistics, each dense connection's logits, and the outputs", async () => {
    const small = await createNetwork(spec(source(8)), { backend: "cpu", seed: 1 });
    moveStatistics(small, 0);
    openMasks(small);
    small.setMask(
      "features->s.d0",
      small.getMask("features->s.d0").map((m, i) => (i % 3 === 0 ? 0 : m)),
    );
    learnMasks(small, 4);
    const big = await growInto(small, spec(source(16)), { seed: 2 });
    expectSameOutputs(small, big, 9);
    for (const name of ["conv1.weight", "conv1.bias", "conv1.maskLogits"]) expect(Array.from(values(big, name)), name).toEqual(Array.from(values(small, name)));
    expectBatchNormCarried(small, big, "bn1", 3);
    const [before, after] = [connections(small), connections(big)];
    let [carried, fresh] = [0, 0];
    for (const block of big.blocks) {
      const oldBlock = small.blocks.find((b) => b.name === block.name)!;
      const [rows, cols] = [neuronMap(small, big, block.source), neuronMap(small, big, block.target)];
      const [oldLogits, newLogits] = [values(small, before.get(block.name)!.logits), values(big, after.get(block.name)!.logits)];
      for (const [entry, e] of after.get(block.name)!.at) {
        const [r, c] = [rows[Math.floor(entry / block.targetSize)], cols[entry % block.targetSize]];
        const from = r === undefined || c === undefined ? undefined : before.get(block.name)!.at.get(r * oldBlock.targetSize + c);
        expect(pair(newLogits, e), `${block.name} entry ${entry}`).toEqual(from === undefined ? FRESH : pair(oldLogits, from));
        if (from === undefined) fresh++;
        else carried++;
      }
    }
    expect(carried).toBe([...before.values()].reduce((n, b) => n + b.at.size, 0));
    expect(fresh).toBeGreaterThan(0);
    // Beneath the logits, the static masks: the hand-pruned entries stay pruned, the rest of the structure is live.
    openMasks(small);
    openMasks(big);
    for (const block of big.blocks) {
      const [rows, cols] = [neuronMap(small, big, block.source), neuronMap(small, big, block.target)];
      const [oldMask, newMask, oldCols] = [small.getMask(block.name), big.getMask(block.name), small.blocks.find((b) => b.name === block.name)!.targetSize];
      for (const entry of after.get(block.name)!.at.keys()) {
        const [r, c] = [rows[Math.floor(entry / block.targetSize)], cols[entry % block.targetSize]];
        expect(newMask[entry], `${block.name} entry ${entry}`).toBe(r === undefined || c === undefined ? 1 : oldMask[r * oldCols + c]);
      }
    }
    expect(small.getMask("features->s.d0").some((m, i) => m === 0 && i % 3 === 0)).toBe(true);
    small.dispose();
    big.dispose();
  });
});

describe("growInto carries a recurrent stack", () => {
  const source = (scale: number, hidden = 5): string => `graph s = scalable(balanced_tree(2, 1), scale=${scale}, proportions=[2, 1, 1])
    network R { input [4, 3]  recurrent gru(hidden=[${hidden}])  structure s  output 2  ${LEARNABLE} }`;

  it("keeps its weights, bias, masks and learned logits, and the outputs", async () => {
    const small = await createNetwork(spec(source(8)), { backend: "cpu", seed: 1 });
    learnMasks(small, 5);
    small.setMask(
      "gru1.hidden",
      small.getMask("gru1.hidden").map((m, i) => (i % 5 === 0 ? 0 : m)),
    );
    const big = await growInto(small, spec(source(16)), { seed: 2 });
    expectSameOutputs(small, big, 11);
    for (const name of ["gru1.inputWeight", "gru1.hiddenWeight", "gru1.bias", "gru1.input.maskLogits", "gru1.hidden.maskLogits"]) {
      expect(Array.from(values(big, name)), name).toEqual(Array.from(values(small, name)));
    }
    for (const name of ["gru1.input", "gru1.hidden"]) expect(Array.from(big.getMask(name)), name).toEqual(Array.from(small.getMask(name)));
    small.dispose();
    big.dispose();
  });

  it("refuses a recurrent layer of another size, naming it", async () => {
    const small = await createNetwork(spec(source(8)), { backend: "cpu", seed: 1 });
    await expect(growInto(small, spec(source(16, 7)))).rejects.toThrow(/gru1.*5.*7/);
    small.dispose();
  });
});

describe("growInto under a sparse start", () => {
  const source = (scale: number): string => `graph s = scalable(balanced_tree(2, 1), scale=${scale}, proportions=[2, 1, 1])
    network S { input 6  structure s  output 2  grow set(sparsity=0.5, every=10, drop=0.3, stop=100) }`;

  it("carries the old masks exactly, whatever sparse start the grown network drew, and keeps the outputs", async () => {
    const small = await createNetwork(spec(source(8)), { backend: "cpu", seed: 1 });
    const big = await growInto(small, spec(source(16)), { seed: 2 });
    expectSameOutputs(small, big, 13);
    let live = 0;
    for (const block of small.blocks) {
      const [rows, cols] = [neuronMap(small, big, block.source), neuronMap(small, big, block.target)];
      const [oldMask, newMask, newCols] = [small.getMask(block.name), big.getMask(block.name), big.blocks.find((b) => b.name === block.name)!.targetSize];
      for (let r = 0; r < rows.length; r++) {
        for (let c = 0; c < cols.length; c++) {
          const [or, oc] = [rows[r], cols[c]];
          if (or === undefined || oc === undefined) continue;
          expect(newMask[r * newCols + c], `${block.name} (${r}, ${c})`).toBe(oldMask[or * block.targetSize + oc]);
          live += oldMask[or * block.targetSize + oc]!;
        }
      }
    }
    expect(live).toBe(small.liveConnections());
    small.dispose();
    big.dispose();
  });
});

describe("growInto into a network whose masks no longer learn", () => {
  const source = (scale: number, line: string): string => `graph s = scalable(balanced_tree(2, 1), scale=${scale}, proportions=[2, 1, 1])
    network F { input [1, 6, 6]  features [conv(3, kernel=3)]  structure s  output 2  ${line} }`;

  it("carries the masks the old network computed with, so the outputs stay", async () => {
    const small = await createNetwork(spec(source(8, LEARNABLE)), { backend: "cpu", seed: 1 });
    learnMasks(small, 6);
    const big = await growInto(small, spec(source(16, "")), { seed: 2 });
    expect(big.parameters.some((p) => p.name.endsWith(".maskLogits"))).toBe(false);
    expect(Array.from(big.getMask("conv1"))).toEqual(Array.from(small.getMask("conv1")));
    expect(small.getMask("conv1").some((m) => m === 0)).toBe(true);
    expectSameOutputs(small, big, 15);
    small.dispose();
    big.dispose();
  });
});

describe("growInto with a pruned filter", () => {
  const source = (scale: number): string => `
    cell block = [conv(4, kernel=3, padding=same), batch_norm()]
    graph base = edges { 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3 }
    graph g = scalable(base, scale=${scale})
    network N { input [1, 6, 6]  features [conv(3, kernel=3, padding=same)]  structure g  cells block  head 5  output 3 }`;

  it("keeps it pruned over the new input channels too, and the outputs", async () => {
    const small = await createNetwork(spec(source(8)), { backend: "cpu", seed: 1 });
    moveStatistics(small, 0);
    pruneChannels(small, "cell3.conv1", [1]);
    const big = await growInto(small, spec(source(16)), { seed: 2 });
    expectSameOutputs(small, big, 17);
    // cell3 reads cells 1 and 2: 4 input channels at scale 8, 8 at 16; output channel 1 has no live weight in either.
    const [kh, kw, cin, cout] = big.features.find((f) => f.name === "cell3.conv1")!.weightShape!;
    const mask = big.getMask("cell3.conv1");
    const live = (o: number): number => Array.from({ length: kh * kw * cin }, (_, r) => mask[r * cout + o]!).reduce((a, b) => a + b, 0);
    expect([live(0), live(1), live(2)]).toEqual([kh * kw * cin, 0, kh * kw * cin]);
    small.dispose();
    big.dispose();
  });
});

describe("growInto with a pruned neuron", () => {
  const source = (scale: number): string => `graph s = scalable(balanced_tree(2, 1), scale=${scale}, proportions=[2, 1, 1])
    network P { input 5  structure s  dense 3  output 2 }`;

  it("keeps it pruned over the new neurons' connections too, and the outputs", async () => {
    const small = await createNetwork(spec(source(8)), { backend: "cpu", seed: 1 });
    // s.d1 holds vertices 1 and 2; its neuron 0 is vertex 1's first, which stays neuron 0 at scale 16.
    pruneNeurons(small, "s.d1", [0]);
    const big = await growInto(small, spec(source(16)), { seed: 2 });
    expectSameOutputs(small, big, 19);
    const incoming = big.blocks.filter((b) => b.target === "s.d1");
    expect(incoming.length).toBeGreaterThan(0);
    const liveInto = (neuron: number): number =>
      incoming.reduce((n, b) => n + Array.from({ length: b.sourceSize }, (_, r) => big.getMask(b.name)[r * b.targetSize + neuron]!).reduce((x, y) => x + y, 0), 0);
    expect(liveInto(0)).toBe(0);
    expect(liveInto(1)).toBeGreaterThan(0);
    small.dispose();
    big.dispose();
  });
});
