/**
 * `model.summary()`: a network layer by layer, as Keras users read it —
 * shape, parameters, the live connections entering each layer, sparsity and
 * the kernel that computes it — read off the model's own reports (its
 * parameters, `liveConnections` per block and `execution`), never recounted.
 */
import type { Model } from "./model.js";
import type { LayerOrigin } from "./spec.js";

export interface SummaryParameters {
  /** Connection weights entering the layer, in their stored layout. */
  readonly weights: number;
  readonly biases: number;
  /** Layer-norm gains and shifts. */
  readonly norm: number;
  /** A learnable mask's two logits per connection. */
  readonly maskLogits: number;
  readonly total: number;
}

export interface SummaryRow {
  readonly layer: string;
  /** `input`, `dense N`, `structure GRAPH depth D` or `output`. */
  readonly kind: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly parameters: SummaryParameters;
  /** Live connections of the blocks entering the layer, and what those blocks could hold. */
  readonly connections: number;
  readonly possibleConnections: number;
  /** 1 − connections / possible; 0 for the input. */
  readonly sparsity: number;
  /** How the layer's kernel runs: `dense` (a masked product) or `sparse` (inside a graph kernel); none for the input. */
  readonly kernel?: "dense" | "sparse";
  /** Why a kernel the cost model would run sparse runs dense. */
  readonly reason?: string;
}

export interface SummaryTotals {
  readonly layers: number;
  readonly neurons: number;
  readonly parameters: SummaryParameters;
  readonly connections: number;
  readonly possibleConnections: number;
  readonly sparsity: number;
  /** Kernels of a forward pass by kind: `dense` products and `graph` kernels (each computing a run of sparse layers). */
  readonly denseKernels: number;
  readonly graphKernels: number;
}

export interface ModelSummary {
  /** The fixed-width table. */
  readonly text: string;
  readonly rows: readonly SummaryRow[];
  readonly totals: SummaryTotals;
}

const PARAMETER_PARTS = { weight: "weights", bias: "biases", gain: "norm", shift: "norm", maskLogits: "maskLogits" } as const;

export function modelSummary(model: Model): ModelSummary {
  const rows = model.layers.map((layer, i): SummaryRow => {
    const entering = model.blocks.filter((b) => b.target === layer.name);
    const connections = entering.reduce((sum, b) => sum + model.liveConnections(b.name), 0);
    const possible = entering.reduce((sum, b) => sum + b.sourceSize * b.targetSize, 0);
    const step = model.execution.find((s) => s.layers.includes(layer.name));
    return {
      layer: layer.name,
      kind: kindText(layer.origin),
      shape: i === 0 && model.features.length === 0 && model.recurrent.length === 0 ? [...model.inputShape] : [layer.size],
      size: layer.size,
      parameters: parametersOf(model, layer.name),
      connections,
      possibleConnections: possible,
      sparsity: possible === 0 ? 0 : 1 - connections / possible,
      ...(step === undefined ? {} : { kernel: step.kind === "graph" ? "sparse" : "dense" }),
      ...(step?.reason === undefined ? {} : { reason: step.reason }),
    };
  });
  if (model.features.length > 0) rows.unshift(...featureRows(model));
  const connections = model.liveConnections();
  const possible = model.totalConnections();
  const totals: SummaryTotals = {
    layers: rows.length,
    neurons: rows.reduce((sum, r) => sum + r.size, 0),
    parameters: sumParameters(rows.map((r) => r.parameters)),
    connections,
    possibleConnections: possible,
    sparsity: possible === 0 ? 0 : 1 - connections / possible,
    denseKernels: model.execution.filter((s) => s.kind === "dense").length,
    graphKernels: model.execution.filter((s) => s.kind === "graph").length,
  };
  return { text: summaryText(model, rows, totals), rows, totals };
}

const FEATURE_KINDS = { conv: "conv", maxPool: "max pool", avgPool: "avg pool", globalAvgPool: "global avg pool", batchNorm: "batch norm" } as const;

/** The input as written, then one row per feature layer: its output map, its parameters, and for a conv its live weights. */
function featureRows(model: Model): SummaryRow[] {
  const none = { connections: 0, possibleConnections: 0, sparsity: 0 };
  const input: SummaryRow = {
    layer: "input",
    kind: "input",
    shape: [...model.inputShape],
    size: model.inputShape.reduce((a, b) => a * b, 1),
    parameters: parametersOf(model, "input"),
    ...none,
  };
  return [
    input,
    ...model.features.map((f): SummaryRow => {
      const mask = f.weightShape === undefined ? undefined : model.getMask(f.name);
      const live = mask === undefined ? 0 : mask.reduce((a, b) => a + b, 0);
      const weights = mask === undefined ? none : { connections: live, possibleConnections: mask.length, sparsity: 1 - live / mask.length };
      return {
        layer: f.name,
        kind: FEATURE_KINDS[f.kind],
        shape: [...f.outputShape],
        size: f.outputShape[0] * f.outputShape[1] * f.outputShape[2],
        parameters: parametersOf(model, f.name),
        ...weights,
      };
    }),
  ];
}

function kindText(origin: LayerOrigin): string {
  if (origin.kind === "dense") return `dense ${origin.index}`;
  if (origin.kind === "structure") return `structure ${origin.graph}${origin.use > 1 ? ` (use ${origin.use})` : ""} depth ${origin.depth}`;
  return origin.kind;
}

function parametersOf(model: Model, layer: string): SummaryParameters {
  const parts = { weights: 0, biases: 0, norm: 0, maskLogits: 0 };
  for (const p of model.parameters) {
    const dot = p.name.lastIndexOf(".");
    const part = PARAMETER_PARTS[p.name.slice(dot + 1) as keyof typeof PARAMETER_PARTS];
    if (p.name.slice(0, dot) === layer && part !== undefined) parts[part] += p.variable.size;
  }
  return { ...parts, total: parts.weights + parts.biases + parts.norm + parts.maskLogits };
}

function sumParameters(all: readonly SummaryParameters[]): SummaryParameters {
  const add = (key: keyof SummaryParameters): number => all.reduce((sum, p) => sum + p[key], 0);
  return { weights: add("weights"), biases: add("biases"), norm: add("norm"), maskLogits: add("maskLogits"), total: add("total") };
}

const COLUMNS = ["Layer (kind)", "Shape", "Param #", "Connections", "Sparsity", "Kernel"] as const;

/** Keras's layout: a rule of `_` under the title and between rows, `=` around the body, then the totals. */
function summaryText(model: Model, rows: readonly SummaryRow[], totals: SummaryTotals): string {
  const cells = rows.map((r) => [
    `${r.layer} (${r.kind})`,
    `[${r.shape.join(", ")}]`,
    count(r.parameters.total),
    r.possibleConnections === 0 ? "" : `${count(r.connections)} / ${count(r.possibleConnections)}`,
    r.possibleConnections === 0 ? "" : percent(r.sparsity),
    r.kernel ?? "",
  ]);
  const widths = COLUMNS.map((title, c) => Math.max(title.length, ...cells.map((row) => row[c]!.length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, c) => (c >= 2 && c <= 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("   ")
      .trimEnd();
  const rule = (char: string): string => char.repeat(widths.reduce((a, b) => a + b, 0) + 3 * (widths.length - 1));
  const p = totals.parameters;
  const breakdown = [
    `weights ${count(p.weights)}`,
    `biases ${count(p.biases)}`,
    ...(p.norm > 0 ? [`layer norm ${count(p.norm)}`] : []),
    ...(p.maskLogits > 0 ? [`mask logits ${count(p.maskLogits)}`] : []),
  ];
  return [
    `Model: "${model.name}" (${model.backend}, execution ${model.executionMode})`,
    rule("_"),
    line(COLUMNS),
    rule("="),
    ...cells.flatMap((row, i) => (i === 0 ? [line(row)] : [rule("_"), line(row)])),
    rule("="),
    `Total params: ${count(p.total)} (${breakdown.join(", ")})`,
    `Live connections: ${count(totals.connections)} of ${count(totals.possibleConnections)} (sparsity ${percent(totals.sparsity)})`,
    `Neurons: ${count(totals.neurons)} in ${totals.layers} layers; kernels: ${totals.denseKernels} dense, ${totals.graphKernels} graph (sparse)`,
    ...rows.filter((r) => r.reason !== undefined).map((r) => `${r.layer} runs dense: ${r.reason}`),
    rule("_"),
  ].join("\n");
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}
