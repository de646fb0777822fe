/**
 * `model.summary()`: a network layer by layer, as Keras users read it —
 * shape, parameters, the live connections entering each layer, sparsity and
 * the kernel that computes it — read off the model's own reports (its
 * parameters and state, `liveConnections` per weight and `execution`), never
 * recounted: the input, then feature layers (convs, batch norms, pools; a
 * cell network's cells and head among them) or recurrent layers, then layer 0
 * onwards.
 */
import type { Model, RecurrentInfo } from "./model.js";
import type { LayerOrigin } from "./spec.js";

export interface SummaryParameters {
  /** Connection weights entering the layer, in their stored layout (a recurrent layer's input and hidden weights together). */
  readonly weights: number;
  readonly biases: number;
  /** Layer-norm or batch-norm gains and shifts. */
  readonly norm: number;
  /** A learnable mask's two logits per connection. */
  readonly maskLogits: number;
  /** Trainable parameters: the sum of the four above, the layer's share of `model.parameters`. */
  readonly total: number;
  /** Saved but never trained, the layer's share of `model.state`: a batch norm's running means and variances. */
  readonly nonTrainable: number;
}

/** A recurrent layer's two masked weights, each `[rows, gates · hidden]`, and its gate count (rnn 1, gru 3, lstm 4). */
export interface SummaryRecurrent {
  readonly gates: number;
  readonly inputWeights: readonly [number, number];
  readonly hiddenWeights: readonly [number, number];
}

export interface SummaryRow {
  readonly layer: string;
  /** `input`, `dense N`, `structure GRAPH depth D`, `output`, a feature layer's (`conv`, `batch norm`, `max pool`, …) or a recurrent layer's (`lstm`, `gru`, `rnn`). */
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
  /** For a recurrent layer: its weights' shapes and gate count. */
  readonly recurrent?: SummaryRecurrent;
}

export interface SummaryTotals {
  readonly layers: number;
  /** Activations of every row (a feature map's channels · height · width, a recurrent layer's steps · hidden). */
  readonly neurons: number;
  /** The rows' sum: `total` is every entry of `model.parameters`, `nonTrainable` every entry of `model.state`. */
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

const PARAMETER_PARTS = {
  weight: "weights",
  inputWeight: "weights",
  hiddenWeight: "weights",
  bias: "biases",
  gain: "norm",
  shift: "norm",
  maskLogits: "maskLogits",
} as const;

export function modelSummary(model: Model): ModelSummary {
  const front = model.features.length > 0 || model.recurrent.length > 0;
  const rows = [...(front ? frontRows(model) : []), ...layerRows(model, front)];
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

/** Layer 0 onwards: the blocks entering each layer, and the kernel computing it. Layer 0 has the input's shape unless layers come before it. */
function layerRows(model: Model, front: boolean): SummaryRow[] {
  return model.layers.map((layer, i): SummaryRow => {
    const entering = model.blocks.filter((b) => b.target === layer.name);
    const connections = entering.reduce((sum, b) => sum + model.liveConnections(b.name), 0);
    const possible = entering.reduce((sum, b) => sum + b.sourceSize * b.targetSize, 0);
    const step = model.execution.find((s) => s.layers.includes(layer.name));
    return {
      layer: layer.name,
      kind: kindText(layer.origin),
      shape: i === 0 && !front ? [...model.inputShape] : [layer.size],
      size: layer.size,
      parameters: parametersOf(model, layer.name),
      ...connectionsOf(connections, possible),
      ...(step === undefined ? {} : { kernel: step.kind === "graph" ? "sparse" : "dense" }),
      ...(step?.reason === undefined ? {} : { reason: step.reason }),
    };
  });
}

function connectionsOf(connections: number, possible: number): Pick<SummaryRow, "connections" | "possibleConnections" | "sparsity"> {
  return { connections, possibleConnections: possible, sparsity: possible === 0 ? 0 : 1 - connections / possible };
}

const FEATURE_KINDS = { conv: "conv", maxPool: "max pool", avgPool: "avg pool", globalAvgPool: "global avg pool", batchNorm: "batch norm" } as const;

/** The input as written, then one row per feature layer (a conv's live weights its connections) or per recurrent layer. */
function frontRows(model: Model): SummaryRow[] {
  const input: SummaryRow = {
    layer: "input",
    kind: "input",
    shape: [...model.inputShape],
    size: model.inputShape.reduce((a, b) => a * b, 1),
    parameters: parametersOf(model, "input"),
    ...connectionsOf(0, 0),
  };
  const features = model.features.map((f): SummaryRow => {
    const possible = f.weightShape === undefined ? 0 : f.weightShape.reduce((a, b) => a * b, 1);
    return {
      layer: f.name,
      kind: FEATURE_KINDS[f.kind],
      shape: [...f.outputShape],
      size: f.outputShape[0] * f.outputShape[1] * f.outputShape[2],
      parameters: parametersOf(model, f.name),
      ...connectionsOf(possible === 0 ? 0 : model.liveConnections(f.name), possible),
    };
  });
  return [input, ...features, ...model.recurrent.map((r) => recurrentRow(model, r))];
}

/** A recurrent layer computes every step's hidden state, `[steps, hidden]`, from its input and hidden weights (both masked). */
function recurrentRow(model: Model, layer: RecurrentInfo): SummaryRow {
  const steps = model.inputShape[0]!;
  const shapeOf = (part: "input" | "hidden"): readonly [number, number] => {
    const mask = layer.masks.find((m) => m.name === `${layer.name}.${part}`);
    if (mask === undefined) throw new Error(`${model.name}.summary: recurrent layer '${layer.name}' has no '${layer.name}.${part}' weight`);
    return mask.shape;
  };
  const inputWeights = shapeOf("input");
  const hiddenWeights = shapeOf("hidden");
  const live = model.liveConnections(`${layer.name}.input`) + model.liveConnections(`${layer.name}.hidden`);
  return {
    layer: layer.name,
    kind: layer.kind,
    shape: [steps, layer.hidden],
    size: steps * layer.hidden,
    parameters: parametersOf(model, layer.name),
    ...connectionsOf(live, inputWeights[0] * inputWeights[1] + hiddenWeights[0] * hiddenWeights[1]),
    recurrent: { gates: layer.gates, inputWeights, hiddenWeights },
  };
}

function kindText(origin: LayerOrigin): string {
  if (origin.kind === "dense") return `dense ${origin.index}`;
  if (origin.kind === "structure") return `structure ${origin.graph}${origin.use > 1 ? ` (use ${origin.use})` : ""} depth ${origin.depth}`;
  return origin.kind;
}

/** The layer's share of `model.parameters` by part, and of `model.state` (named `${layer}.runningMean` and so on). */
function parametersOf(model: Model, layer: string): SummaryParameters {
  const parts = { weights: 0, biases: 0, norm: 0, maskLogits: 0 };
  for (const p of model.parameters) {
    const dot = p.name.lastIndexOf(".");
    const part = PARAMETER_PARTS[p.name.slice(dot + 1) as keyof typeof PARAMETER_PARTS];
    if (p.name.slice(0, dot) === layer && part !== undefined) parts[part] += p.variable.size;
  }
  const nonTrainable = model.state.filter((s) => s.name.slice(0, s.name.lastIndexOf(".")) === layer).reduce((sum, s) => sum + s.variable.size, 0);
  return { ...parts, total: parts.weights + parts.biases + parts.norm + parts.maskLogits, nonTrainable };
}

function sumParameters(all: readonly SummaryParameters[]): SummaryParameters {
  const add = (key: keyof SummaryParameters): number => all.reduce((sum, p) => sum + p[key], 0);
  return { weights: add("weights"), biases: add("biases"), norm: add("norm"), maskLogits: add("maskLogits"), total: add("total"), nonTrainable: add("nonTrainable") };
}

const COLUMNS = ["Layer (kind)", "Shape", "Param #", "Connections", "Sparsity", "Kernel"] as const;

/** A recurrent layer's kind says its gate count; its weights' shapes go on a line of their own under its row, keeping the columns narrow. */
function layerText(row: SummaryRow): string {
  const r = row.recurrent;
  return `${row.layer} (${r === undefined ? row.kind : `${row.kind}, ${r.gates} gate${r.gates === 1 ? "" : "s"}`})`;
}

function detailLines(row: SummaryRow): string[] {
  const r = row.recurrent;
  return r === undefined ? [] : [`  input weights [${r.inputWeights.join(", ")}], hidden weights [${r.hiddenWeights.join(", ")}]`];
}

/** Keras's layout: a rule of `_` under the title and between rows, `=` around the body, then the totals. */
function summaryText(model: Model, rows: readonly SummaryRow[], totals: SummaryTotals): string {
  const cells = rows.map((r) => [
    layerText(r),
    `[${r.shape.join(", ")}]`,
    count(r.parameters.total + r.parameters.nonTrainable),
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
  return [
    `Model: "${model.name}" (${model.backend}, execution ${model.executionMode})`,
    rule("_"),
    line(COLUMNS),
    rule("="),
    ...cells.flatMap((row, i) => [...(i === 0 ? [] : [rule("_")]), line(row), ...detailLines(rows[i]!)]),
    rule("="),
    ...parameterLines(rows, totals.parameters),
    `Live connections: ${count(totals.connections)} of ${count(totals.possibleConnections)} (sparsity ${percent(totals.sparsity)})`,
    `Neurons: ${count(totals.neurons)} in ${totals.layers} layers; kernels: ${totals.denseKernels} dense, ${totals.graphKernels} graph (sparse)`,
    ...rows.filter((r) => r.reason !== undefined).map((r) => `${r.layer} runs dense: ${r.reason}`),
    rule("_"),
  ].join("\n");
}

/** Keras's three counts, the total broken down by part; norm gains and shifts split into layer norms' and batch norms'. */
function parameterLines(rows: readonly SummaryRow[], p: SummaryParameters): string[] {
  const batchNorm = rows.filter((r) => r.kind === "batch norm").reduce((sum, r) => sum + r.parameters.norm, 0);
  const breakdown = [
    `weights ${count(p.weights)}`,
    `biases ${count(p.biases)}`,
    ...(p.norm > batchNorm ? [`layer norm ${count(p.norm - batchNorm)}`] : []),
    ...(batchNorm > 0 ? [`batch norm ${count(batchNorm)}`] : []),
    ...(p.maskLogits > 0 ? [`mask logits ${count(p.maskLogits)}`] : []),
    ...(p.nonTrainable > 0 ? [`running statistics ${count(p.nonTrainable)}`] : []),
  ];
  return [
    `Total params: ${count(p.total + p.nonTrainable)} (${breakdown.join(", ")})`,
    `Trainable params: ${count(p.total)}`,
    `Non-trainable params: ${count(p.nonTrainable)}${p.nonTrainable > 0 ? " (batch-norm running means and variances)" : ""}`,
  ];
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}
