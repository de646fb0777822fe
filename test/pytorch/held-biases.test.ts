/**
 * The runtime side of what the PyTorch module does (needs no torch): the
 * training step gives the bias of a conv a batch norm follows an exact 0
 * gradient, so Adam leaves it bit for bit where it was, and nothing else
 * changes — one SGD step moves every other parameter by exactly −lr times
 * its loss gradient, and training-mode outputs do not depend on the held
 * bias at all (the batch norm subtracts it again).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { createOptimizer, type Model } from "../../runtime/index.js";
import { loss as lossOf } from "../../runtime/training/losses.js";
import { trainStep } from "../../runtime/training/step.js";
import { batchNormedConvBiases } from "../../runtime/features/held-biases.js";
import { compileExample, fixedBatch, maxAbsDifference, randomModel } from "./support.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BATCH = 16;
const SETTINGS = { l2: 0, weightDecay: 0, clipNorm: undefined, clipValue: undefined, weights: undefined, lossName: "crossEntropy" as const };

function values(model: Model): Map<string, Float32Array> {
  return new Map(model.parameters.map((p) => [p.name, Float32Array.from(p.variable.dataSync())]));
}

async function modelOf(file: string, network: string, dir: string): Promise<{ model: Model; data: { x: tf.Tensor; y: tf.Tensor } }> {
  const { specs } = await compileExample(file, dir);
  const model = await randomModel(
    specs.find((spec) => spec.name === network)!,
    3,
  );
  const batch = fixedBatch(model, BATCH, 4);
  return { model, data: { x: tf.tensor(batch.x, [BATCH, ...model.inputShape]), y: tf.tensor1d(batch.y as Int32Array, "int32") } };
}

describe("dsc train holds the bias of a conv a batch norm follows", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it.each([
    { file: "examples/conv.ds", network: "SmallCnn" },
    { file: "test/pytorch/fixtures/cell_networks.ds", network: "Stemmed" },
  ])(
    "$network: 5 Adam steps leave those biases bit for bit; one SGD step moves the rest by -lr g",
    async ({ file, network }) => {
      const dir = await mkdtemp(join(tmpdir(), "ds-held-biases-"));
      dirs.push(dir);
      const { model, data } = await modelOf(file, network, dir);
      const held = batchNormedConvBiases(model.spec);
      expect(held.size, "convs a batch norm follows").toBeGreaterThan(0);
      const variables = model.parameters.map((p) => p.variable);

      // The true gradient of a held bias is rounding noise, not 0: what Adam would scale up to ±lr.
      const { grads } = tf.variableGrads(() => lossOf("crossEntropy", model.predict(data.x, { training: true }) as Tensor2D, data.y), variables);
      const gradient = new Map(model.parameters.map((p) => [p.name, Float32Array.from(grads[p.variable.name]!.dataSync())]));
      tf.dispose(Object.values(grads));

      const rate = 0.01;
      const sgd = createOptimizer({ kind: "sgd", learningRate: rate, momentum: 0 });
      const before = values(model);
      trainStep(model, sgd, variables, data, SETTINGS, rate);
      sgd.dispose();
      const after = values(model);
      for (const [name, start] of before) {
        const expected = held.has(name) ? start : Float32Array.from(start, (v, i) => Math.fround(v - Math.fround(rate * gradient.get(name)![i]!)));
        expect(maxAbsDifference(after.get(name)!, expected), `${name} after one SGD step`).toBeLessThan(1e-6);
      }

      // Training-mode outputs with the held biases moved by 0.5: the same (the batch norm subtracts them).
      const outputs = (): Float32Array => tf.tidy(() => model.predict(data.x, { training: true }).dataSync() as Float32Array);
      const reference = outputs();
      const heldVariables = model.parameters.filter((p) => held.has(p.name)).map((p) => p.variable);
      for (const v of heldVariables) v.assign(tf.tidy(() => tf.add(v, 0.5)));
      expect(maxAbsDifference(outputs(), reference), "training-mode outputs with the held biases moved").toBeLessThan(1e-4);
      for (const v of heldVariables) v.assign(tf.tidy(() => tf.sub(v, 0.5)));

      const adam = createOptimizer({ kind: "adam", learningRate: 0.01 });
      const start = values(model);
      for (let step = 0; step < 5; step++) trainStep(model, adam, variables, data, SETTINGS, 0.01);
      adam.dispose();
      const end = values(model);
      for (const name of held) expect(Buffer.from(end.get(name)!.buffer).equals(Buffer.from(start.get(name)!.buffer)), `${name} after 5 Adam steps`).toBe(true);
      // The rest trained.
      const moved = [...end].filter(([name]) => !held.has(name)).map(([name, v]) => maxAbsDifference(v, start.get(name)!));
      expect(Math.max(...moved)).toBeGreaterThan(1e-3);
      tf.dispose([data.x, data.y]);
      model.dispose();
    },
    120_000,
  );
});
