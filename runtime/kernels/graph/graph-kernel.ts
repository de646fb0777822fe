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
import { graphKernelSupport, registerWasmKernel, releaseHeld, type Workspace } from "./memory.js";
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

/**
 * The member table (see graph.wat): each member's weight, mask, slots,
 * connection count, bias and neuron count, and, when given, where its
 * weight and bias gradients go.
 */
function memberTable(ws: Workspace, inputs: NamedTensorInfoMap, a: Attributes, gradients?: { readonly dw: readonly number[]; readonly db: readonly number[] }): number {
  // Addresses first: on the CPU backend taking an input copies it and may grow the memory.
  const words = new Int32Array(TABLE_WORDS * a.members);
  const mask = ws.input(inputs.mask!);
  const slots = ws.input(inputs.slots!);
  const picks: { weight: number; pick: number; live: number; count: number }[] = [];
  let offset = 0;
  for (let k = 0; k < a.members; k++) {
    const weight = inputs[`w${k}`]!;
    const bias = inputs[`b${k}`]!;
    const pick = a.picked[k] ? inputs[`p${k}`]! : undefined;
    const edges = pick?.shape[0] ?? weight.shape.reduce((a, b) => a * b, 1);
    // A picked member reads (and its gradient is written to) a scratch of its live entries.
    const live = pick === undefined ? ws.input(weight) : ws.scratch(4 * edges);
    if (pick !== undefined) picks.push({ weight: ws.input(weight), pick: ws.input(pick), live, count: edges });
    const dw = gradients === undefined || pick === undefined ? (gradients?.dw[k] ?? 0) : ws.scratch(4 * edges);
    words.set([live, mask + 4 * offset, slots + 4 * offset, edges, ws.input(bias), bias.shape[0]!, dw, gradients?.db[k] ?? 0], TABLE_WORDS * k);
    offset += edges;
  }
  // live[j] = weight[pick[j]]: graph.wat's column gather of a one-row matrix (a JavaScript loop took ~2 ns an entry).
  for (const { weight, pick, live, count } of picks) ws.code.gatherColumns(weight, 1, 0, pick, count, live);
  const table = ws.scratch(4 * words.length);
  ws.i32().set(words, table / 4);
  return table;
}

/** A weight gradient's output; `zeroOffPick`: a held buffer (see gradientOutputs), zero wherever its member's pick does not write. */
interface GradientOutput {
  readonly pointer: number;
  readonly zeroOffPick: boolean;
  finish(): TensorInfo;
}

/**
 * The weight gradients' outputs, each in its weight's shape (a full member's [rows, cols] is its connections row-major). A picked
 * member's is, on WASM, a buffer held for its pick (Workspace.held): its gradient is zero off the pick in every call, so only the
 * live entries are written, not the whole zeroed and scattered (235,200 entries for 1,181 live ones in a pruned LeNet's first layer).
 */
function gradientOutputs(ws: Workspace, inputs: NamedTensorInfoMap, a: Attributes): GradientOutput[] {
  return Array.from({ length: a.members }, (_, k) => {
    const shape = inputs[`w${k}`]!.shape;
    const held = a.picked[k] ? ws.held?.(inputs[`p${k}`]!.dataId, shape, true) : undefined;
    return held === undefined ? { ...ws.output([...shape]), zeroOffPick: false } : { pointer: held.pointer, finish: held.finish, zeroOffPick: true };
  });
}

/** A picked member's gradient, from the scratch takeGradients wrote, scattered into its full-shape output (zero elsewhere). */
function scatterPicked(ws: Workspace, inputs: NamedTensorInfoMap, a: Attributes, table: number, dw: readonly GradientOutput[]): void {
  for (let k = 0; k < a.members; k++) {
    if (!a.picked[k]) continue;
    const size = inputs[`w${k}`]!.shape.reduce((x, y) => x * y, 1);
    // The address before the views: on the CPU backend taking an input may grow the memory.
    const pick = ws.input(inputs[`p${k}`]!) / 4;
    const [f32, i32] = [ws.f32(), ws.i32()];
    const [from, count] = [i32[table / 4 + TABLE_WORDS * k + 6]! / 4, i32[table / 4 + TABLE_WORDS * k + 3]!];
    const at = dw[k]!.pointer / 4;
    if (!dw[k]!.zeroOffPick) f32.fill(0, at, at + size);
    for (let j = 0; j < count; j++) f32[at + i32[pick + j]!] = f32[from + j]!;
  }
}

function forwardKernel(ws: Workspace, inputs: NamedTensorInfoMap, a: Attributes): TensorInfo[] {
  const x = inputs.x!;
  const [batch, r] = x.shape as [number, number];
  const bp = paddedBatch(batch);
  // x [batch, r] as the zero-padded [r, bp] the kernel reads: an output, so the backward pass reads it again instead of transposing x a second time.
  const xtOut = ws.output([r, bp]);
  const xt = xtOut.pointer;
  ws.code.transposeIn(ws.input(x), batch, r, xt, bp);
  const edges = inputs.source!.shape[0]!;
  const weff = ws.scratch(4 * edges);
  const bias = ws.scratch(4 * a.neurons);
  ws.code.placeParameters(memberTable(ws, inputs, a), a.members, weff, bias);
  const addresses = ws.scratch(4 * edges);
  const h = ws.output([a.neurons, bp]);
  ws.code.forward(xt, r, h.pointer, a.neurons, bp, weff, bias, ws.input(inputs.start!), ws.input(inputs.source!), a.activated, a.kind, addresses);
  if (a.neuronMajor) return [h.finish(), xtOut.finish()];
  const count = inputs.exports!.shape[0]!;
  const out = ws.output([batch, count]);
  ws.code.pickRows(h.pointer, bp, ws.input(inputs.exports!), count, out.pointer, batch, 0);
  return [h.finish(), out.finish(), xtOut.finish()];
}

function backwardKernel(ws: Workspace, inputs: NamedTensorInfoMap, a: Attributes): TensorInfo[] {
  const [r, bp] = inputs.xt!.shape as [number, number];
  // Neuron-major, dy is [neurons, batch].
  const batch = inputs.dy!.shape[a.neuronMajor ? 1 : 0]!;
  const edges = inputs.source!.shape[0]!;
  const dw = gradientOutputs(ws, inputs, a);
  const dbs = Array.from({ length: a.members }, (_, k) => ws.output([inputs[`b${k}`]!.shape[0]!]));
  const table = memberTable(ws, inputs, a, { dw: dw.map((o) => o.pointer), db: dbs.map((o) => o.pointer) });
  const weff = ws.scratch(4 * edges);
  const bias = ws.scratch(4 * a.neurons);
  ws.code.placeParameters(table, a.members, weff, bias);
  const g = ws.scratch(4 * a.neurons * bp);
  // Neuron-major, the incoming gradient is g as it is (the kernel then writes over its copy).
  // The address before the view: on the CPU backend taking an input may grow the memory.
  const dy = ws.input(inputs.dy!) / 4;
  if (a.neuronMajor) ws.f32().copyWithin(g / 4, dy, dy + a.neurons * bp);
  else ws.code.pickRows(g, bp, ws.input(inputs.exports!), inputs.exports!.shape[0]!, dy * 4, batch, 1);
  const xt = ws.input(inputs.xt!);
  const dxt = a.needInput ? ws.scratch(4 * r * bp) : 0;
  const dweff = ws.scratch(4 * edges);
  const db = ws.scratch(4 * a.neurons);
  ws.code.backward(g, ws.input(inputs.h!), xt, r, a.neurons, bp, weff, ws.input(inputs.start!), ws.input(inputs.source!), a.activated, a.kind, dxt, dweff, db, a.needInput ? 1 : 0);

  // Without an input gradient wanted, a held buffer of zeros (never written) stands for it, not 256 × 784 zeros written a step.
  const zeros = a.needInput ? undefined : ws.held?.(inputs.start!.dataId, [batch, r], false);
  const dx = zeros ?? ws.output([batch, r]);
  if (a.needInput) {
    const identity = ws.scratch(4 * r);
    ws.i32().set(
      Int32Array.from({ length: r }, (_, i) => i),
      identity / 4,
    );
    ws.code.pickRows(dxt, bp, identity, r, dx.pointer, batch, 0);
  } else if (zeros === undefined) {
    ws.f32().fill(0, dx.pointer / 4, dx.pointer / 4 + batch * r);
  }
  ws.code.takeGradients(table, a.members, dweff, db, a.masked ? 1 : 0);
  scatterPicked(ws, inputs, a, table, dw);
  return [dx.finish(), ...dw.map((o) => o.finish()), ...dbs.map((o) => o.finish())];
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
  const statics: Record<string, Tensor> = { start: structure.start, source: structure.source, exports, mask, slots: structure.slots };
  members.forEach((m, k) => {
    if (m.pick === undefined) return;
    if (m.pick.size !== structure.members[k]!.edges)
      throw new Error(`graph kernel: member ${k} picks ${m.pick.size} entries, the structure has ${structure.members[k]!.edges} connections`);
    statics[`p${k}`] = m.pick;
  });
  const named = (weights: readonly Tensor[], biases: readonly Tensor[]): Record<string, Tensor> => {
    const map: Record<string, Tensor> = { ...statics };
    weights.forEach((w, k) => (map[`w${k}`] = w));
    biases.forEach((b, k) => (map[`b${k}`] = b));
    return map;
  };
  const op = tf.customGrad((...args: (Tensor | SaveFunction)[]) => {
    const save = args.pop() as SaveFunction;
    const [input, ...parameters] = args as Tensor[];
    const weights = parameters.slice(0, count);
    const biases = parameters.slice(count);
    const outputs = tf.engine().runKernel(FORWARD, { x: input!, ...named(weights, biases) }, attrs as unknown as NamedAttrMap) as Tensor[];
    const [h, out, xt] = attrs.neuronMajor ? [outputs[0], outputs[0], outputs[1]] : outputs;
    // A weight that is a view made in the caller's tidy (a pruned kernel's live weights) is saved, gone by the backward pass; a variable is read as it is.
    const restore = saveForBackward(save, [xt!, h!, ...weights]);
    return {
      value: out!,
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
        const [xts, hs, ...ws] = restore(saved) as [Tensor, Tensor, ...Tensor[]];
        const grads = tf.engine().runKernel(BACKWARD, { dy: dy as Tensor, h: hs, xt: xts, ...named(ws, biases) }, attrs as unknown as NamedAttrMap);
        return grads as Tensor[];
      },
    };
  });
  return op(x, ...members.map((m) => m.weight), ...members.map((m) => m.bias)) as Tensor2D;
}
