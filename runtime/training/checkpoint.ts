/**
 * Training states as files, for Node (exported from `@deepstruct/runtime/files`):
 * `DIR/training-state.json` and the binary it names,
 * `training-state-<first 16 hex digits of its SHA-256>.bin`, which holds
 * every Float32Array of the state (optimizer slots, snapshots) one after
 * another, little-endian as the platform's Float32Array (as weights are).
 *
 * As saveWeights does: each file is written under a temporary name, flushed
 * and renamed (writeFileAtomically), the binary first and named by its
 * content, so the JSON switches from the old state to the new one in one
 * rename and a crash at any moment leaves one complete state. The JSON
 * records the binary's checksum and size, checked on load.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { readNamed, writeFileAtomically } from "../file-io.js";
import type { TrainingState } from "./options.js";

export const TRAINING_STATE_FILE = "training-state.json";
const FORMAT = "deepstruct-training-state-file";
const STALE = /^training-state-[0-9a-f]{16}\.bin(\.tmp-.*)?$|^training-state\.json\.tmp-/;

/** The JSON file: the state with each array as `{ $float32: [offset, length] }` (in floats) into the binary. */
interface StateFile {
  readonly format: typeof FORMAT;
  readonly version: 1;
  readonly binary: { readonly file: string; readonly sha256: string; readonly bytes: number };
  readonly state: unknown;
}

/** Writes `dir/training-state.json` and its binary, creating `dir` if needed, and removes binaries no longer named. */
export async function saveTrainingState(dir: string, state: TrainingState): Promise<void> {
  const arrays: Float32Array[] = [];
  let offset = 0;
  const text = JSON.stringify(state, (_, value: unknown) => {
    if (value instanceof Float32Array) {
      arrays.push(value);
      offset += value.length;
      return { $float32: [offset - value.length, value.length] };
    }
    // JSON has no NaN or infinities; a validation loss may be one.
    if (typeof value === "number" && !Number.isFinite(value)) return { $number: String(value) };
    return value;
  });
  const bytes = new Uint8Array(offset * 4);
  let at = 0;
  for (const a of arrays) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const file = `training-state-${sha256.slice(0, 16)}.bin`;
  const json: StateFile = { format: FORMAT, version: 1, binary: { file, sha256, bytes: bytes.length }, state: JSON.parse(text) };
  await mkdir(dir, { recursive: true });
  await writeFileAtomically(join(dir, file), bytes);
  await writeFileAtomically(join(dir, TRAINING_STATE_FILE), `${JSON.stringify(json, null, 1)}\n`);
  const stale = (await readdir(dir)).filter((name) => name !== file && STALE.test(name));
  await Promise.all(stale.map((name) => rm(join(dir, name), { force: true })));
}

/**
 * Reads what saveTrainingState wrote. `fit` checks the state itself when
 * given it as `resume`.
 * @throws Error naming the file that is missing, not valid JSON, of another format, or whose binary's bytes or checksum differ from the record.
 */
export async function loadTrainingState(dir: string): Promise<TrainingState> {
  const path = join(dir, TRAINING_STATE_FILE);
  const text = await readNamed(path, "the training state", "utf8");
  let json: StateFile;
  try {
    json = JSON.parse(text) as StateFile;
  } catch (error) {
    throw new Error(`cannot load the training state from ${path}: it is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const binary = json?.binary;
  if (json?.format !== FORMAT || json.version !== 1 || typeof binary?.file !== "string" || typeof binary.sha256 !== "string") {
    throw new Error(`cannot load the training state from ${path}: it is not a training state this runtime writes (format ${FORMAT}, version 1)`);
  }
  if (!/^[\w.-]+$/.test(binary.file) || binary.file.startsWith("."))
    throw new Error(`cannot load the training state from ${path}: it names the binary ${JSON.stringify(binary.file)}, which is not a file in the same folder`);
  const binaryPath = join(dir, binary.file);
  const bytes = await readNamed(binaryPath, "the training state");
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (bytes.length !== binary.bytes || sha256 !== binary.sha256) {
    throw new Error(
      `cannot load the training state: ${binaryPath} has ${bytes.length} bytes with SHA-256 ${sha256}, but ${path} records ${String(binary.bytes)} bytes with ${binary.sha256}; the file is damaged or from another save`,
    );
  }
  // Copy out: a Buffer may sit at an offset of a shared pool that Float32Array cannot start at.
  const floats = new Float32Array(Uint8Array.from(bytes).buffer);
  return (JSON.parse(text, (_, value: unknown) => revive(value, floats, binaryPath)) as StateFile).state as TrainingState;
}

function revive(value: unknown, floats: Float32Array, binaryPath: string): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const record = value as { $float32?: unknown; $number?: unknown };
  if (typeof record.$number === "string") return Number(record.$number);
  if (record.$float32 === undefined) return value;
  const [offset, length] = Array.isArray(record.$float32) ? (record.$float32 as unknown[]) : [];
  if (!(Number.isInteger(offset) && Number.isInteger(length) && (offset as number) >= 0 && (offset as number) + (length as number) <= floats.length)) {
    throw new Error(`cannot load the training state: an array at ${JSON.stringify(record.$float32)} lies outside ${binaryPath} (${floats.length} floats)`);
  }
  return floats.slice(offset as number, (offset as number) + (length as number));
}
