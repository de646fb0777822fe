import { it } from "vitest";
import { buildModel } from "../support/models.js";
const source = "graph d = edges { 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3, 0 -> 3 }\nnetwork D { input 5 dense 6 structure d output 3 layer_norm true }";
it("probe", async () => {
  const m = await buildModel(source, { execution: "sparse" });
  console.log(m.layers.map((l) => `${l.name}:${l.size}`), m.blocks, m.parameters.map((p) => `${p.name} ${p.variable.shape}`));
  for (const b of m.blocks) console.log(b.name, Array.from(m.getMask(b.name)).join(""));
});
