// Copies the runtime's files that tsc does not emit (the Node bundle of
// TensorFlow.js's gradient registrations) into dist, where the package's
// `#tfjs-gradients` import points.
import { copyFileSync, mkdirSync } from "node:fs";

const assets = ["gradients/tfjs-gradients.node.js"];
for (const asset of assets) {
  const target = new URL(`dist/${asset}`, import.meta.url);
  mkdirSync(new URL(".", target), { recursive: true });
  copyFileSync(new URL(`../../runtime/${asset}`, import.meta.url), target);
}
