// What the page needs besides its code, made from the repository:
// - src/generated/small_world.ts: `dsc compile ../small_world.ds` (the model the page imports);
// - public/network.svg: `dsc draw` of the same network (the picture of it);
// - public/mnist.bin: 3,000 digits of the `mnist` package, balanced and in a fixed order
//   (sample k of digit 0, sample k of digit 1, … sample k of digit 9, then k + 1), as
//   3,000 labels (bytes) followed by 3,000 × 784 pixels (bytes, 0–255).
// dsc is the repository's (bin/dsc.js, built by `npm run build` at the root).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const here = (path) => new URL(`../${path}`, import.meta.url).pathname;
const dsc = (...args) => execFileSync(process.execPath, [here("../../bin/dsc.js"), ...args], { stdio: "inherit" });

mkdirSync(here("src/generated"), { recursive: true });
mkdirSync(here("public"), { recursive: true });
dsc("compile", here("../small_world.ds"), "-o", here("src/generated"));
dsc("draw", here("../small_world.ds"), "--network", "SmallWorld", "-o", here("public/network.svg"));

const PER_DIGIT = 300;
const digits = createRequire(import.meta.url)("mnist");
const count = PER_DIGIT * 10;
const bytes = new Uint8Array(count * 785);
for (let k = 0; k < PER_DIGIT; k++) {
  for (let d = 0; d < 10; d++) {
    const index = k * 10 + d;
    bytes[index] = d;
    const pixels = digits[d].raw.slice(k * 784, (k + 1) * 784);
    for (let p = 0; p < 784; p++) bytes[count + index * 784 + p] = Math.round(pixels[p] * 255);
  }
}
writeFileSync(here("public/mnist.bin"), bytes);
console.log(`wrote ${here("public/mnist.bin")} (${count} digits)`);
