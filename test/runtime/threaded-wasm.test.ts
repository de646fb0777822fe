/**
 * The graph kernel and the column picks on a shared memory: TensorFlow.js's
 * threaded WASM build (tfjs-backend-wasm-threaded-simd.wasm), whose memory
 * is a SharedArrayBuffer and links only to a module whose memory import is
 * declared shared.
 *
 * The real build runs in a child process (threaded-wasm-child.ts: Node needs
 * a small worker shim for it, explained there), which hands back the
 * kernel's outputs and gradients; they are checked here against the float64
 * reference and against this process's single-threaded WASM build. A
 * simulated shared memory (a WebAssembly.Memory({ shared: true }) behind a
 * stand-in for the WASM backend) checks the linking and the kernels in this
 * process too.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import type { DataType, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../runtime/backend.js";
import { graphKernelSupport, graphStructure } from "../../runtime/kernels/graph/graph-kernel.js";
import { GRAPH_WASM_BASE64, GRAPH_WASM_SHARED_BASE64 } from "../../runtime/kernels/graph/graph-wasm.js";
import { graphCode, isSharedMemory, type WasmMemory } from "../../runtime/kernels/graph/memory.js";
import { columnPick, gatherColumns, scatterColumnsPortable } from "../../runtime/kernels/gather-columns.js";
import { ACTIVATIONS, activationCase, growingCase, lossTensor, noInputGradientCase, PICK_INDICES, pickColumns, run } from "./graph-kernel-cases.js";
import { expectGrowingGradients, expectNoInputGradient, expectPickedColumns, expectReferenceActivations, expectReferenceGradients } from "./graph-kernel-checks.js";
import { decodeResult, MODEL_DIR, MODEL_INPUT, RESULT_MARKER, THREADS, type ChildResult } from "./threaded-wasm-child.js";
import { loadModel, saveWeights } from "../../runtime/files.js";
import { buildModel } from "../support/models.js";

const CHILD = fileURLToPath(new URL("./threaded-wasm-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function runChild(modelDir: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, [MODEL_DIR]: modelDir };
    const child = spawn(process.execPath, ["--import", "tsx", CHILD], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_MARKER));
      if (code !== 0 || line === undefined) reject(new Error(`the threaded-WASM child exited with ${code ?? signal}:\n${stderr}\n${stdout}`));
      else resolve(decodeResult(line.slice(RESULT_MARKER.length)));
    });
  });
}

const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
interface WebAssemblyApi {
  readonly Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => object;
}
const moduleOf = (base64: string): object => new webAssembly.Module(Buffer.from(base64, "base64"));
const link =
  (base64: string, memory: WasmMemory): (() => object) =>
  () =>
    new webAssembly.Instance(moduleOf(base64), { env: { memory } });

describe("TensorFlow.js's threaded WASM build, in a child process", () => {
  let child: ChildResult;
  // A model trained and saved here (CPU, execution auto), loaded in the child on the threaded build, and saved back.
  const modelDir = join(mkdtempSync(join(tmpdir(), "dsc-threaded-")), "saved");
  let savedPredictions: Float32Array;
  beforeAll(async () => {
    const model = await buildModel("graph g = watts_strogatz(n=40, k=4, p=0.5, seed=3)\nnetwork W { input 6 dense 8 structure g output 3 dense 50 }", { seed: 4 });
    await model.fit({ x: tf.tensor2d(MODEL_INPUT(), [4, 6]), y: tf.tensor1d([0, 1, 2, 1], "int32") }, { epochs: 2, batchSize: 2 });
    savedPredictions = tf.tidy(() => model.predict(tf.tensor2d(MODEL_INPUT(), [4, 6])).dataSync() as Float32Array).slice();
    await saveWeights(model, modelDir);
    child = await runChild(modelDir);
  }, 120_000);

  it("loads a model saved on another backend under every execution, and saves one that loads back here", async () => {
    const loaded = child.savedModel!;
    for (const execution of ["auto", "dense", "sparse"] as const) loaded[execution].predictions.forEach((v, i) => expect(v).toBeCloseTo(savedPredictions[i]!, 4));
    // The graph kernel ran on the shared memory: the structure was one graph kernel there.
    expect(loaded.auto.execution.some((s) => s.kind === "graph")).toBe(true);
    expect(loaded.dense.execution.every((s) => s.kind === "dense")).toBe(true);
    for (const backend of ["cpu", "wasm"] as const) {
      const back = await loadModel(`${modelDir}-threaded`, { backend });
      const predictions = tf.tidy(() => back.predict(tf.tensor2d(MODEL_INPUT(), [4, 6])).dataSync());
      predictions.forEach((v, i) => expect(v).toBeCloseTo(savedPredictions[i]!, 4));
      back.dispose();
    }
    await useBackend("cpu");
  });

  it("comes up with a shared memory and a thread pool on worker threads", () => {
    expect(child.backend).toBe("wasm");
    expect(child.sharedMemory).toBe(true);
    expect(child.threads).toBe(THREADS);
    expect(child.pthreadsStarted).toBe(THREADS - 1);
    expect(child.matMulMatches).toBe(true);
  });

  it("is a memory the plain binary cannot link to, and the graph kernel reports itself available there", () => {
    expect(child.plainBinary).toMatch(/LinkError.*mismatch in shared state of memory/);
    expect(child.support).toEqual({ available: true });
  });

  describe.each(ACTIVATIONS)("the graph kernel with %s", (activation) => {
    const { c, x, exports } = activationCase(activation);

    it("computes the reference's activations", () => {
      expectReferenceActivations(c, x, activation, exports, child.activations[activation]!);
    });

    it("has the reference's gradients by input, weight and bias; masked weights get exactly 0", () => {
      expectReferenceGradients(c, x, activation, exports, child.activations[activation]!);
    });
  });

  it("gives switched-off connections their gradient when asked (for growing)", () => {
    const { c, x, exports } = growingCase();
    expectGrowingGradients(c, x, exports, child.growing);
  });

  it("gives the input no gradient when told nothing upstream needs it", () => {
    expectNoInputGradient(child.noInputGradient);
  });

  it("picks columns, repeats allowed, and adds the gradient back into each column taken", () => {
    expectPickedColumns(child.pick);
  });

  it("keeps computing the same after the shared memory grows", () => {
    expect(child.afterGrowth.bytesAfter).toBeGreaterThanOrEqual(64 << 20);
    expect(child.afterGrowth.tanh).toEqual(child.activations.tanh);
  });

  describe("agrees bit for bit with the single-threaded WASM build in this process", () => {
    beforeAll(async () => {
      await useBackend("wasm");
    });

    it("in every case", () => {
      for (const activation of ACTIVATIONS) {
        const { c, x, exports } = activationCase(activation);
        expect(child.activations[activation]).toEqual(run(c, x, activation, exports));
      }
      const grow = growingCase();
      expect(child.growing).toEqual(run(grow.c, grow.x, "tanh", grow.exports, { maskWeightGradient: false }));
      const noInput = noInputGradientCase();
      expect(child.noInputGradient).toEqual(run(noInput.c, noInput.x, "relu", noInput.exports, { inputNeedsGradient: false }));
      expect(child.pick).toEqual(pickColumns());
    });
  });
});

describe("the shared-memory binary on a simulated shared memory", () => {
  const shared = new webAssembly.Memory({ initial: 1, maximum: 64, shared: true });
  const plain = new webAssembly.Memory({ initial: 1 });

  it("links where the plain binary fails with the threaded build's LinkError, and only there", () => {
    expect(isSharedMemory(shared)).toBe(true);
    expect(isSharedMemory(plain)).toBe(false);
    expect(link(GRAPH_WASM_BASE64, shared)).toThrow(/mismatch in shared state of memory/);
    expect(link(GRAPH_WASM_SHARED_BASE64, plain)).toThrow();
    expect(link(GRAPH_WASM_SHARED_BASE64, shared)).not.toThrow();
    expect(link(GRAPH_WASM_BASE64, plain)).not.toThrow();
    // graphCode chooses by the memory.
    expect(() => graphCode(shared)).not.toThrow();
    expect(() => graphCode(plain)).not.toThrow();
  });

  /**
   * A stand-in for the WASM backend with the parts the kernels use: a shared
   * memory, a bump allocator, tensor addresses by data id.
   */
  function simulatedWasmBackend() {
    const memory = new webAssembly.Memory({ initial: 1, maximum: 256, shared: true });
    let top = 64;
    const malloc = (bytes: number): number => {
      const pointer = top;
      top += Math.ceil(Math.max(bytes, 4) / 16) * 16;
      const missing = top - memory.buffer.byteLength;
      if (missing > 0) memory.grow(Math.ceil(missing / 65536));
      return pointer;
    };
    const addresses = new Map<object, { memoryOffset: number }>();
    const place = (shape: number[], dtype: DataType): TensorInfo => {
      const dataId = {};
      addresses.set(dataId, { memoryOffset: malloc(4 * shape.reduce((a, b) => a * b, 1)) });
      return { dataId, shape, dtype };
    };
    const backend = {
      wasm: { wasmMemory: memory, _malloc: malloc, _free: () => {} },
      dataIdMap: { get: (dataId: object) => addresses.get(dataId) },
      makeOutput: place,
    };
    const view = (info: TensorInfo) => {
      const at = addresses.get(info.dataId)!.memoryOffset / 4;
      const count = info.shape.reduce((a, b) => a * b, 1);
      return info.dtype === "int32" ? new Int32Array(memory.buffer).subarray(at, at + count) : new Float32Array(memory.buffer).subarray(at, at + count);
    };
    return {
      memory,
      /** A tensor's values into the shared memory. */
      put: (tensor: tf.Tensor): TensorInfo => {
        const info = place([...tensor.shape], tensor.dtype);
        view(info).set(tensor.dataSync());
        return info;
      },
      read: (info: TensorInfo): number[] => Array.from(view(info)),
      run: (kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo[] => {
        const kernel = tf.getKernel(kernelName, "wasm");
        if (kernel === undefined) throw new Error(`${kernelName} is not registered for wasm`);
        const out = kernel.kernelFunc({ inputs, backend: backend as never, attrs }) as TensorInfo | TensorInfo[];
        return Array.isArray(out) ? out : [out];
      },
    };
  }

  describe("behind a stand-in WASM backend, compared with the same kernels on the CPU backend", () => {
    beforeAll(async () => {
      await useBackend("cpu");
    });

    it("picks columns and scatters their gradient back", () => {
      const sim = simulatedWasmBackend();
      const { x, w, picked, dx } = pickColumns();
      const [out] = sim.run("DeepstructGatherColumns", { x: sim.put(tf.tensor2d(x)), indices: sim.put(columnPick(PICK_INDICES)) });
      expect(sim.read(out!)).toEqual(picked.flat());
      // The gradient of Σ w · x[:, indices] is w scattered back.
      const [back] = sim.run("DeepstructScatterColumns", { dy: sim.put(tf.tensor2d(w)), indices: sim.put(columnPick(PICK_INDICES)) }, { cols: 7 });
      expect(sim.read(back!)).toEqual(dx.flat());
      expect(isSharedMemory(sim.memory)).toBe(true);
    });

    it("runs the graph kernel's forward and backward passes", () => {
      const sim = simulatedWasmBackend();
      const { c, x, exports } = activationCase("tanh");
      const structure = graphStructure({ inputs: c.inputs, activated: c.activated, members: c.members });
      const named: Record<string, tf.Tensor> = {
        start: structure.start,
        source: structure.source,
        exports: tf.tensor1d(exports, "int32"),
        mask: tf.tensor1d(Float32Array.from(c.masks.flatMap((m) => Array.from(m)))),
        slots: structure.slots,
      };
      c.weights.forEach((wk, k) => (named[`w${k}`] = tf.tensor1d(Float32Array.from(wk))));
      c.biases.forEach((bk, k) => (named[`b${k}`] = tf.tensor1d(Float32Array.from(bk))));
      const inputs: NamedTensorInfoMap = {};
      for (const [name, tensor] of Object.entries(named)) inputs[name] = sim.put(tensor);
      const attrs = { members: c.members.length, neurons: c.neurons, activated: c.activated, kind: 2, needInput: true, masked: true } as unknown as NamedAttrMap;
      const xs = tf.tensor2d(x);
      const [h, out, xt, weff] = sim.run("DeepstructGraph", { x: sim.put(xs), ...inputs }, attrs);

      // The same kernel through TensorFlow.js on the CPU backend (a private, plain memory).
      const cpu = run(c, x, "tanh", exports);
      expect(sim.read(out!)).toEqual(cpu.y.flat());

      // The gradient run() hands the backward pass: that of its loss at the kernel's output.
      const cpuDy = tf.grad((y: tf.Tensor) => lossTensor(y as tf.Tensor2D))(tf.tensor2d(cpu.y));
      const [dx, ...parameters] = sim.run("DeepstructGraphGrad", { dy: sim.put(cpuDy), h: h!, xt: xt!, weff: weff!, ...inputs }, attrs);
      expect(sim.read(dx!)).toEqual(cpu.dx);
      expect(parameters.slice(0, c.members.length).map((p) => sim.read(p))).toEqual(cpu.dw);
      expect(parameters.slice(c.members.length).map((p) => sim.read(p))).toEqual(cpu.db);
    });
  });
});

describe("where graph.wat cannot run", () => {
  it("the portable column-pick gradient gives the kernel's sums, by gathers alone", async () => {
    await useBackend("cpu");
    const { w, dx } = pickColumns();
    expect(scatterColumnsPortable(tf.tensor2d(w), PICK_INDICES, 7).arraySync()).toEqual(dx);
    // No column taken: zeros.
    expect(scatterColumnsPortable(tf.zeros([2, 0]) as tf.Tensor2D, [], 3).arraySync()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it("on a backend the kernels are not registered for, picks columns the portable way and the graph kernel says why not", async () => {
    // A backend of TensorFlow.js's own CPU kernels under another name: none of graph.wat's kernels are registered for it.
    const { MathBackendCPU } = await import("@tensorflow/tfjs-backend-cpu");
    tf.registerBackend("plain-js", () => new MathBackendCPU(), 0);
    for (const config of tf.getKernelsForBackend("cpu")) if (!config.kernelName.startsWith("Deepstruct")) tf.registerKernel({ ...config, backendName: "plain-js" });
    try {
      await tf.setBackend("plain-js");
      expect(graphKernelSupport()).toEqual({ available: false, reason: "the graph kernel runs on the 'wasm' and 'cpu' backends, not on 'plain-js'" });
      expectPickedColumns(pickColumns());
      // A pick not made by columnPick is read once for its gradient.
      const x = tf.tensor2d([[1, 2, 3]]);
      const pick = tf.tensor1d([2, 2, 0], "int32");
      const g = tf.grad((xx: tf.Tensor) => tf.sum(gatherColumns(xx as tf.Tensor2D, pick)))(x);
      expect(g.arraySync()).toEqual([[1, 0, 2]]);
    } finally {
      await useBackend("cpu");
      tf.removeBackend("plain-js");
    }
  });
});
