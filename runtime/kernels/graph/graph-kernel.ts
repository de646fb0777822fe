/**
 * The graph kernel: any number of sparse depths in one op. Its neurons are
 * computed one after another in topological order, each from its incoming
 * connections, so a run of sparse depths costs one call however many depths
 * it spans, and time and memory follow the live connections.
 *
 * The kernel's parameters stay those of its member kernels (a per-edge
 * weight, 0/1 mask and per-neuron bias each), so pruning, saving and growing
 * see the same parameters whichever way a network runs.
 *
 * Input: the external sources `x` [batch, inputs] (columns in any order the
 * structure names). Output: the neurons in `exports` [batch, exports], the
 * ones later kernels read. Gradients (registered beside the forward pass, as
 * TensorFlow.js does): the inputs, every weight (masked, or unmasked for
 * growing) and every bias. The work happens in graph.wat (SIMD over the
 * batch); see memory.ts for where its data lives.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { NamedAttrMap, NamedTensorInfoMap, Tensor, Tensor1D, Tensor2D, TensorInfo } from "@tensorflow/tfjs-core";
import type { ActivationName } from "../../spec.js";
import { graphKernelSupport, registerWasmKernel, releaseHeld, releaseKeptZeros, type Workspace } from "./memory.js";
import { saveForBackward } from "../saved-tensors.js";

/**
 * `graphKernelSupport()`: for the current backend, `{ available: true }` or
 * `{ available: false, reason }` saying why the graph kernel cannot run
 * there; `graphKernelAvailable()` is its `available`. The kernel runs on
 * TensorFlow.js's WASM backend (single-threaded builds and the threaded,
 * shared-memory build alike) and on the CPU backend.
 */
export { graphKernelAvailable, graphKernelSupport, type GraphKernelSupport } from "./memory.js";

const FORWARD = "DeepstructGraph";
const BACKWARD = "DeepstructGraphGrad";

/** The activation numbering of graph.wat. */
const ACTIVATION_KIND: Readonly<Record<ActivationName, number>> = { linear: 0, relu: 1, tanh: 2, sigmoid: 3, elu: 4 };

/** The static shape of a graph kernel, built once per network. */
export interface GraphStructure {
  /** Neurons the kernel computes, in topological order. */
  readonly neurons: number;
  /** Columns of the external input. */
  readonly inputs: number;
  /** Neurons below this index are activated, the rest (an output layer) are linear. */
  readonly activated: number;
  /**
   * Incoming connections grouped by neuron: those of neuron v are
   * `start[v] … start[v + 1] − 1`, and `source[q]` is an input column (below
   * `inputs`) or `inputs` + an earlier neuron.
   */
  readonly start: Tensor1D;
  readonly source: Tensor1D;
  /** Per member kernel, its neurons and connections. */
  readonly members: readonly { readonly neurons: number; readonly edges: number }[];
  /** The incoming position of each connection, the members' connections one after another. */
  readonly slots: Tensor1D;
}

export interface GraphStructureInput {
  readonly inputs: number;
  readonly activated: number;
  /** Per member kernel, its edges in the member's own order: source (combined index) and target neuron (kernel-wide). */
  readonly members: readonly { readonly neurons: number; readonly sources: Int32Array; readonly targets: Int32Array }[];
}

/** Groups the members' edges by target neuron (a counting sort, so in linear time). */
export function graphStructure(input: GraphStructureInput): GraphStructure {
  const neurons = input.members.reduce((n, m) => n + m.neurons, 0);
  const edges = input.members.reduce((n, m) => n + m.sources.length, 0);
  const start = new Int32Array(neurons + 1);
  for (const member of input.members) for (const t of member.targets) start[t + 1]!++;
  for (let v = 0; v < neurons; v++) start[v + 1]! += start[v]!;
  const next = start.slice(0, neurons);
  const source = new Int32Array(edges);
  const slots = new Int32Array(edges);
  let e = 0;
  for (const member of input.members) {
    member.targets.forEach((t, i) => {
      const q = next[t]!++;
      slots[e++] = q;
      source[q] = member.sources[i]!;
    });
  }
  return {
    neurons,
    inputs: input.inputs,
    activated: input.activated,
    start: tf.tensor1d(start, "int32"),
    source: tf.tensor1d(source, "int32"),
    members: input.members.map((m) => ({ neurons: m.neurons, edges: m.sources.length })),
    slots: tf.tensor1d(slots, "int32"),
  };
}

export function disposeGraphStructure(structure: GraphStructure): void {
  releaseHeld(structure.start.dataId);
  releaseKeptZeros(structure.source.dataId);
  tf.dispose([structure.start, structure.source, structure.slots]);
}

/** One member kernel's parameters: a weight per connection, a bias per neuron. */
export interface GraphMember {
  /** One value per connection, in the member's order: a vector, or a full member's [rows, cols] matrix. */
  readonly weight: Tensor;
  readonly bias: Tensor1D;
  /**
   * The member runs only these entries of `weight` (int32, one per connection
   * of the structure, in its order): a pruned kernel's live connections,
   * picked inside the kernel rather than by an op before it. The weight's
   * gradient then has its full shape, zero off the pick.
   */
  readonly pick?: Tensor1D;
}

export interface GraphKernelOptions {
  readonly activation: ActivationName;
  /** Whether anything upstream needs the gradient of `x` (default true). */
  readonly inputNeedsGradient?: boolean;
  /** False gives switched-off connections their gradient too, for growing where it is largest (default true). */
  readonly maskWeightGradient?: boolean;
  /**
   * Hand out the neurons as they lie in the kernel, [neurons, batch] (default
   * false): for a reader that multiplies them transposed. Needs every neuron
   * exported in order and a batch that is a multiple of 16 (no padding).
   */
  readonly neuronMajor?: boolean;
}

/** Inside the kernel the batch is padded to a multiple of 16: four 4-float SIMD registers per step. */
const paddedBatch = (batch: number): number => Math.ceil(batch / 16) * 16;

/**
 * How the kernel lays out its rows of samples: `bands` blocks one after another, each its rows of `bp` samples (the
 * native part's, where the rows outgrow a core's caches: GraphExports.bandWidth), else one band of the padded batch.
 * A neuron-major output is handed out as one band.
 */
interface Layout {
  readonly bp: number;
  readonly bands: number;
}

function layoutOf(ws: Workspace, rows: number, batch: number, neuronMajor: boolean): Layout {
  const padded = paddedBatch(batch);
  const bp = neuronMajor ? padded : (ws.code.bandWidth?.(rows, padded) ?? padded);
  return { bp, bands: Math.ceil(batch / bp) };
}

/** The layout of a forward pass's saved [bands, rows, bp] (or [rows, bp]: one band), for its backward. */
function savedLayout(ws: Workspace, saved: TensorInfo): Layout & { readonly rows: number } {
  const [bands, rows, bp] = saved.shape.length === 3 ? (saved.shape as [number, number, number]) : [1, ...(saved.shape as [number, number])];
  if (bands > 1 && ws.code.bandWidth === undefined)
    throw new Error(`graph kernel: the forward pass laid its rows out in ${bands} bands (the native part's), and its backward runs where the native part is off`);
  return { bp, bands, rows };
}

/** The shape of `rows` rows in `layout`. */
const bandShape = (layout: Layout, rows: number): number[] => (layout.bands > 1 ? [layout.bands, rows, layout.bp] : [rows, layout.bp]);

/**
 * Per band: its samples of the batch (the last band's may be fewer than bp), the byte offset of its block of `rows` rows
 * in the kernel's layout, and the byte offset of its first sample in a row-major [batch, cols] array.
 */
function eachBand(layout: Layout, batch: number, rows: number, cols: number, run: (samples: number, block: number, sample: number) => void): void {
  const { bp, bands } = layout;
  for (let k = 0; k < bands; k++) run(Math.min(bp, batch - k * bp), 4 * k * rows * bp, 4 * k * bp * cols);
}

interface Attributes {
  readonly members: number;
  /** Per member, whether it runs a pick `p{k}` of its weight's entries. */
  readonly picked: readonly boolean[];
  readonly neurons: number;
  readonly activated: number;
  readonly kind: number;
  readonly needInput: boolean;
  readonly masked: boolean;
  /** The output is the kernel's own [neurons, batch] activations, and the incoming gradient is in that layout too. */
  readonly neuronMajor: boolean;
}

function attributes(attrs: NamedAttrMap): Attributes {
  // Without `picked` (callers of the kernel itself), no member picks.
  const a = attrs as unknown as Partial<Attributes>;
  return a.picked === undefined ? ({ ...a, picked: [] } as unknown as Attributes) : (a as Attributes);
}

/** Words per member in the table graph.wat reads the member kernels' parameters from. */
const TABLE_WORDS = 8;

/** The kernel's input names per member (`w0`, `b0`, `p0`, …), made once, not a string per member per call. */
const NAMES: { readonly w: string[]; readonly b: string[]; readonly p: string[] } = { w: [], b: [], p: [] };

function memberNames(members: number): typeof NAMES {
  for (let k = NAMES.w.length; k < members; k++) (NAMES.w.push(`w${k}`), NAMES.b.push(`b${k}`), NAMES.p.push(`p${k}`));
  return NAMES;
}

/** The member table's words before they go to the memory: one array kept and grown, as kernels run one at a time. */
let tableWords = new Int32Array(0);
/** 0, 1, 2, …: the rows of the input gradient, picked whole (kept and grown). */
let identityRows = new Int32Array(0);

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * The member table (see graph.wat): each member's weight, mask, slots,
 * connection count, bias and neuron count, and, when given, where its
 * weight and bias gradients go. A picked member reads (and its gradient is
 * written to) a scratch of its live entries, which graph.wat writes in full.
 * The backward's table (with gradients) leaves the weights and biases out.
 */
function memberTable(ws: Workspace, inputs: NamedTensorInfoMap, a: Attributes, gradients?: { readonly dw: readonly number[]; readonly db: readonly number[] }): number {
  // With gradients the table is the backward's, which takes its effective weights from the forward pass and reads no weight.
  const readsWeights = gradients === undefined;
  const names = memberNames(a.members);
  if (tableWords.length < TABLE_WORDS * a.members) tableWords = new Int32Array(TABLE_WORDS * a.members);
  const words = tableWords;
  const mask = ws.input(inputs.mask!);
  const slots = ws.input(inputs.slots!);
  let offset = 0;
  for (let k = 0, at = 0; k < a.members; k++, at += TABLE_WORDS) {
    const weight = inputs[names.w[k]!]!;
    const bias = inputs[names.b[k]!]!;
    const pick = a.picked[k] ? inputs[names.p[k]!]! : undefined;
    const edges = pick?.shape[0] ?? sizeOf(weight.shape);
    let live = readsWeights ? ws.input(weight) : 0;
    if (pick !== undefined && readsWeights) {
      const entries = live;
      live = ws.unzeroedScratch(4 * edges);
      // live[j] = weight[pick[j]]: graph.wat's column gather of a one-row matrix (a JavaScript loop took ~2 ns an entry).
      ws.code.gatherColumns(entries, 1, 0, ws.input(pick), edges, live);
    }
    words[at] = live;
    words[at + 1] = mask + 4 * offset;
    words[at + 2] = slots + 4 * offset;
    words[at + 3] = edges;
    words[at + 4] = readsWeights ? ws.input(bias) : 0;
    words[at + 5] = bias.shape[0]!;
    words[at + 6] = gradients === undefined ? 0 : pick === undefined ? gradients.dw[k]! : ws.unzeroedScratch(4 * edges);
    words[at + 7] = gradients?.db[k] ?? 0;
    offset += edges;
  }
  const table = ws.unzeroedScratch(4 * TABLE_WORDS * a.members);
  ws.i32().set(words.subarray(0, TABLE_WORDS * a.members), table / 4);
  return table;
}

/**
 * The weight gradients' outputs, each in its weight's shape (a full member's [rows, cols] is its connections row-major). A picked
 * member's is, on WASM, a buffer held for its pick (Workspace.held): its gradient is zero off the pick in every call, so only the
 * live entries are written, not the whole zeroed and scattered (235,200 entries for 1,181 live ones in a pruned LeNet's first layer).
 * `zeroOffPick[k]`: output k is such a held buffer, zero wherever its member's pick does not write.
 */
function gradientOutputs(ws: Workspace, inputs: NamedTensorInfoMap, a: Attributes): { outputs: { readonly pointer: number; finish(): TensorInfo }[]; zeroOffPick: boolean[] } {
  const names = memberNames(a.members);
  const outputs: { readonly pointer: number; finish(): TensorInfo }[] = [];
  const zeroOffPick: boolean[] = [];
  for (let k = 0; k < a.members; k++) {
    const shape = inputs[names.w[k]!]!.shape;
    const held = a.picked[k] ? ws.held?.(inputs[names.p[k]!]!.dataId, shape, true) : undefined;
    outputs.push(held ?? ws.output([...shape]));
    zeroOffPick.push(held !== undefined);
  }
  return { outputs, zeroOffPick };
}

/** A picked member's gradient, from the scratch takeGradients wrote, scattered into its full-shape output (zero elsewhere). */
function scatterPicked(ws: Workspace, inputs: NamedTensorInfoMap, a: Attributes, table: number, dw: ReturnType<typeof gradientOutputs>): void {
  const names = memberNames(a.members);
  for (let k = 0; k < a.members; k++) {
    if (!a.picked[k]) continue;
    const size = sizeOf(inputs[names.w[k]!]!.shape);
    // The address before the views: on the CPU backend taking an input may grow the memory.
    const pick = ws.input(inputs[names.p[k]!]!);
    const i32 = ws.i32();
    const [from, count] = [i32[table / 4 + TABLE_WORDS * k + 6]!, i32[table / 4 + TABLE_WORDS * k + 3]!];
    const at = dw.outputs[k]!.pointer;
    if (!dw.zeroOffPick[k]) ws.f32().fill(0, at / 4, at / 4 + size);
    ws.code.scatterEntries(from, pick, count, at);
  }
}

/**
 * Scratch here is zeroed only where the kernel adds into it: graph.wat and native/graph.c write the effective weights, the
 * biases, the addresses and the gradients by effective weight and bias in full (the C code zeroes its own sums), and add
 * into the gradient by neuron `g` (each neuron's into its sources') and by input `dxt`.
 */
function forwardKernel(ws: Workspace, inputs: NamedTensorInfoMap, a: Attributes): TensorInfo[] {
  const x = inputs.x!;
  const [batch, r] = x.shape as [number, number];
  const layout = layoutOf(ws, r + a.neurons, batch, a.neuronMajor);
  const bp = layout.bp;
  // x [batch, r] as the zero-padded [r, bp] bands the kernel reads: an output, so the backward pass reads it again instead of transposing x a second time.
  const xtOut = ws.output(bandShape(layout, r));
  const xt = xtOut.pointer;
  const xIn = ws.input(x);
  eachBand(layout, batch, r, r, (samples, block, sample) => ws.code.transposeIn(xIn + sample, samples, r, xt + block, bp));
  const edges = inputs.source!.shape[0]!;
  // The effective weights are an output too: the backward reads them rather than gathering and placing the weights again.
  const weff = ws.output([edges]);
  const bias = ws.unzeroedScratch(4 * a.neurons);
  ws.code.placeParameters(memberTable(ws, inputs, a), a.members, weff.pointer, bias);
  const addresses = ws.unzeroedScratch(4 * edges);
  const h = ws.output(bandShape(layout, a.neurons));
  ws.code.forward(xt, r, h.pointer, a.neurons, bp, weff.pointer, bias, ws.input(inputs.start!), ws.input(inputs.source!), a.activated, a.kind, addresses, layout.bands);
  if (a.neuronMajor) return [h.finish(), xtOut.finish(), weff.finish()];
  const count = inputs.exports!.shape[0]!;
  const out = ws.output([batch, count]);
  const exportRows = ws.input(inputs.exports!);
  eachBand(layout, batch, a.neurons, count, (samples, block, sample) => ws.code.pickRows(h.pointer + block, bp, exportRows, count, out.pointer + sample, samples, 0));
  return [h.finish(), out.finish(), xtOut.finish(), weff.finish()];
}

/**
 * The incoming gradient as the kernel's [neurons, bp] `g`: neuron-major a copy of all of it, else the exports' rows added
 * into zeros, kept under the structure's `source` where the backend keeps one (see Workspace.keptZeros); `done` zeroes it again.
 */
function incomingGradient(ws: Workspace, inputs: NamedTensorInfoMap, a: Attributes, layout: Layout, batch: number): { g: number; done(): void } {
  const { bp } = layout;
  const bytes = 4 * a.neurons * bp * layout.bands;
  const kept = a.neuronMajor ? undefined : ws.keptZeros?.(inputs.source!.dataId, bytes);
  const g = a.neuronMajor ? ws.unzeroedScratch(bytes) : (kept?.pointer ?? ws.scratch(bytes));
  // The address before the view: on the CPU backend taking an input may grow the memory.
  const dy = ws.input(inputs.dy!);
  if (a.neuronMajor) ws.f32().copyWithin(g / 4, dy / 4, dy / 4 + a.neurons * bp);
  else {
    const [rows, count] = [ws.input(inputs.exports!), inputs.exports!.shape[0]!];
    eachBand(layout, batch, a.neurons, count, (samples, block, sample) => ws.code.pickRows(g + block, bp, rows, count, dy + sample, samples, 1));
  }
  return { g, done: () => kept?.zeroAgain() };
}

/**
 * The incoming gradient for a backward that writes the rows it is not given (GraphExports.backwardSeeded, the native
 * part's, whose pickRows zeroes rows with `add` 2): `g` unset but for the rows `seeds` lists, every neuron's
 * neuron-major, else the exports' (zeroed, then their gradients added in, as an export named twice gains both), so
 * none of g is zeroed that the backward writes anyway.
 */
function seededGradient(ws: Workspace, inputs: NamedTensorInfoMap, a: Attributes, layout: Layout, batch: number): { g: number; seeds: number; seedCount: number } {
  const { bp } = layout;
  const g = ws.unzeroedScratch(4 * a.neurons * bp * layout.bands);
  // The addresses before the views: on the CPU backend taking an input may grow the memory.
  const dy = ws.input(inputs.dy!);
  if (a.neuronMajor) {
    const seeds = identityList(ws, a.neurons);
    ws.f32().copyWithin(g / 4, dy / 4, dy / 4 + a.neurons * bp);
    return { g, seeds, seedCount: a.neurons };
  }
  const seeds = ws.input(inputs.exports!);
  const count = inputs.exports!.shape[0]!;
  // The native pickRows's `add` 2: the rows zeroed, then added into (in JavaScript, 675 rows' fill took ~0.26 ms at WS 10,000).
  eachBand(layout, batch, a.neurons, count, (samples, block, sample) => ws.code.pickRows(g + block, bp, seeds, count, dy + sample, samples, 2));
  return { g, seeds, seedCount: count };
}

/** 0, 1, …, count − 1 as int32 in scratch. */
function identityList(ws: Workspace, count: number): number {
  if (identityRows.length < count) identityRows = Int32Array.from({ length: count }, (_, i) => i);
  const list = ws.unzeroedScratch(4 * count);
  ws.i32().set(identityRows.subarray(0, count), list / 4);
  return list;
}

/** The input's gradient [batch, r] from the kernel's [r, bp] `dxt`; without one wanted, zeros (a held buffer where there is one). */
function inputGradient(ws: Workspace, inputs: NamedTensorInfoMap, a: Attributes, dxt: number, batch: number, r: number, layout: Layout): TensorInfo {
  // Without an input gradient wanted, a held buffer of zeros (never written) stands for it, not 256 × 784 zeros written a step.
  const zeros = a.needInput ? undefined : ws.held?.(inputs.start!.dataId, [batch, r], false);
  if (zeros !== undefined) return zeros.finish();
  const dx = ws.output([batch, r]);
  const { bp } = layout;
  if (a.needInput) {
    const rows = identityList(ws, r);
    eachBand(layout, batch, r, r, (samples, block, sample) => ws.code.pickRows(dxt + block, bp, rows, r, dx.pointer + sample, samples, 0));
  } else ws.f32().fill(0, dx.pointer / 4, dx.pointer / 4 + batch * r);
  return dx.finish();
}

/**
 * The backward itself into dweff and db, returning where the input's gradient [r, bp] went (0 when not wanted). Where it
 * writes the gradient rows it is not given (backwardSeeded), neither they nor dxt are zeroed first; else g is kept zeros,
 * zeroed again after, and dxt zeroed scratch.
 */
function backwardPass(ws: Workspace, inputs: NamedTensorInfoMap, a: Attributes, p: { r: number; layout: Layout; batch: number; weff: number; dweff: number; db: number }): number {
  const seeded = ws.code.backwardSeeded;
  const { bp, bands } = p.layout;
  const rows = 4 * p.r * bp * bands;
  const structure = [ws.input(inputs.h!), ws.input(inputs.xt!), p.r, a.neurons, bp, p.weff, ws.input(inputs.start!), ws.input(inputs.source!), a.activated, a.kind] as const;
  const flag = a.needInput ? 1 : 0;
  if (seeded !== undefined) {
    const { g, seeds, seedCount } = seededGradient(ws, inputs, a, p.layout, p.batch);
    const dxt = a.needInput ? ws.unzeroedScratch(rows) : 0;
    seeded(g, ...structure, dxt, p.dweff, p.db, flag, seeds, seedCount, bands);
    return dxt;
  }
  const { g, done } = incomingGradient(ws, inputs, a, p.layout, p.batch);
  const dxt = a.needInput ? ws.scratch(rows) : 0;
  ws.code.backward(g, ...structure, dxt, p.dweff, p.db, flag, bands);
  done();
  return dxt;
}

function backwardKernel(ws: Workspace, inputs: NamedTensorInfoMap, a: Attributes): TensorInfo[] {
  const { rows: r, ...layout } = savedLayout(ws, inputs.xt!);
  // Neuron-major, dy is [neurons, batch].
  const batch = inputs.dy!.shape[a.neuronMajor ? 1 : 0]!;
  const edges = inputs.source!.shape[0]!;
  const names = memberNames(a.members);
  const dw = gradientOutputs(ws, inputs, a);
  const dbs: { readonly pointer: number; finish(): TensorInfo }[] = [];
  for (let k = 0; k < a.members; k++) dbs.push(ws.output([inputs[names.b[k]!]!.shape[0]!]));
  const table = memberTable(ws, inputs, a, { dw: dw.outputs.map((o) => o.pointer), db: dbs.map((o) => o.pointer) });
  const weff = ws.input(inputs.weff!);
  const dweff = ws.unzeroedScratch(4 * edges);
  const db = ws.unzeroedScratch(4 * a.neurons);
  const dxt = backwardPass(ws, inputs, a, { r, layout, batch, weff, dweff, db });
  const dx = inputGradient(ws, inputs, a, dxt, batch, r, layout);
  ws.code.takeGradients(table, a.members, dweff, db, a.masked ? 1 : 0);
  scatterPicked(ws, inputs, a, table, dw);
  const outputs = [dx];
  for (const o of dw.outputs) outputs.push(o.finish());
  for (const o of dbs) outputs.push(o.finish());
  return outputs;
}

registerWasmKernel(FORWARD, (ws, inputs, attrs) => forwardKernel(ws, inputs, attributes(attrs)));
registerWasmKernel(BACKWARD, (ws, inputs, attrs) => backwardKernel(ws, inputs, attributes(attrs)));

type SaveFunction = (tensors: Tensor[]) => void;

/**
 * Runs the graph kernel: the activations of the neurons `exports` (int32
 * indices into the kernel's neurons), [batch, exports.length]. `mask` is 0/1
 * per connection, the members' connections one after another; the weights'
 * gradient is 0 where it is 0 (unless `maskWeightGradient` is false).
 */
export function graphKernel(x: Tensor2D, members: readonly GraphMember[], mask: Tensor1D, structure: GraphStructure, exports: Tensor1D, options: GraphKernelOptions): Tensor2D {
  const support = graphKernelSupport();
  if (!support.available) throw new Error(`graph kernel: cannot run on the '${tf.getBackend()}' backend: ${support.reason}`);
  if (members.length !== structure.members.length) throw new Error(`graph kernel: ${members.length} members given, the structure has ${structure.members.length}`);
  if (x.shape[1] !== structure.inputs) throw new Error(`graph kernel: input has ${x.shape[1]} columns, the structure reads ${structure.inputs}`);
  const count = members.length;
  const attrs: Attributes = {
    members: count,
    picked: members.map((m) => m.pick !== undefined),
    neurons: structure.neurons,
    activated: structure.activated,
    kind: ACTIVATION_KIND[options.activation],
    needInput: options.inputNeedsGradient !== false,
    masked: options.maskWeightGradient !== false,
    neuronMajor: options.neuronMajor === true,
  };
  if (attrs.neuronMajor && (x.shape[0] % 16 !== 0 || exports.size !== structure.neurons))
    throw new Error(
      `graph kernel: a neuron-major output needs a batch that is a multiple of 16 (got ${x.shape[0]}) and every neuron exported (${exports.size} of ${structure.neurons})`,
    );
  if (mask.size !== structure.slots.size) throw new Error(`graph kernel: the mask has ${mask.size} entries, the structure ${structure.slots.size} connections`);
  const names = memberNames(count);
  const statics: Record<string, Tensor> = { start: structure.start, source: structure.source, exports, mask, slots: structure.slots };
  members.forEach((m, k) => {
    const edges = structure.members[k]!.edges;
    // The kernel reads a member's connections from its weight (or its pick): a count that differs would shift every member after it.
    if (m.pick === undefined && m.weight.size !== edges) throw new Error(`graph kernel: member ${k}'s weight has ${m.weight.size} entries, the structure has ${edges} connections`);
    if (m.pick === undefined) return;
    if (m.pick.size !== edges) throw new Error(`graph kernel: member ${k} picks ${m.pick.size} entries, the structure has ${edges} connections`);
    statics[names.p[k]!] = m.pick;
  });
  // The kernel's inputs: `map`'s own, the statics, then every weight and every bias by name.
  const named = (map: Record<string, Tensor>, weights: readonly Tensor[], biases: readonly Tensor[]): Record<string, Tensor> => {
    for (const name in statics) map[name] = statics[name]!;
    for (let k = 0; k < count; k++) map[names.w[k]!] = weights[k]!;
    for (let k = 0; k < count; k++) map[names.b[k]!] = biases[k]!;
    return map;
  };
  const op = tf.customGrad((...args: (Tensor | SaveFunction)[]) => {
    const save = args.pop() as SaveFunction;
    const [input, ...parameters] = args as Tensor[];
    const weights = parameters.slice(0, count);
    const biases = parameters.slice(count);
    const outputs = tf.engine().runKernel(FORWARD, named({ x: input! }, weights, biases), attrs as unknown as NamedAttrMap) as Tensor[];
    const [h, out, xt, weff] = attrs.neuronMajor ? [outputs[0], outputs[0], outputs[1], outputs[2]] : outputs;
    // A weight that is a view made in the caller's tidy (a pruned kernel's live weights) is saved, gone by the backward pass; a variable is read as it is.
    const restore = saveForBackward(save, [xt!, h!, weff!, ...weights]);
    return {
      value: out!,
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
        const [xts, hs, weffs, ...ws] = restore(saved) as [Tensor, Tensor, Tensor, ...Tensor[]];
        const grads = tf.engine().runKernel(BACKWARD, named({ dy: dy as Tensor, h: hs, xt: xts, weff: weffs }, ws, biases), attrs as unknown as NamedAttrMap);
        return grads as Tensor[];
      },
    };
  });
  return op(x, ...members.map((m) => m.weight), ...members.map((m) => m.bias)) as Tensor2D;
}
