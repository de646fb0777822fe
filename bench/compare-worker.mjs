// @ts-check
/**
 * One measurement of one build, in a process of its own (TensorFlow.js has
 * one engine per process, and two builds would register kernels under the
 * same names). Started by bench/compare.ts:
 *
 *   node bench/compare-worker.mjs BUILD_DIR 'TASK_JSON'
 *
 * It loads BUILD_DIR/dist/src/index.js and BUILD_DIR/dist/runtime/index.js,
 * builds the task's network with that build's `compile`, `networkSpec` and
 * `createNetwork` on the WASM backend, times it and prints one line
 * `@@result {json}` on stdout. Only the public API is used (compile,
 * networkSpec, createNetwork, model.predict, model.fit, model.parameters),
 * so the worker runs any build before and after a runtime redesign.
 *
 * Plain JavaScript on purpose: run by plain `node`, without tsx's loader, so
 * both builds' JavaScript runs exactly as tsc emitted it. TensorFlow.js is
 * imported from this checkout's node_modules; a build's node_modules is a
 * link to the same directory, and Node resolves links to real paths, so the
 * worker and the build share one tfjs-core module and its engine (checked).
 *
 * Tasks (the inputs and seeds are those of bench/fusion.ts and bench/training.ts):
 *   { kind: "fusion", source, batch, forwardWarmup, forwardRepeats, stepWarmup, stepRepeats }
 *       forward passes and SGD steps (cross-entropy, learning rate 0.01) of
 *       `input → structure → output 10`, execution auto, seed 0: the median
 *       of the repeats after the warm-up ones.
 *   { kind: "build", source, warmup, repeats }
 *       createNetwork of a compiled spec: median of repeats after warm-up builds.
 *   { kind: "training", source, samples, batch, warmup, repeats }
 *       model.fit of one epoch (Adam, no shuffle): median of repeats after warm-up epochs.
 *
 * Besides each median, the fast quartile (`…Q25`: the 25th percentile of the repeats).
 *
 * Every result also carries all the timed repetitions and the logits of a
 * fixed batch before and after timing, to check both builds compute alike.
 */
import { pathToFileURL } from "node:url";
import { join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs-core";

const [buildDir, taskJson] = process.argv.slice(2);
if (buildDir === undefined || taskJson === undefined) {
  console.error("usage: node bench/compare-worker.mjs BUILD_DIR TASK_JSON");
  process.exit(2);
}
const task = JSON.parse(taskJson);
const dir = resolve(buildDir);
const compiler = await import(pathToFileURL(join(dir, "dist/src/index.js")).href);
const runtime = await import(pathToFileURL(join(dir, "dist/runtime/index.js")).href);

/** @param {() => void | Promise<void>} run @param {number} warmup @param {number} repeats */
async function medianSeconds(run, warmup, repeats) {
  for (let i = 0; i < warmup; i++) await run(); // JIT, WebAssembly tier-up, lazily made kernels
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    times.push((performance.now() - start) / 1000);
  }
  const sorted = [...times].sort((a, b) => a - b);
  // The fast quartile: a second figure, less moved than the median by interference (GC, other processes).
  return { median: sorted[Math.floor(sorted.length / 2)], q25: sorted[Math.floor((sorted.length - 1) / 4)], times };
}

/** @param {string} source */
async function specOf(source) {
  const result = await compiler.compile(source);
  if (result.plans === undefined) throw new Error(`compile failed: ${JSON.stringify(result.diagnostics)}`);
  return compiler.networkSpec(result.plans[0]);
}

/** @param {any} spec */
async function build(spec) {
  const model = await runtime.createNetwork(spec, { backend: "wasm", seed: 0, execution: "auto" });
  if (tf.getBackend() !== "wasm") throw new Error(`the worker's TensorFlow.js is on '${tf.getBackend()}', not wasm: the build does not share its tfjs-core`);
  return model;
}

/** @param {any} model */
const parameterCount = (model) => model.parameters.reduce((/** @type {number} */ sum, /** @type {any} */ p) => sum + p.variable.size, 0);
/** @param {any} model @param {tf.Tensor} x */
const logits = (model, x) => tf.tidy(() => Array.from(model.predict(x).dataSync()));
/** @param {any} spec */
const inputSize = (spec) => spec.inputShape.reduce((/** @type {number} */ a, /** @type {number} */ b) => a * b, 1);

async function fusion() {
  const spec = await specOf(task.source);
  const model = await build(spec);
  const x = tf.randomUniform([task.batch, inputSize(spec)], -1, 1, "float32", 1);
  const y = tf.tensor1d(
    Array.from({ length: task.batch }, (_, i) => i % 10),
    "int32",
  );
  const before = logits(model, x);
  const forward = await medianSeconds(() => tf.tidy(() => void model.predict(x).dataSync()), task.forwardWarmup, task.forwardRepeats);
  const optimizer = tf.train.sgd(0.01);
  const variables = model.parameters.map((/** @type {any} */ p) => p.variable);
  const step = await medianSeconds(
    () => {
      const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(tf.oneHot(y, 10), model.predict(x)), true, variables);
      cost?.dataSync();
      cost?.dispose();
    },
    task.stepWarmup,
    task.stepRepeats,
  );
  const after = logits(model, x);
  const result = {
    forward: forward.median,
    step: step.median,
    forwardQ25: forward.q25,
    stepQ25: step.q25,
    forwardTimes: forward.times,
    stepTimes: step.times,
    parameters: parameterCount(model),
    before,
    after,
  };
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return result;
}

async function buildTime() {
  const spec = await specOf(task.source);
  let parameters = 0;
  const timing = await medianSeconds(
    async () => {
      const model = await build(spec);
      parameters = parameterCount(model);
      model.dispose();
    },
    task.warmup,
    task.repeats,
  );
  return { build: timing.median, buildQ25: timing.q25, buildTimes: timing.times, parameters };
}

async function training() {
  const spec = await specOf(task.source);
  const model = await build(spec);
  const x = tf.randomUniform([task.samples, inputSize(spec)], 0, 1, "float32", 1);
  const labels = tf.randomUniform([task.samples], 0, 10, "int32", 2);
  const probe = tf.slice(x, [0, 0], [Math.min(256, task.samples), -1]);
  const before = logits(model, probe);
  const epoch = await medianSeconds(
    async () => {
      await model.fit({ x, y: labels }, { epochs: 1, batchSize: task.batch, shuffle: false });
    },
    task.warmup,
    task.repeats,
  );
  const after = logits(model, probe);
  const steps = Math.ceil(task.samples / task.batch);
  const result = { epoch: epoch.median, step: epoch.median / steps, stepQ25: epoch.q25 / steps, epochTimes: epoch.times, steps, parameters: parameterCount(model), before, after };
  tf.dispose([x, labels, probe]);
  model.dispose();
  return result;
}

const run = { fusion, build: buildTime, training }[/** @type {"fusion" | "build" | "training"} */ (task.kind)];
if (run === undefined) throw new Error(`unknown task kind ${task.kind}`);
const result = await run();
// Exit only once the line is out: stdout to a pipe is asynchronous, and exiting at once cuts it off at 64 KiB.
process.stdout.write(`@@result ${JSON.stringify({ ...result, backend: tf.getBackend() })}\n`, () => process.exit(0));
