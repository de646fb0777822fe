import { describe, expect, it } from "vitest";
import { createNetwork, decodeMask, initialEdgeWeights, initialWeights, tf } from "../../runtime/index.js";
import { kernelLayout } from "../../runtime/storage/layout.js";
import { analyze, networkSpec } from "../../src/index.js";

const specOf = (source: string) => {
  const { plans } = analyze(source);
  return networkSpec(plans![0]!);
};

describe("a kernel's canonical layout", () => {
  const spec = specOf("graph g = watts_strogatz(n=60, k=4, p=0.5, seed=2)\nnetwork W { input 5 dense 7 structure g output 3 }");

  it("lists the live entries of the decoded masks, ordered by row, with the rows that hold one", () => {
    for (const [k, kernel] of spec.kernels.entries()) {
      const c = kernelLayout(spec, k);
      const dense = new Uint8Array(c.rows * c.cols);
      let offset = 0;
      for (const b of kernel.blocks) {
        const size = spec.layers[spec.blocks[b]!.source]!.size;
        dense.set(decodeMask(spec.blocks[b]!.mask, size * c.cols), offset * c.cols);
        offset += size;
      }
      const { rows, targets } = c.edges();
      const expected = [...dense.keys()].filter((i) => dense[i] === 1);
      expect(Array.from(rows, (r, e) => r * c.cols + targets[e]!)).toEqual(expected);
      expect(c.count).toBe(expected.length);
      expect(c.full).toBe(expected.length === dense.length);
      expect(c.shape).toEqual(c.full ? [c.rows, c.cols] : c.usedRowsComplete && c.count > 0 ? [c.usedRows.length, c.cols] : [c.count]);
      expect(c.usedRowsComplete).toBe(Array.from(c.usedRows).every((r) => c.rowStart[r + 1]! - c.rowStart[r]! === c.cols));
      expect(Array.from(c.usedRows)).toEqual([...new Set(rows)]);
      // Every connection is found at its (row, column), and nothing else is.
      rows.forEach((r, e) => expect(c.connectionAt(r, targets[e]!)).toBe(e));
      const off = [...dense.keys()].find((i) => dense[i] === 0);
      if (off !== undefined) expect(c.connectionAt(Math.floor(off / c.cols), off % c.cols)).toBe(-1);
    }
  });

  it("start from the same weights stored per connection as stored dense", () => {
    const c = kernelLayout(spec, 3);
    const { rows, targets } = c.edges();
    const mask = new Uint8Array(c.rows * c.cols);
    rows.forEach((r, e) => (mask[r * c.cols + targets[e]!] = 1));
    const dense = initialWeights(7, 3, mask, c.rows, c.cols, "relu");
    const sparse = initialEdgeWeights(7, 3, rows, targets, c.cols, "relu");
    expect(Array.from(sparse)).toEqual(Array.from(rows, (r, e) => dense[r * c.cols + targets[e]!]!));
    expect(sparse.some((w) => w !== 0)).toBe(true);
  });
});

describe("a large sparse network", () => {
  it("is built in memory that follows its connections (30,000 vertices: no rows × columns arrays)", async () => {
    const spec = specOf("graph g = watts_strogatz(n=30000, k=4, p=0.5, seed=1)\nnetwork W { input 16 structure g output 4 }");
    // Fused rows × columns over all kernels: what dense host masks would take, in entries.
    const fusedEntries = spec.kernels.reduce((n, k) => n + k.blocks.reduce((r, b) => r + spec.layers[spec.blocks[b]!.source]!.size, 0) * spec.layers[k.target]!.size, 0);
    const before = process.memoryUsage().arrayBuffers;
    const model = await createNetwork(spec, { backend: "cpu" });
    const grown = process.memoryUsage().arrayBuffers - before;
    const live = model.liveConnections();
    // Dense host masks, edge maps and initial draws took ≥ 9 bytes per fused entry: over 900 per connection here.
    expect(fusedEntries).toBeGreaterThan(100 * live);
    // Weights, masks, connection lists and the plan, with garbage not yet collected.
    expect(grown).toBeLessThan(300 * live);
    const y = model.predict(tf.ones([2, 16]));
    expect(y.shape).toEqual([2, 4]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    model.dispose();
  }, 60000);
});
