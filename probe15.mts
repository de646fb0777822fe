import { createNetwork, tf } from "./runtime/index.js";
import { compile, networkSpec } from "./src/index.js";
const r = await compile(`graph g = watts_strogatz(n=10000, k=4, p=0.5, seed=1)\nnetwork N { input 64 structure g output 10 }`);
const model = await createNetwork(networkSpec(r.plans![0]!), { backend: "wasm" });
const x = tf.randomUniform([256, 64]);
for (let i = 0; i < 5; i++) tf.tidy(() => model.predict(x).dataSync());
const ts: number[] = [];
for (let i = 0; i < 30; i++) { const t = performance.now(); tf.tidy(() => model.predict(x).dataSync()); ts.push(performance.now() - t); }
ts.sort((a, b) => a - b);
console.log("min", ts[0]!.toFixed(2), "median", ts[15]!.toFixed(2), "max", ts[29]!.toFixed(2));
const sums = new Map<string, number>();
for (let rep = 0; rep < 10; rep++) {
  const info = await tf.profile(() => { const y = model.predict(x); y.dataSync(); return y; });
  for (const k of info.kernels as any[]) sums.set(k.name + JSON.stringify(k.outputShapes), (sums.get(k.name + JSON.stringify(k.outputShapes)) ?? 0) + Number(k.kernelTimeMs) / 10);
}
console.log([...sums].map(([k, v]) => `${v.toFixed(3)} ${k}`).join("\n"));
