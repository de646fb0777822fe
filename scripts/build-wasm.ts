/** Writes runtime/kernels/graph/graph-wasm.ts from graph.wat: its plain-memory and shared-memory binaries (see wasm-module.ts). */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { graphWasmModuleText, MODULE_PATH } from "./wasm-module.js";

writeFileSync(MODULE_PATH, await graphWasmModuleText());
console.log(`wrote ${fileURLToPath(MODULE_PATH)}`);
