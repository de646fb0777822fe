/**
 * `npm run bench [name...]`: runs the benchmarks (all, or those named) and
 * prints Markdown tables; copy them into docs/benchmarks.md with the command.
 */
import { benchExtraction } from "./extraction.js";
import { benchFusion } from "./fusion.js";
import { benchGradient } from "./gradient.js";
import { benchKernels } from "./kernels.js";
import { benchLayering } from "./layering.js";
import { benchPruning } from "./pruning.js";
import { benchTraining } from "./training.js";

const benchmarks: Record<string, () => string[] | Promise<string[]>> = {
  extraction: benchExtraction,
  fusion: benchFusion,
  gradient: benchGradient,
  kernels: benchKernels,
  layering: benchLayering,
  pruning: benchPruning,
  training: benchTraining,
};

const chosen = process.argv.slice(2);
for (const name of chosen) {
  if (!(name in benchmarks)) {
    console.error(`unknown benchmark '${name}'; the benchmarks are: ${Object.keys(benchmarks).join(", ")}`);
    process.exit(2);
  }
}
for (const [name, run] of Object.entries(benchmarks)) {
  if (chosen.length > 0 && !chosen.includes(name)) continue;
  console.log(`\n### ${name}\n`);
  for (const line of await run()) console.log(line);
}
