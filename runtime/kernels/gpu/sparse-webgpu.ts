/**
 * A sparse layer on WebGPU as WGSL compute shaders, with its gradient: the
 * GPU counterpart of the graph kernel's inner product, `y = x · (W ⊙ M)`
 * computed over the live connections only.
 *
 * Weights are one value per connection, in the order the connections were
 * given (a kernel's own order, so its weight vector is used as stored). The
 * connections are indexed twice, as compressed rows: grouped by target
 * (`start`, `targetSource`, `targetEdge`: each output sums its incoming
 * connections) for the forward pass, and grouped by source (`sourceStart`,
 * `sourceTarget`, `sourceEdge`) for the input gradient; the weight gradient
 * walks the connections in their own order (`source`, `target`). So no
 * shader needs atomics, and each writes every output once.
 *
 * layered-graph.ts runs the plan's graph kernels with it on webgpu.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor1D, Tensor2D, TensorInfo } from "@tensorflow/tfjs-core";

/** The parts of tfjs-backend-webgpu's program interface these shaders use (said here: the runtime's declarations never load the WebGPU package's). */
interface Program {
  readonly variableNames: string[];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  readonly size: boolean;
  getUserCode(): string;
}
interface WebGPUBackendLike {
  runWebGPUProgram(program: Program, inputs: readonly TensorInfo[], outputDtype: "float32"): TensorInfo;
}

/** A mask's live connections, in the two groupings the shaders read. */
export interface SparseStructure {
  readonly inputs: number;
  readonly outputs: number;
  readonly connections: number;
  /** Per connection in the given order: its source and target. */
  readonly source: Tensor1D;
  readonly target: Tensor1D;
  /** Per target, its connections `start[j] … start[j + 1] − 1` of the target-grouped lists: their sources and their index in the given order. */
  readonly start: Tensor1D;
  readonly targetSource: Tensor1D;
  readonly targetEdge: Tensor1D;
  /** Per source, its connections `sourceStart[i] … sourceStart[i + 1] − 1`: their targets and their index in target order. */
  readonly sourceStart: Tensor1D;
  readonly sourceTarget: Tensor1D;
  readonly sourceEdge: Tensor1D;
}

const WORKGROUP: [number, number, number] = [64, 1, 1];

function program(name: string, variableNames: string[], outputShape: number[], body: string): Program {
  const size = outputShape.reduce((a, b) => a * b, 1);
  return {
    variableNames,
    outputShape,
    shaderKey: `deepstruct-sparse-${name}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WORKGROUP[0]), 1, 1],
    workgroupSize: WORKGROUP,
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

// WGSL reserves \`target\`: the shaders name the connection arrays edgeSource and edgeTarget.
/** y[b, j] = Σ over j's connections q of x[b, targetSource[q]] · w[targetEdge[q]]. */
const forwardBody = `
  let cols = uniforms.outShape[1];
  let b = index / cols;
  let j = index - b * cols;
  let inputs = uniforms.xShape[1];
  var sum = 0.0;
  for (var q = start[j]; q < start[j + 1]; q++) { sum += x[b * inputs + targetSource[q]] * w[targetEdge[q]]; }
  setOutputAtIndex(index, sum);`;

/** dx[b, i] = Σ over i's connections e of dy[b, target[e]] · w[e]. */
const inputGradientBody = `
  let cols = uniforms.outShape[1];
  let b = index / cols;
  let i = index - b * cols;
  let outputs = uniforms.dyShape[1];
  var sum = 0.0;
  for (var k = sourceStart[i]; k < sourceStart[i + 1]; k++) { sum += dy[b * outputs + sourceTarget[k]] * w[sourceEdge[k]]; }
  setOutputAtIndex(index, sum);`;

/** dw[e] = Σ over the batch of dy[b, target[e]] · x[b, source[e]]. */
const weightGradientBody = `
  let batch = uniforms.xShape[0];
  let inputs = uniforms.xShape[1];
  let outputs = uniforms.dyShape[1];
  var sum = 0.0;
  for (var b = 0; b < batch; b++) { sum += dy[b * outputs + edgeTarget[index]] * x[b * inputs + edgeSource[index]]; }
  setOutputAtIndex(index, sum);`;

function run(spec: Program, inputs: readonly TensorInfo[]): tf.Tensor {
  const backend = tf.backend() as unknown as Partial<WebGPUBackendLike>;
  if (typeof backend.runWebGPUProgram !== "function") throw new Error(`sparse WebGPU kernel: the current backend is '${tf.getBackend()}', not 'webgpu'`);
  return tf.engine().makeTensorFromTensorInfo(backend.runWebGPUProgram(spec, inputs, "float32"));
}

/** Prefix sums of per-group counts: group g's entries are `starts[g] … starts[g + 1] − 1`. */
function groupStarts(groups: number, keys: Int32Array): Int32Array {
  const starts = new Int32Array(groups + 1);
  for (const key of keys) starts[key + 1]!++;
  for (let g = 0; g < groups; g++) starts[g + 1]! += starts[g]!;
  return starts;
}

/** The structure of connections `sources[e] → targets[e]`, in that order (the weights' order). */
export function sparseStructureOfEdges(inputs: number, outputs: number, sources: Int32Array, targets: Int32Array): SparseStructure {
  if (sources.length !== targets.length) throw new Error(`sparse WebGPU kernel: ${sources.length} sources for ${targets.length} targets`);
  const count = sources.length;
  for (let e = 0; e < count; e++) {
    if (!(sources[e]! >= 0 && sources[e]! < inputs && targets[e]! >= 0 && targets[e]! < outputs)) {
      throw new Error(`sparse WebGPU kernel: connection ${e} (${sources[e]} → ${targets[e]}) is outside ${inputs} inputs × ${outputs} outputs`);
    }
  }
  const start = groupStarts(outputs, targets);
  const sourceStart = groupStarts(inputs, sources);
  const [targetSource, targetEdge, sourceTarget, sourceEdge] = [new Int32Array(count), new Int32Array(count), new Int32Array(count), new Int32Array(count)];
  const [nextInTarget, nextInSource] = [start.slice(0, outputs), sourceStart.slice(0, inputs)];
  for (let e = 0; e < count; e++) {
    const q = nextInTarget[targets[e]!]!++;
    [targetSource[q], targetEdge[q]] = [sources[e]!, e];
    const k = nextInSource[sources[e]!]!++;
    [sourceTarget[k], sourceEdge[k]] = [targets[e]!, e];
  }
  const ints = (values: Int32Array): Tensor1D => tf.tensor1d(values, "int32");
  return {
    inputs,
    outputs,
    connections: count,
    source: ints(sources),
    target: ints(targets),
    start: ints(start),
    targetSource: ints(targetSource),
    targetEdge: ints(targetEdge),
    sourceStart: ints(sourceStart),
    sourceTarget: ints(sourceTarget),
    sourceEdge: ints(sourceEdge),
  };
}

/** The structure of a row-major [inputs, outputs] 0/1 mask, its connections in target order (outputs major, then sources). */
export function sparseStructure(mask: ArrayLike<number>, inputs: number, outputs: number): SparseStructure {
  if (mask.length !== inputs * outputs) throw new Error(`sparse WebGPU kernel: the mask has ${mask.length} entries, expected ${inputs} × ${outputs}`);
  const sources: number[] = [];
  const targets: number[] = [];
  for (let j = 0; j < outputs; j++) for (let i = 0; i < inputs; i++) if (mask[i * outputs + j]) (sources.push(i), targets.push(j));
  return sparseStructureOfEdges(inputs, outputs, Int32Array.from(sources), Int32Array.from(targets));
}

/** x [batch, inputs] · (the structure's connections with weights w, target order) → [batch, outputs], differentiable in x and w. */
export function sparseDenseWebGPU(x: Tensor2D, w: Tensor1D, structure: SparseStructure): Tensor2D {
  if (x.shape[1] !== structure.inputs) throw new Error(`sparse WebGPU kernel: x has ${x.shape[1]} columns, the structure ${structure.inputs} inputs`);
  if (w.size !== structure.connections) throw new Error(`sparse WebGPU kernel: ${w.size} weights for ${structure.connections} connections`);
  const s = structure;
  // Saved, not closed over: the inputs may be intermediates of a tidy that ends before the gradient runs.
  const op = tf.customGrad((a, b, save) => {
    const [input, weights] = [a as tf.Tensor, b as tf.Tensor];
    (save as (tensors: tf.Tensor[]) => void)([input, weights]);
    const forward = program("forward", ["x", "w", "start", "targetSource", "targetEdge"], [input.shape[0]!, s.outputs], forwardBody);
    return {
      value: run(forward, [input, weights, s.start, s.targetSource, s.targetEdge]),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [savedX, savedW] = saved as [tf.Tensor, tf.Tensor];
        const g = dy as tf.Tensor;
        const dx = program("input-gradient", ["dy", "w", "sourceStart", "sourceTarget", "sourceEdge"], [savedX.shape[0]!, s.inputs], inputGradientBody);
        const dw = program("weight-gradient", ["dy", "x", "edgeTarget", "edgeSource"], [s.connections], weightGradientBody);
        return [run(dx, [g, savedW, s.sourceStart, s.sourceTarget, s.sourceEdge]), run(dw, [g, savedX, s.target, s.source])];
      },
    };
  });
  return op(x, w) as Tensor2D;
}

export function disposeSparseStructure(structure: SparseStructure): void {
  const s = structure;
  tf.dispose([s.source, s.target, s.start, s.targetSource, s.targetEdge, s.sourceStart, s.sourceTarget, s.sourceEdge]);
}
