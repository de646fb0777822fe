import { describe, expect, it } from "vitest";
import { blobs, functionDataset, moons, NonFiniteSampleError, spirals, toTensors, type Dataset } from "../../runtime/index.js";

const targets = (data: Dataset): Float32Array => {
  if (data.labels.kind !== "targets") throw new Error("expected targets");
  return data.labels.values;
};
const classes = (data: Dataset): Int32Array => {
  if (data.labels.kind !== "classes") throw new Error("expected classes");
  return data.labels.classes;
};

describe("functionDataset", () => {
  const f = (x: Float32Array): number => Math.sin(x[0]!) * x[1]! + x[2]! ** 2;

  it("labels every sample with the function at exactly its stored point, inside the domain", () => {
    const data = functionDataset(f, {
      inputShape: 3,
      samples: 200,
      seed: 4,
      domain: [
        [-1, 1],
        [0, 10],
        [5, 6],
      ],
    });
    expect([data.size, data.featureSize]).toEqual([200, 3]);
    const y = targets(data);
    for (let s = 0; s < data.size; s++) {
      const [a, b, c] = data.features.subarray(3 * s, 3 * s + 3);
      expect(y[s]).toBe(Math.fround(Math.sin(a!) * b! + c! ** 2));
      expect(a! >= -1 && a! <= 1 && b! >= 0 && b! <= 10 && c! >= 5 && c! <= 6).toBe(true);
    }
  });

  it("is seeded: the same options give the same data, another seed other data", () => {
    const options = { inputShape: [3], samples: 50, seed: 9, domain: [-2, 2] as const };
    const a = functionDataset(f, options);
    expect(functionDataset(f, options)).toEqual(a);
    expect(Array.from(functionDataset(f, { ...options, seed: 10 }).features)).not.toEqual(Array.from(a.features));
  });

  it("lays a grid with both ends included, the last input fastest, from a total or counts per input", () => {
    const data = functionDataset((x) => x[0]! * 10 + x[1]!, { inputShape: 2, samples: 9, sampler: "grid", domain: [0, 2] });
    expect(Array.from(data.features)).toEqual([0, 0, 0, 1, 0, 2, 1, 0, 1, 1, 1, 2, 2, 0, 2, 1, 2, 2]);
    expect(Array.from(targets(data))).toEqual([0, 1, 2, 10, 11, 12, 20, 21, 22]);
    const uneven = functionDataset((x) => x[0]!, {
      inputShape: 2,
      samples: [2, 3],
      sampler: "grid",
      domain: [
        [0, 1],
        [-1, 1],
      ],
    });
    expect(Array.from(uneven.features)).toEqual([0, -1, 0, 0, 0, 1, 1, -1, 1, 0, 1, 1]);
    expect(() => functionDataset(f, { inputShape: 2, samples: 10, sampler: "grid" })).toThrow("10 is not one (9 or 16 are)");
  });

  it("takes functions of several outputs and shaped inputs", () => {
    const data = functionDataset((x) => [x[0]! + x[5]!, -x[0]!], { inputShape: [2, 3], samples: 4, seed: 1 });
    expect([data.featureSize, data.labels.kind === "targets" && data.labels.width]).toEqual([6, 2]);
    expect(targets(data)[3]).toBe(-data.features[6]!);
  });

  it("names the sample and point where the function is not finite", () => {
    let thrown: unknown;
    try {
      functionDataset((x) => Math.log(x[0]!), { inputShape: 1, samples: 100, seed: 0, domain: [-1, 1] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(NonFiniteSampleError);
    const error = thrown as NonFiniteSampleError;
    expect(error.point[0]).toBeLessThanOrEqual(0);
    expect(Number.isNaN(error.value) || error.value === -Infinity).toBe(true);
    expect(error.message).toMatch(new RegExp(`at sample ${error.sample} \\(x = \\[`));
  });

  it("refuses bad options with what was expected", () => {
    expect(() => functionDataset(f, { inputShape: 3, samples: 0 })).toThrow("samples must be an integer ≥ 1, got 0");
    expect(() => functionDataset(f, { inputShape: 3, samples: 5, domain: [1, 1] })).toThrow("low < high, got [1, 1]");
    expect(() => functionDataset(f, { inputShape: 3, samples: 5, domain: [[0, 1]] })).toThrow("domain has 1 intervals, but there are 3 inputs");
    expect(() => functionDataset(() => [], { inputShape: 1, samples: 5 })).toThrow("the number of values the function returns must be an integer ≥ 1, got 0");
  });
});

describe("moons, spirals and blobs", () => {
  const counts = (labels: Int32Array, k: number): number[] => Array.from({ length: k }, (_, c) => labels.filter((l) => l === c).length);

  it("moons: two half circles of radius 1, upper labelled 0, lower 1, shuffled", () => {
    const data = moons({ samples: 101, seed: 3 });
    expect([data.size, data.featureSize]).toEqual([101, 2]);
    const labels = classes(data);
    expect(counts(labels, 2)).toEqual([50, 51]);
    for (let i = 0; i < data.size; i++) {
      const [x, y] = [data.features[2 * i]!, data.features[2 * i + 1]!];
      const [cx, cy] = labels[i] === 0 ? [0, 0] : [1, 0.5];
      expect(Math.hypot(x - cx, y - cy)).toBeCloseTo(1, 5);
      expect(labels[i] === 0 ? y >= -1e-6 : y <= 0.5 + 1e-6).toBe(true);
    }
    expect(Array.from(labels.subarray(0, 50))).not.toEqual(Array(50).fill(0));
  });

  it("spirals: each arm a class, radii within (0, 1], noise moving points", () => {
    const data = spirals({ samples: 300, arms: 3, turns: 2, seed: 1 });
    expect(counts(classes(data), 3)).toEqual([100, 100, 100]);
    for (let i = 0; i < data.size; i++) expect(Math.hypot(data.features[2 * i]!, data.features[2 * i + 1]!)).toBeLessThanOrEqual(1 + 1e-6);
    expect(spirals({ samples: 300, arms: 3, turns: 2, seed: 1, noise: 0.1 }).features).not.toEqual(data.features);
  });

  it("blobs: clusters around centres inside the box, the first clusters one larger", () => {
    const data = blobs({ samples: 1000, centers: 3, features: 4, std: 0.01, box: [0, 1], seed: 2 });
    expect([data.size, data.featureSize]).toEqual([1000, 4]);
    const labels = classes(data);
    expect(counts(labels, 3)).toEqual([334, 333, 333]);
    // With a tiny spread every sample sits next to the first sample of its cluster.
    const firstOf = [0, 1, 2].map((c) => labels.indexOf(c));
    for (let i = 0; i < data.size; i++) {
      const ref = firstOf[labels[i]!]!;
      for (let d = 0; d < 4; d++) expect(Math.abs(data.features[4 * i + d]! - data.features[4 * ref + d]!)).toBeLessThan(0.1);
      expect(data.features[4 * i]!).toBeGreaterThan(-0.1);
    }
  });

  it("are deterministic per seed and differ between seeds", () => {
    for (const make of [moons, spirals, blobs] as const) {
      const a = make({ samples: 60, noise: 0.2, seed: 5 } as never);
      expect(make({ samples: 60, noise: 0.2, seed: 5 } as never)).toEqual(a);
      expect(Array.from(make({ samples: 60, noise: 0.2, seed: 6 } as never).features)).not.toEqual(Array.from(a.features));
    }
  });

  it("become tensors fit takes", () => {
    const { x, y } = toTensors(moons({ samples: 10 }));
    expect([x.shape, y.shape, y.dtype]).toEqual([[10, 2], [10], "int32"]);
    x.dispose();
    y.dispose();
  });

  it("refuse impossible options", () => {
    expect(() => spirals({ samples: 1, arms: 2 })).toThrow("samples must be an integer ≥ 2, got 1");
    expect(() => blobs({ box: [3, 1] })).toThrow("box must have low < high, got [3, 1]");
    expect(() => moons({ noise: -1 })).toThrow("noise must be a finite number ≥ 0, got -1");
  });
});
