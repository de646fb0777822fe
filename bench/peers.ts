/**
 * The bridge to the PyTorch peers (bench/torch_peers.py): writes a task and
 * its arrays to a fresh folder, runs Debian's Python with torch on it
 * (/usr/bin/python3, or $TORCH_PYTHON), and returns its JSON. Where torch
 * cannot be imported the benchmarks print a note and leave the peers' cells
 * empty, instead of failing.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { extractConnections, type Model } from "../runtime/index.js";
import { blockMinimum } from "./timing.js";

const SCRIPT = fileURLToPath(new URL("./torch_peers.py", import.meta.url));
const python = (): string => process.env.TORCH_PYTHON ?? "/usr/bin/python3";

let checked: string | undefined | null = null;

/** Why the peers cannot run here, or undefined when they can (checked once). */
export function torchMissing(): string | undefined {
  if (checked === null) {
    const result = spawnSync(python(), ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
    checked =
      result.status === 0 ? undefined : `PyTorch peers not measured: ${python()} cannot import torch (${(result.stderr || String(result.error)).trim().split("\n").at(-1)})`;
  }
  return checked;
}

export type PeerResult = Record<string, unknown>;
type Arrays = Record<string, Float32Array | Int32Array>;

/** Runs one task of torch_peers.py; throws with Python's last lines when it fails. */
export function runPeer(task: Record<string, unknown>, arrays: Arrays = {}): PeerResult {
  const dir = mkdtempSync(join(tmpdir(), "dsc-peers-"));
  try {
    writeFileSync(join(dir, "task.json"), JSON.stringify(task));
    for (const [name, values] of Object.entries(arrays)) writeFileSync(join(dir, name), new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    // A bound, because OpenMP threads can stall for minutes on a machine whose cores others are using.
    const result = spawnSync(python(), [SCRIPT, dir], { encoding: "utf8", maxBuffer: 1 << 28, timeout: 300_000 });
    if (result.status !== 0)
      throw new Error(`bench: torch_peers.py (${String(task.kind)}) failed:\n${(result.stderr || String(result.error)).trim().split("\n").slice(-8).join("\n")}`);
    return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as PeerResult;
  } finally {
    // DSC_PEERS_KEEP=1 keeps the folder, to run torch_peers.py on it by hand.
    if (process.env.DSC_PEERS_KEEP === "1") console.error(`bench: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Our network's connections, biases and a batch, as the arrays the `network` task reads. */
export function networkArrays(model: Model, x: Float32Array, labels: Int32Array): { sizes: number[]; arrays: Arrays } {
  const connections = extractConnections(model);
  const biases = model.layers.slice(1).flatMap((l) => Array.from(model.getBias(l.name)));
  return {
    sizes: model.layers.map((l) => l.size),
    arrays: {
      "sources.bin": new Int32Array(connections.sources),
      "targets.bin": new Int32Array(connections.targets),
      "weights.bin": Float32Array.from(connections.weights),
      "biases.bin": Float32Array.from(biases),
      "x.bin": x,
      "labels.bin": labels,
    },
  };
}

/** Median of numbers (the middle one; the upper middle of an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Ours and a PyTorch peer (bench/torch_model_peers.py) by least CPU time, in alternating rounds: see interleavedWithPeer. */
export interface PeerRounds {
  /** Least CPU seconds of each of our runs, over every round. */
  ours: number[];
  /** Least CPU seconds of each of the peer's figures, over every round; undefined where torch is missing or the peer failed. */
  peer: Record<string, number> | undefined;
  /** The peer's last answer besides its times (logits, parameter counts), or why it was not measured. */
  result: PeerResult | undefined;
  note: string | undefined;
}

/** How interleavedWithPeer measures each side: the real ones by default, fakes in the tests. */
export interface PeerSides {
  /** Least CPU seconds of each of `runs` over `repeats` runs after one warm-up each, each run's back to back as the peer times its figures (blockMinimum). */
  readonly ours: (runs: readonly (() => void)[], repeats: number) => number[];
  /** One round of the peer (runPeer): its answer carries `seconds`, the least CPU time of each of its figures. */
  readonly peer: (task: Record<string, unknown>, arrays: Arrays) => PeerResult;
  /** Why the peer cannot run here, or undefined (torchMissing). */
  readonly missing: () => string | undefined;
}

const REAL_SIDES: PeerSides = { ours: blockMinimum, peer: runPeer, missing: torchMissing };

/**
 * Times `ours` and the peer `task` in `rounds` alternating rounds, ours first in even rounds and the peer first in odd
 * ones, each side `repeats` runs after one warm-up per round: the same warm-up and repetitions on both sides, and drift
 * of the shared machine reaches both. Each figure is its least CPU time over all rounds (a figure the peer gives in
 * some rounds only keeps its least over those). Every benchmark with a PyTorch peer times it this way.
 */
export function interleavedWithPeer(
  ours: readonly (() => void)[],
  task: Record<string, unknown>,
  arrays: Arrays = {},
  rounds = 3,
  repeats = 5,
  sides: Partial<PeerSides> = {},
): PeerRounds {
  const { ours: measureOurs, peer: measurePeer, missing } = { ...REAL_SIDES, ...sides };
  const best = ours.map(() => Number.POSITIVE_INFINITY);
  let peer: Record<string, number> | undefined;
  let result: PeerResult | undefined;
  let note = missing();
  const runPeerRound = (): void => {
    if (note !== undefined) return;
    try {
      result = measurePeer({ threads: 1, ...task, warmup: 1, repeats }, arrays);
    } catch (error) {
      note = (error as Error).message;
      peer = undefined;
      return;
    }
    const least: Record<string, number> = { ...peer };
    for (const [name, s] of Object.entries(result.seconds as Record<string, number>)) least[name] = Math.min(s, least[name] ?? Number.POSITIVE_INFINITY);
    peer = least;
  };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 1) runPeerRound();
    measureOurs(ours, repeats).forEach((s, i) => (best[i] = Math.min(best[i]!, s)));
    if (round % 2 === 0) runPeerRound();
  }
  return { ours: best, peer, result, note };
}

/** "dsc / PyTorch" as a ratio of times (below 1: ours is faster), or a dash where the peer was not measured. */
export function peerRatio(ours: number, peer: number | undefined): string {
  return peer === undefined ? "—" : `${(ours / peer).toFixed(2)}×`;
}
