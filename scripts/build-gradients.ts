/** Writes runtime/gradients/tfjs-gradients.node.js: TensorFlow.js's gradient registrations bundled for Node (see gradients-bundle.ts). */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { GRADIENTS_PATH, gradientsBundleText } from "./gradients-bundle.js";

writeFileSync(GRADIENTS_PATH, await gradientsBundleText());
console.log(`wrote ${fileURLToPath(GRADIENTS_PATH)}`);
