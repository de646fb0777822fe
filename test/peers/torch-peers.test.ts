/**
 * The benchmarks' PyTorch peers (bench/torch_model_peers.py) compute our
 * networks: the pruned LeNet read from our model gives our logits both sparse
 * ways, the hand-written CSR backward the gradient autograd gives, and the
 * round mechanism (interleavedWithPeer) runs both sides and says why a peer failed.
 * Skipped where /usr/bin/python3 (or $TORCH_PYTHON) cannot import torch.
 */
import { describe, expect, it } from "vitest";
import { createNetwork, prune, tf } from "../../runtime/index.js";
import { analyze, networkSpec } from "../../src/index.js";
import { interleavedWithPeer, networkArrays, runPeer, torchMissing } from "../../bench/peers.js";

const missing = torchMissing();
const BATCH = 32;

async function prunedLenet(): Promise<{ logits: Float32Array; task: Record<string, unknown>; arrays: ReturnType<typeof networkArrays>["arrays"] }> {
  const model = await createNetwork(networkSpec(analyze("network LeNet { input 784 dense 300 dense 100 output 10 }").plans![0]!), { backend: "cpu", seed: 3 });
  prune(model, { amount: { percent: 95 }, scope: "global" });
  const x = tf.randomUniform([BATCH, 784], 0, 1, "float32", 5) as tf.Tensor2D;
  const logits = model.predict(x).dataSync() as Float32Array;
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 10);
  const { sizes, arrays } = networkArrays(model, x.dataSync() as Float32Array, labels);
  model.dispose();
  x.dispose();
  return { logits, task: { kind: "lenet", sizes, batch: BATCH, threads: 1, warmup: 0, repeats: 1 }, arrays };
}

const largestDifference = (a: ArrayLike<number>, b: readonly number[]): number => Array.from(a).reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]!)), 0);

describe.skipIf(missing !== undefined)("PyTorch peers of the benchmarks", () => {
  it("the pruned LeNet in PyTorch (COO and CSR) gives our logits, and the hand-written CSR step autograd's", async () => {
    const { logits, task, arrays } = await prunedLenet();
    const result = runPeer(task, arrays);
    expect(logits.length).toBe(BATCH * 10);
    expect(largestDifference(logits, result.cooLogits as number[])).toBeLessThan(1e-5);
    expect(largestDifference(logits, result.csrLogits as number[])).toBeLessThan(1e-5);
    // One SGD step from the same weights: equal gradients leave equal logits, and the step moved them.
    expect(result.stepMoved as number).toBeGreaterThan(1e-3);
    expect(result.stepDifference as number).toBeLessThan(1e-5);
    const seconds = result.seconds as Record<string, number>;
    expect(Object.keys(seconds).sort()).toEqual(["cooForward", "cooStep", "csrForward", "csrStep", "denseForward", "denseStep"]);
    for (const s of Object.values(seconds)) expect(s).toBeGreaterThan(0);
  });

  it("runs a warm-up and the repeats of ours in every round beside the peer's, and returns every figure the peer timed", () => {
    const calls: string[] = [];
    const { ours, peer, note } = interleavedWithPeer([() => void calls.push("ours")], { kind: "lstm", inputs: 1, hidden: 4, layers: 2, outputs: 1, steps: 3, batch: 2 }, {}, 2, 3);
    expect(note).toBeUndefined();
    // Per round one warm-up and 3 runs of ours.
    expect(calls).toHaveLength(8);
    expect(ours[0]).toBeGreaterThanOrEqual(0);
    expect(Object.keys(peer!).sort()).toEqual(["forward", "step"]);
    expect(peer!.step).toBeGreaterThan(0);
  });

  it("says why the peer failed instead of throwing", () => {
    const { peer, note } = interleavedWithPeer([() => undefined], { kind: "no-such-kind" }, {}, 1, 1);
    expect(peer).toBeUndefined();
    expect(note).toMatch(/torch_peers\.py \(no-such-kind\) failed:[\s\S]*unknown task kind 'no-such-kind'/);
  });
});
