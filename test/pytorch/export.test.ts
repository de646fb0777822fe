/**
 * `dsc export mnist -o DIR`: the split `dsc train --data mnist` uses, as raw
 * little-endian files with a samples.json naming their sizes and SHA-256,
 * which the generated module's read_exported reads (and refuses when a file
 * does not match).
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { SamplesManifest } from "../../src/cli/export.js";
import { mnistSplit } from "../../src/data/mnist.js";
import { loadData, START_SYMBOL } from "../../src/data/index.js";
import { loadModel } from "../../runtime/files.js";
import * as tf from "@tensorflow/tfjs-core";
import { capture } from "../support/cli.js";
import { compileExample, hasTorch, runPython } from "./support.js";

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** Entries that differ (a length difference counts as all of them). */
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) count++;
  return count;
}

async function exported(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ds-export-"));
  dirs.push(dir);
  const io = capture();
  expect(await main(["export", "mnist", "-o", join(dir, "mnist")], io), io.stderr.join("\n")).toBe(0);
  expect(io.stdout.join("\n")).toContain("8000 to train, 2000 held out");
  return join(dir, "mnist");
}

describe("dsc export mnist", () => {
  it("writes dsc train's 8,000 / 2,000 split sample for sample, with sizes and SHA-256 in samples.json, and no temporary files", async () => {
    const dir = await exported();
    expect((await readdir(dir)).sort()).toEqual(["samples.json", "test-x.bin", "test-y.bin", "train-x.bin", "train-y.bin"]);
    const manifest = JSON.parse(await readFile(join(dir, "samples.json"), "utf8")) as SamplesManifest;
    expect([manifest.featureSize, manifest.classes, manifest.parts.train.samples, manifest.parts.test.samples]).toEqual([784, 10, 8000, 2000]);
    const split = mnistSplit();
    for (const part of ["train", "test"] as const) {
      const [x, y] = [await readFile(join(dir, `${part}-x.bin`)), await readFile(join(dir, `${part}-y.bin`))];
      expect(createHash("sha256").update(x).digest("hex")).toBe(manifest.parts[part].sha256.x);
      expect(createHash("sha256").update(y).digest("hex")).toBe(manifest.parts[part].sha256.y);
      const data = split[part];
      // Read as little-endian whatever this machine's order, value for value.
      const features = Float32Array.from({ length: x.length / 4 }, (_, i) => x.readFloatLE(4 * i));
      const classes = Int32Array.from({ length: y.length / 4 }, (_, i) => y.readInt32LE(4 * i));
      expect(data.labels.kind).toBe("classes");
      expect(mismatches(features, data.features), `${part} inputs`).toBe(0);
      expect(mismatches(classes, data.labels.kind === "classes" ? data.labels.classes : new Int32Array(0)), `${part} classes`).toBe(0);
    }
  }, 60_000);

  it("refuses an unknown source and a missing -o with status 2", async () => {
    const io = capture();
    expect(await main(["export", "cifar", "-o", "x"], io)).toBe(2);
    expect(io.stderr.join("\n")).toContain("export takes a data source: mnist, start-symbol; got 'cifar'");
    expect(await main(["export", "mnist"], io)).toBe(2);
    expect(io.stderr.join("\n")).toContain("export needs -o DIR");
  });

  it.skipIf(!hasTorch)(
    "is what the generated module's read_exported reads, and a changed file is refused by its SHA-256",
    async () => {
      const dir = await exported();
      const { module } = await compileExample("examples/small_world.ds", join(dir, "..", "py"));
      const script = [
        "import importlib.util, sys",
        "spec = importlib.util.spec_from_file_location('generated', sys.argv[1])",
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)",
        "parts = m.read_exported(sys.argv[2], [1, 28, 28])",
        "print(*(f'{k} {list(x.shape)} {int(y.sum())} {float(x.sum()):.3f}' for k, (x, y) in sorted(parts.items())), sep='\\n')",
      ].join("\n");
      const printed = runPython(["-c", script, module, dir]).trim().split("\n");
      const split = mnistSplit();
      const expected = (["test", "train"] as const).map((part) => {
        const data = split[part];
        const classes = data.labels.kind === "classes" ? data.labels.classes.reduce((a, b) => a + b, 0) : NaN;
        return `${part} [${data.size}, 1, 28, 28] ${classes}`;
      });
      expect(printed.map((line) => line.split(" ").slice(0, -1).join(" "))).toEqual(expected);
      const labels = await readFile(join(dir, "test-y.bin"));
      labels[0] = (labels[0]! + 1) % 10;
      await writeFile(join(dir, "test-y.bin"), labels);
      expect(() => runPython(["-c", script, module, dir])).toThrow(/test-y\.bin: the data does not match the SHA-256 that samples\.json records/);
    },
    120_000,
  );
});

describe("dsc export start-symbol", () => {
  async function exportedSequences(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "ds-export-seq-"));
    dirs.push(dir);
    const io = capture();
    expect(await main(["export", "start-symbol", "-o", join(dir, "start-symbol")], io), io.stderr.join("\n")).toBe(0);
    expect(io.stdout.join("\n")).toContain("inputs of 20 and int32 classes, 1600 to train, 400 held out");
    return join(dir, "start-symbol");
  }

  it("writes dsc train --data start-symbol's split sample for sample", async () => {
    const dir = await exportedSequences();
    const split = await loadData(START_SYMBOL.name, { inputSize: START_SYMBOL.steps, outputSize: START_SYMBOL.classes });
    for (const part of ["train", "test"] as const) {
      const [x, y] = [await readFile(join(dir, `${part}-x.bin`)), await readFile(join(dir, `${part}-y.bin`))];
      const features = Float32Array.from({ length: x.length / 4 }, (_, i) => x.readFloatLE(4 * i));
      const classes = Int32Array.from({ length: y.length / 4 }, (_, i) => y.readInt32LE(4 * i));
      const data = split[part];
      expect(mismatches(features, data.features), `${part} inputs`).toBe(0);
      expect(mismatches(classes, data.labels.kind === "classes" ? data.labels.classes : new Int32Array(0)), `${part} classes`).toBe(0);
    }
  });

  it.skipIf(!hasTorch)(
    "trains examples/recurrent.ds in the generated module, and the run folder predicts the held-out part in TypeScript as PyTorch reported",
    async () => {
      const dir = await exportedSequences();
      const { module } = await compileExample("examples/recurrent.ds", join(dir, "..", "py"));
      const run = join(dir, "..", "run");
      const printed = runPython([module, "train", "--data", dir, "--epochs", "3", "--seed", "1", "--out", run]);
      const last = JSON.parse(printed.trim().split("\n").at(-1)!) as { epoch: number; heldOutAccuracy: number };
      expect(last.epoch).toBe(3);
      // Chance is 10%; the LSTM learns the start symbol within a few epochs.
      expect(last.heldOutAccuracy).toBeGreaterThan(0.6);
      const model = await loadModel(run, { backend: "cpu" });
      const test = (await loadData(START_SYMBOL.name, { inputSize: START_SYMBOL.steps, outputSize: START_SYMBOL.classes })).test;
      const predicted = tf.tidy(() => tf.argMax(model.predict(tf.tensor(test.features, [test.size, ...model.inputShape])), 1).dataSync());
      const classes = test.labels.kind === "classes" ? test.labels.classes : new Int32Array(0);
      const correct = classes.reduce((n, c, i) => n + (predicted[i] === c ? 1 : 0), 0);
      console.log(
        `recurrent.ds, 3 epochs in PyTorch: held out ${(100 * last.heldOutAccuracy).toFixed(2)}%, the run folder in TypeScript ${((100 * correct) / test.size).toFixed(2)}%`,
      );
      expect(correct / test.size).toBe(last.heldOutAccuracy);
      model.dispose();
    },
    240_000,
  );
});
