/**
 * The native part's stand-in in browser bundles (runtime/kernels/native/browser.ts, put in place of
 * kernels/native/index.ts by package.json's `browser` field): the same names, answering as the native part does where
 * no addon loads; Node (and vitest) still get the native part; a browser bundle of the runtime's sources carries none
 * of it; and nothing in kernels/native/ imports its own index back (a cycle would run a module before its imports).
 */
import { build, type Metafile } from "esbuild";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { nativeStatus as publicStatus, useBackend } from "../../runtime/index.js";
import * as browser from "../../runtime/kernels/native/browser.js";
import * as native from "../../runtime/kernels/native/index.js";
import { nativeStatus as loadedStatus } from "../../runtime/kernels/native/load.js";
import { fusedAdamActive } from "../../runtime/kernels/native/fused-adam.js";
import type { GraphExports, WasmMemory } from "../../runtime/kernels/graph/memory.js";

// Fails to type-check where browser.ts lacks one of index.ts's exports or gives it another type.
const sameExports: typeof native = browser;

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NATIVE_DIR = "runtime/kernels/native/";

/** The esbuild metafile of `entry` (a path from the repository's root) bundled for `platform`, packages left out. */
async function metafileOf(entry: string, platform: "browser" | "node"): Promise<Metafile> {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: ROOT,
    bundle: true,
    platform,
    format: "esm",
    packages: "external",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  return result.metafile;
}

describe("the native part's browser stand-in", () => {
  beforeAll(async () => {
    await useBackend("cpu");
  });

  it("exports exactly index.ts's names", () => {
    expect(Object.keys(sameExports).sort()).toEqual(Object.keys(native).sort());
  });

  it("answers as the native part does without an addon: not in Node, nothing active, no native kernels", () => {
    expect(browser.nativeStatus()).toEqual({ available: false, reason: "not running in Node" });
    expect([browser.nativeDenseActive(), browser.nativeGraphActive(), browser.nativeThreads(), browser.nativePasses()]).toEqual([false, false, undefined, undefined]);
    expect(
      browser.nativeConv([1, 4, 4, 1], [3, 3, 1, 2], {
        kernel: [3, 3],
        stride: [1, 1],
        dilation: [1, 1],
        pad: [
          [0, 0],
          [0, 0],
        ],
        out: [2, 2],
      }),
    ).toBeUndefined();
    tf.tidy(() => {
      const x = tf.ones([2, 3]) as Tensor2D;
      expect(browser.nativeDenseLayer(x, tf.ones([3, 4]) as Tensor2D, undefined, tf.zeros([4]))).toBeUndefined();
      expect(browser.nativeNonFiniteIndex(x)).toBeUndefined();
    });
    const code = {} as GraphExports;
    expect(browser.withNativeGraph(code, {} as WasmMemory)).toBe(code);
  });

  it("checks setNativeThreads's argument as the native part does, and switches nothing", () => {
    for (const bad of [0, 1.5, -2]) {
      expect(() => browser.setNativeThreads(bad)).toThrow(RangeError);
      expect(() => browser.setNativeThreads(bad)).toThrow(`setNativeThreads: threads must be a positive integer, got ${bad}`);
      expect(() => native.setNativeThreads(bad)).toThrow(`setNativeThreads: threads must be a positive integer, got ${bad}`);
    }
    expect(() => browser.setNativeThreads(2)).not.toThrow();
    for (const on of [false, true]) expect([browser.useNativeDense(on), browser.useNativeGraph(on), browser.useNativeConv(on)]).toEqual([undefined, undefined, undefined]);
  });

  it("multiplies as TensorFlow.js's matMul does, every way transposed, with and without a bias", () => {
    const a = tf.tensor2d([1, -2, 3.5, 4, 0.25, -6], [2, 3]);
    const b = tf.tensor2d([0.5, 7, -1, 2, 3, -0.75], [3, 2]);
    const bias = tf.tensor1d([0.125, -8]);
    const cases = [
      { a, b, options: {} },
      { a: tf.transpose(a) as Tensor2D, b, options: { transposeA: true, bias } },
      { a, b: tf.transpose(b) as Tensor2D, options: { transposeB: true } },
      { a: tf.transpose(a) as Tensor2D, b: tf.transpose(b) as Tensor2D, options: { transposeA: true, transposeB: true, bias } },
    ];
    const expected = tf.add(tf.matMul(a, b), bias);
    for (const [k, c] of cases.entries()) {
      const got = browser.denseProduct(c.a, c.b, c.options);
      const want = c.options.bias === undefined ? tf.matMul(a, b) : expected;
      expect(got.shape, `case ${k}`).toEqual([2, 2]);
      expect(Array.from(got.dataSync()), `case ${k}`).toEqual(Array.from(want.dataSync()));
    }
  });

  it("trains with TensorFlow.js's Adam, step for step what the runtime's Adam does where the fused step does not run", () => {
    expect(fusedAdamActive()).toBe(false);
    const optimizers = [browser.adamOptimizer(0.05, 0.8, 0.95, 1e-6), native.adamOptimizer(0.05, 0.8, 0.95, 1e-6)];
    expect(optimizers.map((o) => [o.constructor.name, o.getClassName()])).toEqual([
      ["AdamOptimizer", "Adam"],
      ["FusedAdam", "Adam"],
    ]);
    const values = optimizers.map(() => tf.variable(tf.tensor1d([0.5, -1.5, 2, 0.25])));
    for (let step = 0; step < 4; step++) {
      optimizers.forEach((optimizer, i) => {
        const v = values[i]!;
        optimizer.applyGradients({ [v.name]: tf.tidy(() => tf.sin(tf.mul(v, step + 1))) });
      });
    }
    expect(Array.from(values[0]!.dataSync())).toEqual(Array.from(values[1]!.dataSync()));
    optimizers.forEach((o) => o.dispose());
    values.forEach((v) => v.dispose());
  });
});

describe("which native part a build gets", () => {
  it("in Node (and vitest) the runtime exports the native part's own status, not the stand-in's", () => {
    expect(publicStatus).toBe(loadedStatus);
    expect(publicStatus).not.toBe(browser.nativeStatus);
  });

  it("a browser bundle of the runtime's sources takes browser.ts and nothing else from kernels/native/; a Node bundle takes index.ts", async () => {
    const inFolder = (meta: Metafile): string[] => Object.keys(meta.inputs).filter((path) => path.startsWith(NATIVE_DIR));
    expect(inFolder(await metafileOf("runtime/index.ts", "browser"))).toEqual([`${NATIVE_DIR}browser.ts`]);
    const node = inFolder(await metafileOf("runtime/index.ts", "node"));
    expect(node).toContain(`${NATIVE_DIR}index.ts`);
    expect(node).not.toContain(`${NATIVE_DIR}browser.ts`);
  });

  it("no module the native part's index imports leads back to it", async () => {
    const { inputs } = await metafileOf(`${NATIVE_DIR}index.ts`, "node");
    const reachable = (from: string): Set<string> => {
      const seen = new Set<string>();
      const visit = (path: string): void => {
        for (const next of inputs[path]?.imports ?? []) {
          if (next.external || seen.has(next.path)) continue;
          seen.add(next.path);
          visit(next.path);
        }
      };
      visit(from);
      return seen;
    };
    const ledBack = Object.keys(inputs).filter((path) => path !== `${NATIVE_DIR}index.ts` && reachable(path).has(`${NATIVE_DIR}index.ts`));
    expect(ledBack).toEqual([]);
  });
});
