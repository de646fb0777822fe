/**
 * Order-0 extraction. Baseline, same run: reading every block's effective
 * weights (getWeights), which any extraction must do. Models: the Python
 * library's test model (784 → 100 → 100 → 10) and a 4,000 → 2,500 dense layer
 * (10 million live connections).
 */
import { createNetwork, extractConnections, type Model } from "../runtime/index.js";
import { analyze, networkSpec } from "../src/index.js";
import { medianSeconds, row } from "./timing.js";

async function build(source: string): Promise<Model> {
  // The 4,000 → 2,500 model has 10,010,000 connections, just over the compiler's default limit.
  const { plans } = analyze(source, { limits: { connections: 20_000_000 } });
  return createNetwork(networkSpec(plans![0]!), { backend: "cpu", seed: 0 });
}

export async function benchExtraction(): Promise<string[]> {
  const lines = [row(["model", "live connections", "read weights (s)", "extractConnections (s)", "extractGraph order 0 (s)"]), row(["---", "---", "---", "---", "---"])];
  for (const [name, source, withGraph] of [
    ["784 → 100 → 100 → 10", "network P { input 784 dense [100, 100] output 10 }", true],
    ["4,000 → 2,500 → 4", "network Big { input 4000 dense 2500 output 4 }", false],
  ] as const) {
    const model = await build(source);
    const read = medianSeconds(() => model.blocks.forEach((b) => model.getWeights(b.name)), 3);
    const list = medianSeconds(() => void extractConnections(model), 3);
    const graph = withGraph ? medianSeconds(() => void model.extractGraph({ order: 0 }), 3) : Number.NaN;
    lines.push(row([name, model.liveConnections(), read, list, withGraph ? graph : "— (≈2 µs per edge)"]));
    model.dispose();
  }
  return lines;
}
