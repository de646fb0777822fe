/**
 * `npm run bench [name...]`: runs the benchmarks (all, or those named) and
 * prints Markdown tables; copy them into docs/benchmarks.md with the command.
 *
 * `npm run bench fusion training -- --baseline DIR [--current DIR] [--rounds N]`
 * times instead a baseline build (made by `npx tsx scripts/baseline.ts [REV]
 * [DIR]`) against the current one on the networks of those benchmarks, in
 * child processes, and prints both figures and their ratio (bench/compare.ts).
 *
 * Benchmarks are imported only when they run, so a comparison never loads
 * this checkout's runtime.
 */
type Benchmark = () => string[] | Promise<string[]>;

const benchmarks: Record<string, Benchmark> = {
  "cell-pruning": async () => (await import("./cell-pruning.js")).benchCellPruning(),
  conv: async () => (await import("./conv.js")).benchConv(),
  extraction: async () => (await import("./extraction.js")).benchExtraction(),
  fusion: async () => (await import("./fusion.js")).benchFusion(),
  generators: async () => (await import("./generators.js")).benchGenerators(),
  "graph-native": async () => (await import("./graph-native.js")).benchGraphNative(),
  gradient: async () => (await import("./gradient.js")).benchGradient(),
  kernels: async () => (await import("./kernels.js")).benchKernels(),
  lenet: async () => {
    const lenet = await import("./lenet.js");
    return [...(await lenet.benchLenet()), "", ...(await lenet.lenetPeers())];
  },
  layering: async () => (await import("./layering.js")).benchLayering(),
  pruning: async () => (await import("./pruning.js")).benchPruning(),
  pytorch: async () => (await import("./pytorch.js")).benchPytorch(),
  recurrent: async () => (await import("./recurrent.js")).benchRecurrent(),
  threads: async () => (await import("./threads.js")).benchThreads(),
  training: async () => (await import("./training.js")).benchTraining(),
};

function usage(message: string): never {
  console.error(`${message}\nusage: npm run bench [name...] [-- --baseline DIR [--current DIR] [--rounds N]]; the benchmarks are: ${Object.keys(benchmarks).join(", ")}`);
  process.exit(2);
}

const chosen: string[] = [];
const flags = new Map<string, string>();
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  if (!arg.startsWith("--")) {
    chosen.push(arg);
    continue;
  }
  const [flag, inline] = arg.split("=", 2) as [string, string | undefined];
  if (!["--baseline", "--current", "--rounds"].includes(flag)) usage(`unknown option '${flag}'`);
  const value = inline ?? args[++i];
  if (value === undefined) usage(`${flag} needs a value`);
  flags.set(flag, value);
}
for (const name of chosen) {
  if (!(name in benchmarks)) usage(`unknown benchmark '${name}'`);
}

if (flags.has("--baseline")) {
  const comparable = ["fusion", "training"];
  const names = chosen.length === 0 ? comparable : chosen;
  const other = names.find((n) => !comparable.includes(n));
  if (other !== undefined) usage(`--baseline compares only ${comparable.join(" and ")}, not '${other}'`);
  const rounds = flags.has("--rounds") ? Number(flags.get("--rounds")) : undefined;
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1)) usage("--rounds needs a positive integer");
  const { compareFusion, compareTraining } = await import("./compare.js");
  const options = {
    baseline: flags.get("--baseline")!,
    ...(flags.has("--current") ? { current: flags.get("--current")! } : {}),
    ...(rounds === undefined ? {} : { rounds }),
  };
  try {
    for (const name of comparable) {
      if (!names.includes(name)) continue;
      console.log(`\n### ${name}: current against baseline\n`);
      for (const line of await (name === "fusion" ? compareFusion(options) : compareTraining(options))) console.log(line);
    }
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
} else {
  if (flags.size > 0) usage(`${[...flags.keys()].join(", ")} only go with --baseline`);
  for (const [name, run] of Object.entries(benchmarks)) {
    if (chosen.length > 0 && !chosen.includes(name)) continue;
    console.log(`\n### ${name}\n`);
    for (const line of await run()) console.log(line);
  }
}
