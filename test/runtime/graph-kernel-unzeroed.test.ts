/**
 * The graph kernel zeroes only the scratch it adds into (the gradients by
 * neuron and by input; memory.ts `unzeroedScratch` for the rest), and on WASM
 * keeps the gradient by neuron from call to call, zeroed again at the end of
 * each backward pass (`keptZeros`): it must read nothing it did not write,
 * and find that buffer zero. Before every pass the scratch memory is
 * filled with NaN, which any read of an unwritten entry would carry into the
 * outputs; the outputs and every gradient, twice over, must then have the
 * same bits as with every scratch zeroed and nothing kept (as before), on an unpruned
 * Watts–Strogatz network (its input needs a gradient, many members) and on
 * pruned LeNets (picked members; neuron-major and padded batches; a conv stem
 * whose input needs a gradient), on WASM with native/graph.c and with
 * graph.wat, and on the CPU backend.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { NamedAttrMap } from "@tensorflow/tfjs-core";
import { createNetwork, prune, tf, useBackend, type Model } from "../../runtime/index.js";
import { registerWasmKernel, zeroEveryScratch } from "../../runtime/kernels/graph/memory.js";
import { useNativeGraph } from "../../runtime/kernels/native/graph-code.js";
import { nativeStatus } from "../../runtime/kernels/native/load.js";
import { analyze, networkSpec } from "../../src/index.js";
import { oneHotLabels } from "./labels.js";

const POISON = "TestGraphScratchPoison";
const CHUNK = 1 << 16;

// Fills `bytes` of scratch, taken as the kernels take it (the kept block first, then the allocator's), with NaN.
registerWasmKernel(POISON, (ws, _inputs, attrs) => {
  for (let taken = 0; taken < (attrs.bytes as number); taken += CHUNK) {
    const at = ws.unzeroedScratch(CHUNK) / 4;
    ws.f32().fill(NaN, at, at + CHUNK / 4);
  }
  return ws.output([1]).finish();
});

const poison = (bytes: number): void =>
  tf
    .engine()
    .runKernel<tf.Tensor>(POISON, { x: tf.zeros([1]) }, { bytes } as unknown as NamedAttrMap)
    .dispose();

interface Case {
  readonly name: string;
  readonly source: string;
  readonly inputs: readonly number[];
  readonly batch: number;
  readonly pruned: boolean;
}

const WS = "graph g = watts_strogatz(n=300, k=4, p=0.5, seed=1)\nnetwork N { input 32 structure g output 10 }";
const LENET = "network LeNet { input 784 dense 300 dense 100 output 10 }";
const STEM = "network Stem { input [1, 28, 28] features [conv(4, kernel=3, padding=same), max_pool(2)] dense 300 dense 100 output 10 }";
const cases: readonly Case[] = [
  { name: "unpruned Watts–Strogatz 300, batch 24", source: WS, inputs: [32], batch: 24, pruned: false },
  { name: "pruned LeNet, batch 48 (neuron-major)", source: LENET, inputs: [784], batch: 48, pruned: true },
  { name: "pruned LeNet, batch 20 (padded)", source: LENET, inputs: [784], batch: 20, pruned: true },
  { name: "pruned LeNet behind a conv stem, batch 32", source: STEM, inputs: [1, 28, 28], batch: 32, pruned: true },
];

/** The logits and every parameter's gradient of the cross-entropy, as their bits, each pass run on NaN-filled scratch. */
function outputsAndGradients(model: Model, x: tf.Tensor, y: tf.Tensor2D): Uint32Array[] {
  poison(16 << 20);
  const logits = tf.tidy(() => Float32Array.from(model.predict(x).dataSync()));
  poison(16 << 20);
  const variables = model.parameters.map((p) => p.variable);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.predict(x)) as tf.Scalar, variables);
  const out = variables.map((v) => new Uint32Array(Float32Array.from(grads[v.name]!.dataSync()).buffer));
  tf.dispose([value, ...Object.values(grads)]);
  return [new Uint32Array(logits.buffer), ...out];
}

async function expectSameBits({ source, inputs, batch, pruned }: Case, backend: "wasm" | "cpu"): Promise<void> {
  await useBackend(backend);
  const model = await createNetwork(networkSpec(analyze(source).plans![0]!), { backend, seed: 4 });
  if (pruned) prune(model, { amount: { percent: 95 } });
  expect(model.execution.some((s) => s.kind === "graph")).toBe(true);
  const x = tf.randomUniform([batch, ...inputs], -1, 1, "float32", 6);
  const y = oneHotLabels(batch);
  zeroEveryScratch(true);
  const zeroed = outputsAndGradients(model, x, y);
  zeroEveryScratch(false);
  // Twice: the second backward pass adds into the gradient by neuron the first one kept and zeroed again.
  const ours = [outputsAndGradients(model, x, y), outputsAndGradients(model, x, y)];
  // A real network, not NaN everywhere: the poison reaches no result through zeroed scratch.
  expect(zeroed.every((bits) => new Float32Array(bits.buffer).every(Number.isFinite))).toBe(true);
  for (const run of ours) {
    expect(run.length).toBe(zeroed.length);
    run.forEach((bits, i) => expect(bits).toEqual(zeroed[i]));
  }
  tf.dispose([x, y]);
  model.dispose();
}

describe("the graph kernel reads no scratch it did not write", () => {
  afterEach(() => {
    zeroEveryScratch(false);
    useNativeGraph(true);
  });

  it.each(cases)("gives the same bits as with all scratch zeroed on WASM: $name", async (c) => {
    await expectSameBits(c, "wasm");
  });

  it.runIf(nativeStatus().available).each(cases)("and with graph.wat in place of the native graph kernel: $name", async (c) => {
    useNativeGraph(false);
    await expectSameBits(c, "wasm");
  });

  it.each(cases)("and on the CPU backend: $name", async (c) => {
    await expectSameBits(c, "cpu");
  });
});
