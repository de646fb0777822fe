/**
 * The conv bench's pruned and unpruned networks kernel by kernel:
 * `npx tsx bench/conv-profile.ts [forward|step] [pruned|unpruned] [calls]`.
 * Every WASM kernel (the native conv's too) timed by bench/kernel-profile.ts.
 */
import { printKernelProfile, profileKernels } from "./kernel-profile.js";
import { pruningRuns } from "./conv.js";

const [WARM_UP, RUNS] = [5, 20];
const mode = process.argv[2] ?? "forward";
const which = process.argv[3] === "unpruned" ? 0 : 1;
const runs = await pruningRuns();
const run = (mode === "step" ? runs.step : runs.forward)[which]!;
for (let i = 0; i < WARM_UP; i++) run();

const profile = profileKernels(run, RUNS);
if (process.argv[4] === "calls") profile.calls.forEach(({ name, us, shapes }, i) => console.log(`${i} ${name} ${us} ${shapes}`));
printKernelProfile(`${which === 1 ? "pruned" : "unpruned"} ${mode}`, mode, profile);
runs.dispose();
