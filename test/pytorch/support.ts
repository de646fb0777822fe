/**
 * Helpers for the PyTorch tests: whether /usr/bin/python3 has torch, running
 * the Python half, and models whose weights, biases, gains and masks are
 * all random (seeded), with masked weights stored as exactly 0.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { createNetwork, exportWeights, type LossName, type Model } from "../../runtime/index.js";
import { saveWeights } from "../../runtime/files.js";
import { createRandom } from "../../runtime/random.js";
import { batchNormedConvBiases } from "../../runtime/features/held-biases.js";
import { analyze, networkSpec } from "../../src/index.js";
import { emitPytorch } from "../../src/emit-pytorch/index.js";
import { runPythonProcess, torchrunWorkersWarm } from "../support/warm-python.js";

export const PYTHON = "/usr/bin/python3";

/** Whether `python3 -c CODE` succeeds; in the warm Python, which every later run of the file then uses. */
function pythonSucceeds(code: string): boolean {
  return runPythonProcess(PYTHON, ["-c", code], { timeout: 240_000, maxBuffer: 1 << 20 }).status === 0;
}

export const hasTorch = pythonSucceeds("import torch");

/**
 * Runs `python3 ARGS…` and returns its stdout; throws with its stderr if it fails. In a fork of a Python
 * that has imported torch already (test/support/warm-python.ts), so torch is not imported again each time.
 */
export function runPython(args: readonly string[], timeout = 240_000): string {
  const result = runPythonProcess(PYTHON, args, { timeout, maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`python3 ${args.join(" ")} failed (${String(result.status ?? result.signal)}):\n${result.stderr}`);
  return result.stdout;
}

export const SCRIPTS = new URL(".", import.meta.url).pathname;

// Not `torchrun --help`, which imports torch once more in every file: torchrun on the PATH, and the module it runs.
export const hasTorchrun = hasTorch && spawnSync("sh", ["-c", "command -v torchrun"], { stdio: "ignore" }).status === 0 && pythonSucceeds("import torch.distributed.run");

/**
 * Debian's torch 1.13 on Python 3.11: torchrun's default `--redirects 0`
 * parses to None (3.11 no longer iterates the zero member of an IntFlag) and
 * it fails before starting a worker; any non-zero setting avoids that, and 2
 * (stderr to a log file and the console) leaves the output as it was.
 */
export const TORCHRUN_WORKAROUND = ["--redirects", "2", "--tee", "2"];

/**
 * torchrun's agent sleeps `--monitor_interval` (5 s by default) before each look at its workers, so a run
 * lasted at least 5 s however soon the workers ended; the tests' runs take 1–3 s. Polling every 0.1 s
 * (a process-status check) ends each run about 5 s sooner (measured: 14.0–15.0 s against 4.7–7.7 s wall
 * for one DDP case under load 5, the same 3.3–4.1 s of CPU).
 */
export const TORCHRUN_POLL = ["--monitor_interval", "0.1"];

/**
 * `torchrun --nproc_per_node N ARGS…` on loopback (gloo), one thread a process; its stdout, or an Error
 * with its stderr and the workers' logs. Static rendezvous on a free port rather than `--standalone`'s
 * elastic one: on this shared, loaded machine the elastic agent's keep-alive heartbeats to its store
 * failed now and then (RendezvousConnectionError), and one machine needs no elasticity.
 */
export async function runTorchrun(processes: number, args: readonly string[], logDir: string, timeout = 240_000): Promise<string> {
  const rendezvous = ["--nnodes", "1", "--node_rank", "0", "--rdzv_backend", "static", "--master_addr", "127.0.0.1", "--master_port", String(await freePort())];
  const result = spawnSync("torchrun", [...rendezvous, "--nproc_per_node", String(processes), ...TORCHRUN_WORKAROUND, ...TORCHRUN_POLL, "--log_dir", logDir, ...args], {
    encoding: "utf8",
    timeout,
    env: { ...process.env, GLOO_SOCKET_IFNAME: "lo", OMP_NUM_THREADS: "1", PYTHON, ...torchrunWorkersWarm(PYTHON) },
  });
  if (result.status !== 0) {
    // The workers' own stderr is in the log folder; torchrun's may say only that one failed.
    throw new Error(`torchrun ${args.join(" ")} failed (${String(result.status ?? result.signal)}):\n${result.stderr}\n${result.stdout}\n${workerLogs(logDir)}`);
  }
  return result.stdout;
}

/** A TCP port on 127.0.0.1 that nothing listens on now (the system's choice for port 0). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The end of every file under torchrun's log folder, each named. */
function workerLogs(dir: string): string {
  if (!existsSync(dir)) return `(no log folder ${dir})`;
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile());
  return files.map((f) => `== ${f}\n${readFileSync(join(dir, f), "utf8").slice(-4000)}`).join("\n") || `(no logs in ${dir})`;
}

/** Compiles an example to `dir/<base name>.py`; returns the path and the plans' specs. */
export async function compileExample(file: string, dir: string): Promise<{ module: string; specs: ReturnType<typeof networkSpec>[] }> {
  const { plans, diagnostics } = analyze(await readFile(file, "utf8"), { fileName: file });
  if (plans === undefined) throw new Error(`${file} does not compile: ${diagnostics.map((d) => d.message).join("; ")}`);
  const module = join(dir, `${basename(file, ".ds")}.py`);
  await mkdir(dir, { recursive: true });
  await writeFile(module, emitPytorch(plans, { sourceName: file }));
  return { module, specs: plans.map(networkSpec) };
}

/** A network with every parameter random (mask logits too) and about a fifth of each block's connections masked (their weights 0, as are those the logits switch off). */
export async function randomModel(spec: Parameters<typeof createNetwork>[0], seed: number): Promise<Model> {
  const model = await createNetwork(spec, { backend: "cpu", seed });
  const source = createRandom(seed);
  const random = (): number => source.next();
  for (const block of model.blocks) {
    const mask = model.getMask(block.name).map((live) => (live === 1 && random() >= 0.2 ? 1 : 0));
    model.setMask(block.name, mask);
    // getWeights gives the effective weights, 0 where masked: storing them zeroes the masked ones.
    model.setWeights(block.name, model.getWeights(block.name));
  }
  // Conv layers too: about a fifth of each filter's weights masked, stored as 0.
  for (const conv of model.features.filter((f) => f.kind === "conv")) {
    const mask = model.getMask(conv.name).map((live) => (live === 1 && random() >= 0.2 ? 1 : 0));
    model.setMask(conv.name, mask);
    const weight = model.parameters.find((p) => p.name === `${conv.name}.weight`)!.variable;
    const zeroed = tf.tidy(() => tf.mul(weight, tf.tensor(Float32Array.from(mask), weight.shape, "float32")));
    weight.assign(zeroed);
    zeroed.dispose();
  }
  randomiseState(model, random);
  for (const p of model.parameters) {
    const kind = p.name.slice(p.name.lastIndexOf(".") + 1);
    if (kind === "weight") continue;
    // Mask logits are (keep, drop) pairs: keep leans ahead, so about four in five connections stay on.
    const centre = (i: number): number => (kind === "gain" ? 1 : kind === "maskLogits" && i % 2 === 0 ? 0.15 : 0);
    const values = Float32Array.from({ length: p.variable.size }, (_, i) => centre(i) + (random() - 0.5) * 0.4);
    const tensor = tf.tensor(values, p.variable.shape, "float32");
    p.variable.assign(tensor);
    tensor.dispose();
  }
  // The random logits switch some connections off too: their weights become 0 as well.
  if (spec.learnable !== undefined) for (const block of model.blocks) model.setWeights(block.name, model.getWeights(block.name));
  // Recurrent layers' input and hidden weights: about a fifth masked (setMask stores their weights as 0).
  for (const mask of model.recurrent.flatMap((layer) => layer.masks))
    model.setMask(
      mask.name,
      model.getMask(mask.name).map((live) => (live === 1 && random() >= 0.2 ? 1 : 0)),
    );
  return model;
}

/** Batch norms' running statistics: means about 0, variances in [0.5, 1.5), so inference-mode outputs depend on them. */
function randomiseState(model: Model, random: () => number): void {
  for (const p of model.state) {
    const centre = p.name.endsWith(".runningVariance") ? 1 : 0;
    const tensor = tf.tensor(
      Float32Array.from({ length: p.variable.size }, () => centre + (random() - 0.5)),
      p.variable.shape,
      "float32",
    );
    p.variable.assign(tensor);
    tensor.dispose();
  }
}

/**
 * A fixed batch: inputs uniform in [0, 1); labels uniform over the classes
 * for softmax cross-entropy, or for a single output (where cross-entropy is
 * constant) targets uniform in [0, 1) for mean squared error.
 */
export interface Batch {
  readonly x: Float32Array;
  readonly y: Int32Array | Float32Array;
  readonly loss: LossName;
}

export function fixedBatch(model: Model, size: number, seed: number): Batch {
  const source = createRandom(seed);
  const random = (): number => source.next();
  const inputs = model.inputShape.reduce((a, b) => a * b, 1);
  const classes = model.outputShape[0]!;
  const x = Float32Array.from({ length: size * inputs }, () => random());
  if (classes === 1) return { x, y: Float32Array.from({ length: size }, () => random()), loss: "mse" };
  return { x, y: Int32Array.from({ length: size }, () => Math.floor(random() * classes)), loss: "crossEntropy" };
}

/** Saves a model's run folder and its batch as raw little-endian files. */
export async function writeJobFiles(model: Model, batch: Batch, dir: string): Promise<{ run: string; x: string; y: string }> {
  const run = join(dir, "run");
  await saveWeights(model, run);
  const [x, y] = [join(dir, "x.bin"), join(dir, "y.bin")];
  await writeFile(x, new Uint8Array(batch.x.buffer));
  await writeFile(y, new Uint8Array(batch.y.buffer));
  return { run, x, y };
}

/** The largest absolute difference between two equally long arrays. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Every entry of a model's file: parameters and masks by name. */
export async function entries(model: Model): Promise<Map<string, Float32Array | Uint8Array>> {
  const { modelJson, weightData } = await exportWeights(model);
  const decoded = tf.io.decodeWeights(weightData, [...modelJson.weightsManifest[0]!.weights]);
  const out = new Map(Object.entries(decoded).map(([name, t]) => [name, t.dataSync() as Float32Array | Uint8Array]));
  tf.dispose(Object.values(decoded));
  return out;
}

/** The largest difference over all parameters of two models of one network (but those named in `except`). */
export async function parameterDifference(a: Model, b: Model, except: ReadonlySet<string> = new Set()): Promise<number> {
  const [left, right] = [await entries(a), await entries(b)];
  if ([...right.keys()].join() !== [...left.keys()].join()) throw new Error(`the models' entries differ: ${[...left.keys()].join()} and ${[...right.keys()].join()}`);
  return Math.max(...[...left].filter(([name]) => !except.has(name)).map(([name, values]) => maxAbsDifference(values, right.get(name)!)));
}

/**
 * The largest difference over the effective parameters of two models of one
 * network: weights times masks (what the network computes with), masks and
 * every other parameter. Where pruning or growth switched a connection off,
 * the runtime keeps its stored weight and PyTorch sets it to 0; neither uses it.
 */
export async function effectiveDifference(a: Model, b: Model): Promise<number> {
  const effective = async (model: Model): Promise<Map<string, Float32Array | Uint8Array>> => {
    const all = await entries(model);
    const masks = new Map([...all.keys()].filter((name) => name.endsWith(".mask")).map((name) => [maskedWeight(name, all), all.get(name)!]));
    for (const [name, values] of all) {
      const mask = masks.get(name);
      if (mask !== undefined)
        all.set(
          name,
          Float32Array.from(values, (v, i) => (mask[i] === 0 ? 0 : v)),
        );
    }
    return all;
  };
  const [left, right] = [await effective(a), await effective(b)];
  if ([...right.keys()].join() !== [...left.keys()].join()) throw new Error(`the models' entries differ: ${[...left.keys()].join()} and ${[...right.keys()].join()}`);
  return Math.max(...[...left].map(([name, values]) => maxAbsDifference(values, right.get(name)!)));
}

/** Mask entries that differ between two models of one network. */
export async function maskChanges(a: Model, b: Model): Promise<number> {
  const [left, right] = [await entries(a), await entries(b)];
  let changed = 0;
  for (const [name, values] of left) if (name.endsWith(".mask")) values.forEach((v, i) => (changed += v === right.get(name)![i] ? 0 : 1));
  return changed;
}

/** Live entries over every mask of a model's file: dense blocks, convs and recurrent weights. */
export async function liveEntries(model: Model): Promise<number> {
  let live = 0;
  for (const [name, mask] of await entries(model)) if (name.endsWith(".mask")) for (const m of mask) live += m;
  return live;
}

/** How many weights are not 0 where their mask is 0 (must be none). */
export async function maskedNonZero(model: Model): Promise<number> {
  const all = await entries(model);
  let bad = 0;
  for (const [name, mask] of all) {
    if (!name.endsWith(".mask")) continue;
    const weight = all.get(maskedWeight(name, all))!;
    mask.forEach((live, i) => (bad += live === 0 && weight[i] !== 0 ? 1 : 0));
  }
  return bad;
}

/**
 * The weight a mask entry of a run folder masks: `dense1.mask` and
 * `conv1.mask` mask `….weight`; a recurrent layer's `lstm1.input.mask` and
 * `lstm1.hidden.mask` mask `lstm1.inputWeight` and `lstm1.hiddenWeight`.
 */
export function maskedWeight(mask: string, names: ReadonlyMap<string, unknown>): string {
  const base = mask.slice(0, -".mask".length);
  const weight = names.has(`${base}.weight`) ? `${base}.weight` : base.replace(/\.(input|hidden)$/, ".$1Weight");
  if (!names.has(weight)) throw new Error(`mask '${mask}' masks no weight of the run folder (looked for '${weight}')`);
  return weight;
}

/** The `.ds` files of `dir` (sorted paths): the PyTorch target emits every one. */
export async function pytorchSources(dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".ds")).sort();
  return files.map((f) => join(dir, f));
}

/**
 * The biases of convs a batch norm follows: the batch norm subtracts the
 * batch mean, bias included, so their gradient is 0 in exact arithmetic and
 * rounding noise in floats, which Adam would scale up to ±lr a step. Both
 * the runtime (features/held-biases.ts) and the generated module give them
 * an exact 0 gradient, so every step leaves them bit for bit where they were.
 */
export function zeroGradientBiases(model: Model): Set<string> {
  return batchNormedConvBiases(model.spec);
}
