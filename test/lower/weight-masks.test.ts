/** `mask random(…)` and `mask file(…)` over conv and recurrent weights: the draws, the file layout (HWIO row-major for a conv), the diagnostics. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createNetwork } from "../../runtime/index.js";
import { decodeMask, FULL_MASK } from "../../runtime/masks/codec.js";
import { createRandom } from "../../runtime/random.js";
import { analyze, networkSpec } from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "dsc-weight-masks-"));
const fileName = join(dir, "n.ds");
const lstm = (line: string): string => `network R {
  input [5, 3]
  recurrent lstm(hidden=[4, 3])
  output 2
  ${line}
}`;
const conv = (line: string): string => `network C {
  input [2, 6, 6]
  features [conv(3, kernel=[2, 3]), conv(2, kernel=2)]
  output 2
  ${line}
}`;

function specOf(source: string) {
  const { plans, diagnostics } = analyze(source, { fileName });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return networkSpec(plans![0]!);
}

const errors = (source: string): string[] => analyze(source, { fileName }).diagnostics.map((d) => `${d.code}@${d.span.start.line}: ${d.message}`);
const count = (mask: ArrayLike<number>): number => Array.from(mask).reduce((a, b) => a + b, 0);

describe("mask random(…) over recurrent weights", () => {
  it("keeps each entry of the named layer's two weights with one draw per entry from the seed's stream, input then hidden", () => {
    const spec = specOf(lstm("mask random(density=0.5, seed=3, layers=[lstm1])"));
    const masks = spec.recurrent!.masks!;
    const input = decodeMask(masks[0]!.input!, 3 * 16);
    const hidden = decodeMask(masks[0]!.hidden!, 4 * 16);
    const random = createRandom(3);
    const expected = Uint8Array.from({ length: 48 + 64 }, () => (random.next() < 0.5 ? 1 : 0));
    expect([...input, ...hidden]).toEqual([...expected]);
    expect(masks[1]).toEqual({}); // lstm2 untouched
    expect(spec.blocks.every((b) => b.mask === FULL_MASK)).toBe(true); // and the dense block
    expect(specOf(lstm("mask random(density=0.5, seed=3)")).blocks[0]!.mask).not.toBe(FULL_MASK); // no layers: every weight
    expect(specOf(lstm("mask random(density=0.5, seed=3)")).recurrent!.masks![1]!.hidden).toBeDefined();
  });

  it("thins a graph-made hidden weight within its graph, and the runtime computes with it", async () => {
    const source = "graph g = watts_strogatz(n=8, k=2, p=0.5, seed=1)\nnetwork G { input [4, 2] recurrent rnn(hidden=g) output 3 }";
    const graphMask = decodeMask(specOf(source).recurrent!.masks![0]!.hidden!, 64);
    const spec = specOf(source.replace("output 3 }", "output 3\n  mask random(density=0.5, seed=1, layers=[rnn1]) }"));
    const thinned = decodeMask(spec.recurrent!.masks![0]!.hidden!, 64);
    expect(count(thinned)).toBeLessThan(count(graphMask));
    expect(count(thinned)).toBeGreaterThan(0);
    thinned.forEach((m, i) => m === 1 && expect(graphMask[i]).toBe(1));
    const model = await createNetwork(spec, { backend: "cpu" });
    expect(model.getMask("rnn1.hidden")).toEqual(thinned);
    model.dispose();
  });
});

describe("mask file(…) over conv and recurrent weights", () => {
  // conv1: [kernel rows 2, kernel cols 3, in 2, out 3], HWIO row-major: entry ((h · 3 + w) · 2 + i) · 3 + o.
  const conv1 = Array.from({ length: 2 * 3 * 2 * 3 }, (_, k) => (k % 3 === 0 ? 0 : 1)); // output channel 0 switched off everywhere
  const lstm1Hidden = Array.from({ length: 4 * 16 }, (_, k) => (Math.floor(k / 16) === 2 ? 0 : 1)); // hidden neuron 2 feeds nothing
  writeFileSync(join(dir, "w.json"), JSON.stringify({ conv1, "lstm1.hidden": lstm1Hidden }));

  it("sets a conv's mask from its HWIO row-major entries, and the runtime computes with it", async () => {
    const spec = specOf(conv('mask file("w.json", layers=[conv1])'));
    const model = await createNetwork(spec, { backend: "cpu" });
    expect(Array.from(model.getMask("conv1"))).toEqual(conv1);
    expect(count(model.getMask("conv2"))).toBe(2 * 2 * 3 * 2);
    model.dispose();
  });

  it("sets a recurrent layer's weights from the file, and a weight it lacks is DS2023 at the mask line", async () => {
    writeFileSync(join(dir, "r.json"), JSON.stringify({ "lstm1.input": new Array(48).fill(1), "lstm1.hidden": lstm1Hidden }));
    const spec = specOf(lstm('mask file("r.json", layers=[lstm1])'));
    const model = await createNetwork(spec, { backend: "cpu" });
    expect(Array.from(model.getMask("lstm1.hidden"))).toEqual(lstm1Hidden);
    expect(count(model.getMask("lstm1.input"))).toBe(48);
    model.dispose();
    expect(errors(lstm('mask file("w.json", layers=[lstm1])'))).toEqual(["DS2023@5: file 'w.json' is malformed: it has no mask for 'lstm1.input'"]);
    expect(errors(conv('mask file("w.json", layers=[conv2])'))).toEqual(["DS2023@5: file 'w.json' is malformed: it has no mask for 'conv2'"]);
    writeFileSync(join(dir, "short.json"), JSON.stringify({ conv1: [1, 0] }));
    expect(errors(conv('mask file("short.json", layers=[conv1])'))).toEqual(["DS2023@5: file 'short.json' is malformed: the mask of 'conv1' has 2 entries; expected 36"]);
  });
});
