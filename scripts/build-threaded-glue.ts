/** Writes runtime/threaded-wasm-glue.ts (see threaded-glue.ts). */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { GLUE_MODULE_PATH, glueModuleText } from "./threaded-glue.js";

writeFileSync(GLUE_MODULE_PATH, await glueModuleText());
console.log(`wrote ${fileURLToPath(GLUE_MODULE_PATH)}`);
