import { DOMParser } from "@xmldom/xmldom";
import { describe, expect, it } from "vitest";
import { historySvg, ticks } from "../../src/cli/history-svg.js";
import type { EpochLogs } from "../../runtime/index.js";

const epoch = (n: number, loss: number, valLoss: number, accuracy?: number, valAccuracy?: number): EpochLogs =>
  ({
    epoch: n,
    loss,
    valLoss,
    ...(accuracy === undefined ? {} : { accuracy, valAccuracy }),
    learningRate: 0.001,
    seconds: 1,
    liveConnections: 10,
    totalConnections: 10,
    sparsity: 0,
    pruned: 0,
    dropped: 0,
    regrown: 0,
  }) as EpochLogs;

const parse = (svg: string) => new DOMParser().parseFromString(svg, "image/svg+xml");
const polylines = (svg: string): number[][][] =>
  Array.from(parse(svg).getElementsByTagName("polyline")).map((p) =>
    p
      .getAttribute("points")!
      .split(" ")
      .map((xy) => xy.split(",").map(Number)),
  );

describe("history.svg", () => {
  const history = [epoch(1, 1.5, 1.2, 0.4, 0.5), epoch(2, 0.9, 0.8, 0.7, 0.72), epoch(3, 0.5, 0.6, 0.85, 0.8)];

  it("draws training and held-out curves of loss and accuracy, one point per epoch, as well-formed SVG", () => {
    const svg = historySvg("Net on mnist", history, "loss (cross-entropy)");
    const doc = parse(svg);
    expect(doc.documentElement!.tagName).toBe("svg");
    expect(doc.getElementsByTagName("circle")).toHaveLength(12);
    const [loss, heldOutLoss, accuracy, heldOutAccuracy] = polylines(svg);
    for (const line of [loss!, heldOutLoss!, accuracy!, heldOutAccuracy!]) expect(line).toHaveLength(3);
    // Lower values sit lower on the page (larger y): the loss falls, so its y grows; the accuracy rises, so its y shrinks.
    expect(loss!.map((p) => p[1]!)).toEqual([...loss!.map((p) => p[1]!)].sort((a, b) => a - b));
    expect(accuracy!.map((p) => p[1]!)).toEqual([...accuracy!.map((p) => p[1]!)].sort((a, b) => b - a));
    // Epochs left to right at equal steps.
    const xs = loss!.map((p) => p[0]!);
    expect(xs[1]! - xs[0]!).toBeCloseTo(xs[2]! - xs[1]!, 5);
    expect(svg).toContain(">Net on mnist</text>");
  });

  it("has only the loss panel for regression runs, and gives the same bytes for the same history", () => {
    const regression = history.map((e) => epoch(e.epoch, e.loss, e.valLoss!));
    const svg = historySvg("F on landscape", regression, "loss (mse)");
    expect(polylines(svg)).toHaveLength(2);
    expect(svg).not.toContain(">accuracy</text>");
    expect(historySvg("F on landscape", regression, "loss (mse)")).toBe(svg);
  });

  it("escapes names and picks round ticks", () => {
    expect(historySvg("A<B & C", history, "loss")).toContain("A&lt;B &amp; C");
    expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(0.13, 0.87)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(ticks(1, 5)).toEqual([1, 2, 3, 4, 5]);
  });
});
