/**
 * A sparse layer on WebGPU as WGSL compute shaders, with its gradient: the
 * GPU counterpart of the graph kernel's inner product, `y = x · (W ⊙ M)`
 * computed over the live connections only.
 *
 * The connections are kept twice, as compressed rows: grouped by target
 * (`start`, `source`: each output sums its incoming connections) for the
 * forward pass and the weight gradient, and grouped by source (`sourceStart`,
 * `sourceTarget`, `sourceEdge`) for the input gradient, so no shader needs
 * atomics. Weights are one value per connection, in target order.
 *
 * Not yet bound by the cost model: `sparseDenseWebGPU` is the op; binding it
 * to the plan's sparse kernels on the webgpu backend is the next step.
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
  /** Per target, its connections `start[j] … start[j + 1] − 1` (target order). */
  readonly start: Tensor1D;
  readonly source: Tensor1D;
  readonly target: Tensor1D;
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
/** y[b, j] = Σ over j's connections e of x[b, source[e]] · w[e]. */
const forwardBody = `
  let cols = uniforms.outShape[1];
  let b = index / cols;
  let j = index - b * cols;
  let inputs = uniforms.xShape[1];
  var sum = 0.0;
  for (var e = start[j]; e < start[j + 1]; e++) { sum += x[b * inputs + edgeSource[e]] * w[e]; }
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

/** The structure of a row-major [inputs, outputs] 0/1 mask. */
export function sparseStructure(mask: ArrayLike<number>, inputs: number, outputs: number): SparseStructure {
  if (mask.length !== inputs * outputs) throw new Error(`sparse WebGPU kernel: the mask has ${mask.length} entries, expected ${inputs} × ${outputs}`);
  const start = new Int32Array(outputs + 1);
  const sourceStart = new Int32Array(inputs + 1);
  for (let i = 0; i < inputs; i++) for (let j = 0; j < outputs; j++) if (mask[i * outputs + j]) (start[j + 1]!++, sourceStart[i + 1]!++);
  for (let j = 0; j < outputs; j++) start[j + 1]! += start[j]!;
  for (let i = 0; i < inputs; i++) sourceStart[i + 1]! += sourceStart[i]!;
  const count = start[outputs]!;
  const [source, target, sourceTarget, sourceEdge] = [new Int32Array(count), new Int32Array(count), new Int32Array(count), new Int32Array(count)];
  const [nextInTarget, nextInSource] = [start.slice(0, outputs), sourceStart.slice(0, inputs)];
  for (let i = 0; i < inputs; i++) {
    for (let j = 0; j < outputs; j++) {
      if (!mask[i * outputs + j]) continue;
      const e = nextInTarget[j]!++;
      [source[e], target[e]] = [i, j];
      const k = nextInSource[i]!++;
      [sourceTarget[k], sourceEdge[k]] = [j, e];
    }
  }
  const ints = (values: Int32Array): Tensor1D => tf.tensor1d(values, "int32");
  return {
    inputs,
    outputs,
    connections: count,
    start: ints(start),
    source: ints(source),
    target: ints(target),
    sourceStart: ints(sourceStart),
    sourceTarget: ints(sourceTarget),
    sourceEdge: ints(sourceEdge),
  };
}

/** x [batch, inputs] · (the structure's connections with weights w, target order) → [batch, outputs], differentiable in x and w. */
export function sparseDenseWebGPU(x: Tensor2D, w: Tensor1D, structure: SparseStructure): Tensor2D {
  if (x.shape[1] !== structure.inputs) throw new Error(`sparse WebGPU kernel: x has ${x.shape[1]} columns, the structure ${structure.inputs} inputs`);
  if (w.size !== structure.connections) throw new Error(`sparse WebGPU kernel: ${w.size} weights for ${structure.connections} connections`);
  const s = structure;
  // The closure keeps x and w for the gradient (customGrad's arguments are (...inputs, save), typed loosely).
  const op = tf.customGrad((a, b) => {
    const [input, weights] = [a as tf.Tensor, b as tf.Tensor];
    const forward = program("forward", ["x", "w", "start", "edgeSource"], [input.shape[0]!, s.outputs], forwardBody);
    return {
      value: run(forward, [input, weights, s.start, s.source]),
      gradFunc: (dy: tf.Tensor) => {
        const [savedX, savedW] = [input, weights];
        const dx = program("input-gradient", ["dy", "w", "sourceStart", "sourceTarget", "sourceEdge"], [savedX.shape[0]!, s.inputs], inputGradientBody);
        const dw = program("weight-gradient", ["dy", "x", "edgeTarget", "edgeSource"], [s.connections], weightGradientBody);
        return [run(dx, [dy, savedW, s.sourceStart, s.sourceTarget, s.sourceEdge]), run(dw, [dy, savedX, s.target, s.source])];
      },
    };
  });
  return op(x, w) as Tensor2D;
}

export function disposeSparseStructure(structure: SparseStructure): void {
  tf.dispose([structure.start, structure.source, structure.target, structure.sourceStart, structure.sourceTarget, structure.sourceEdge]);
}
