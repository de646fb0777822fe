/**
 * `dsc export mnist -o DIR`: the embedded MNIST digits, split as `dsc train
 * --data mnist` splits them (8,000 to train, 2,000 held out, the same
 * samples); `dsc export start-symbol -o DIR`: the sequence task of
 * examples/recurrent.ds, split as `dsc train --data start-symbol` splits it
 * (1,600 / 400, each sample its 20 steps of one number); as raw little-endian files that the generated PyTorch module's
 * `train --data DIR` reads without conversion:
 *
 *   DIR/train-x.bin, test-x.bin   float32 [samples, featureSize], row-major
 *   DIR/train-y.bin, test-y.bin   int32 class indices [samples]
 *   DIR/samples.json              sizes, the label kind and each file's SHA-256
 *
 * Every file is written atomically, samples.json last, so a folder whose
 * samples.json is there holds complete files that match it.
 */
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomically } from "../../runtime/file-io.js";
import { loadData, START_SYMBOL, type Dataset } from "../data/index.js";
import type { CliIo } from "./main.js";
import { UsageError } from "./usage.js";

export const SAMPLES_FORMAT = "deepstruct-samples";
export const SAMPLES_FORMAT_VERSION = 1;

/** A part's files as samples.json describes them. */
export interface ExportedPart {
  readonly samples: number;
  readonly x: string;
  readonly y: string;
  readonly sha256: { readonly x: string; readonly y: string };
}

export interface SamplesManifest {
  readonly format: typeof SAMPLES_FORMAT;
  readonly formatVersion: typeof SAMPLES_FORMAT_VERSION;
  readonly source: string;
  readonly featureSize: number;
  readonly classes: number;
  readonly parts: { readonly train: ExportedPart; readonly test: ExportedPart };
}

/** The sources `dsc export` knows; each gives the split `dsc train --data SOURCE` trains and holds out. */
const SOURCES: Readonly<Record<string, () => Promise<{ train: Dataset; test: Dataset }>>> = {
  mnist: async () => (await import("../data/mnist.js")).mnistSplit(),
  // The sequences of examples/recurrent.ds: 1,600 to train, 400 held out, as loadData splits them for dsc train.
  [START_SYMBOL.name]: async () => {
    const { steps, classes } = START_SYMBOL;
    return loadData(START_SYMBOL.name, { inputSize: steps, outputSize: classes });
  },
};

export async function exportCommand(source: string | undefined, out: string | undefined, io: CliIo): Promise<number> {
  const load = source === undefined ? undefined : SOURCES[source];
  if (load === undefined) throw new UsageError(`export takes a data source: ${Object.keys(SOURCES).join(", ")}${source === undefined ? "" : `; got '${source}'`}`);
  if (out === undefined) throw new UsageError("export needs -o DIR");
  const split = await load();
  const manifest = await exportSplit(source!, split, out);
  const { train, test } = manifest.parts;
  io.out(`${out}: ${source} as float32 inputs of ${manifest.featureSize} and int32 classes, ${train.samples} to train, ${test.samples} held out`);
  return 0;
}

/** Writes the two parts of a class-labelled split and their samples.json into `dir`; returns the manifest. */
export async function exportSplit(source: string, split: { train: Dataset; test: Dataset }, dir: string): Promise<SamplesManifest> {
  const { train, test } = split;
  if (train.featureSize !== test.featureSize) throw new Error(`the parts of ${source} have ${train.featureSize} and ${test.featureSize} features`);
  await mkdir(dir, { recursive: true });
  const parts = { train: await writePart(train, "train", dir, source), test: await writePart(test, "test", dir, source) };
  const classes = 1 + Math.max(largest(classesOf(train, source)), largest(classesOf(test, source)));
  const manifest: SamplesManifest = { format: SAMPLES_FORMAT, formatVersion: SAMPLES_FORMAT_VERSION, source, featureSize: train.featureSize, classes, parts };
  await writeFileAtomically(join(dir, "samples.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

function largest(values: Int32Array): number {
  return values.reduce((a, b) => Math.max(a, b), -1);
}

function classesOf(data: Dataset, source: string): Int32Array {
  if (data.labels.kind !== "classes") throw new Error(`${source} has targets, not class labels: export writes class indices only`);
  return data.labels.classes;
}

async function writePart(data: Dataset, part: "train" | "test", dir: string, source: string): Promise<ExportedPart> {
  const x = littleEndianBytes(data.features);
  const y = littleEndianBytes(classesOf(data, source));
  const names = { x: `${part}-x.bin`, y: `${part}-y.bin` };
  await writeFileAtomically(join(dir, names.x), x);
  await writeFileAtomically(join(dir, names.y), y);
  return { samples: data.size, ...names, sha256: { x: sha256(x), y: sha256(y) } };
}

/** The values' bytes, little-endian whatever the machine's order (typed arrays use the machine's). */
function littleEndianBytes(values: Float32Array | Int32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  if (values instanceof Float32Array) values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  else values.forEach((v, i) => view.setInt32(4 * i, v, true));
  return bytes;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
