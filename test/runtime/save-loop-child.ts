/**
 * The child of save-kill.test.ts: saves two models (seeds 1 and 2) into the
 * folder it is given, one after the other, until it is killed. Prints
 * "saving" once the loop runs.
 */
import { saveWeights } from "../../runtime/files.js";
import { createNetwork } from "../../runtime/index.js";
import { analyze, networkSpec } from "../../src/index.js";

export const SOURCE = "network K { input 64 dense [256, 128] output 10 }";

const dir = process.argv[2]!;
const spec = networkSpec(analyze(SOURCE).plans![0]!);
const models = [await createNetwork(spec, { seed: 2, backend: "cpu" }), await createNetwork(spec, { seed: 1, backend: "cpu" })];
process.stdout.write("saving\n");
for (let i = 0; ; i++) await saveWeights(models[i % 2]!, dir);
