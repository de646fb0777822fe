import { analyze, networkSpec } from "./src/index.js";
import { decodeMask } from "./runtime/masks/codec.js";
for (const n of [1000, 3000, 10000]) {
const { plans } = analyze(`graph g = watts_strogatz(n=${n}, k=4, p=0.5, seed=1)\nnetwork N { input 64 structure g output 10 }`);
const spec = networkSpec(plans![0]!);
const L = spec.layers;
let liveByKind: Record<string, number> = {};
for (const b of spec.blocks) {
  const s = L[b.source]!, t = L[b.target]!;
  const m = decodeMask(b.mask, s.size * t.size); let live = 0; for (const x of m) live += x;
  const kind = s.kind === "input" ? "in" : t.kind === "output" ? "out" : "graph";
  liveByKind[kind] = (liveByKind[kind] ?? 0) + live;
}
console.log(n, "layers", L.length, "d0", L[1]!.size, "blocks", spec.blocks.length, liveByKind, "maxLayer", Math.max(...L.map(l=>l.size)));
console.log(" sizes", L.slice(0, 12).map(l => l.size).join(","));
}
