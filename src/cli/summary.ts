import { readFile, stat } from "node:fs/promises";
import { createNetwork } from "../../runtime/index.js";
import { loadModel } from "../../runtime/files.js";
import type { Model } from "../../runtime/model.js";
import { formatDiagnostic } from "../diagnostics/format.js";
import { analyze, networkSpec } from "../index.js";
import type { CliIo } from "./main.js";
import { UsageError } from "./usage.js";

/**
 * `dsc summary FILE [--network N]` compiles FILE in memory and prints the
 * summary table of each network (or of N), built on the cpu backend — the
 * table does not depend on the backend, and cpu needs no WASM start-up;
 * `dsc summary RUN` prints a run folder's trained model.
 */
export async function summaryCommand(path: string, network: string | undefined, io: CliIo): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) {
    io.err(`dsc: cannot read ${path}: no such file`);
    return 1;
  }
  if (info.isDirectory()) {
    if (network !== undefined) throw new UsageError("--network is for .ds files; a run folder holds one network");
    return print(await loadModel(path, { backend: "cpu" }), io);
  }
  const source = await readFile(path, "utf8");
  const analyzed = analyze(source, { fileName: path });
  for (const d of analyzed.diagnostics) io.err(formatDiagnostic(d, source));
  if (analyzed.plans === undefined) return 1;
  const plans = network === undefined ? analyzed.plans : analyzed.plans.filter((p) => p.network.name === network);
  if (plans.length === 0) {
    const known = analyzed.plans.map((p) => p.network.name).join(", ") || "(none)";
    io.err(`dsc: ${path} has no network '${network}'; its networks are ${known}`);
    return 1;
  }
  for (const [i, plan] of plans.entries()) {
    if (i > 0) io.out("");
    await print(await createNetwork(networkSpec(plan), { backend: "cpu" }), io);
  }
  return 0;
}

async function print(model: Model, io: CliIo): Promise<number> {
  try {
    io.out(model.summary().text);
    return 0;
  } finally {
    model.dispose();
  }
}
