/**
 * Training states: the optimizer's part taken and put back, and a state
 * checked against the run that resumes it.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Optimizer, Variable } from "@tensorflow/tfjs-core";
import type { OptimizerState, SavedArray, TrainingState } from "./options.js";
import { currentLearningRate, setLearningRate } from "./schedules.js";

/** tfjs's NamedTensor (not exported from its index). */
type NamedTensor = Parameters<Optimizer["setWeights"]>[0][number];

/** Adam's running powers β₁ᵗ, β₂ᵗ: private in tfjs's types, fields at run time. */
interface AdamAccumulators {
  accBeta1?: unknown;
  accBeta2?: unknown;
}

function accumulators(optimizer: Optimizer): { beta1: Variable; beta2: Variable } | undefined {
  const { accBeta1, accBeta2 } = optimizer as unknown as AdamAccumulators;
  return accBeta1 instanceof tf.Variable && accBeta2 instanceof tf.Variable ? { beta1: accBeta1, beta2: accBeta2 } : undefined;
}

/**
 * The optimizer's state, slots named after the model's parameters (tfjs
 * names them after variables, whose names differ from process to process).
 * @throws Error for an optimizer that cannot hand out its state.
 */
export async function saveOptimizer(where: string, optimizer: Optimizer, names: readonly string[]): Promise<OptimizerState> {
  let weights: NamedTensor[];
  try {
    weights = await optimizer.getWeights();
  } catch (error) {
    throw new Error(`${where}: the optimizer ${optimizer.getClassName()} cannot hand out its state for a checkpoint (${(error as Error).message})`, { cause: error });
  }
  const [iteration, ...slots] = weights;
  // getWeights makes the iteration count a new tensor; the slots are the optimizer's own variables.
  const iterations = iteration === undefined ? 0 : iteration.tensor.dataSync()[0]!;
  iteration?.tensor.dispose();
  const saved: SavedArray[] = slots.map((slot, k) => ({
    name: `${names[k % names.length]}/${slot.name.slice(slot.name.lastIndexOf("/") + 1)}`,
    shape: [...slot.tensor.shape],
    values: Float32Array.from(slot.tensor.dataSync() as Float32Array),
  }));
  const acc = accumulators(optimizer);
  return {
    className: optimizer.getClassName(),
    iterations,
    learningRate: currentLearningRate(optimizer) ?? Number.NaN,
    slots: saved,
    ...(acc ? { accumulators: { beta1Power: acc.beta1.dataSync()[0]!, beta2Power: acc.beta2.dataSync()[0]! } } : {}),
  };
}

/**
 * Puts a saved state into `optimizer` (its own slots, if any, are freed).
 * Adam's powers of β are assigned as saved: tfjs's setWeights recomputes
 * them with `pow`, whose float32 result need not equal the running product.
 * @throws Error for another kind of optimizer or slots that do not fit the variables.
 */
export async function restoreOptimizer(where: string, optimizer: Optimizer, state: OptimizerState, variables: readonly Variable[]): Promise<void> {
  const what = `${where}: resume: the optimizer state`;
  if (state === null || typeof state !== "object" || !Array.isArray(state.slots)) throw new Error(`${what} must be { className, iterations, learningRate, slots }`);
  if (state.className !== optimizer.getClassName()) throw new Error(`${what} is ${String(state.className)}'s, but this run's optimizer is ${optimizer.getClassName()}`);
  if (!(Number.isInteger(state.iterations) && state.iterations >= 0)) throw new Error(`${what}: iterations must be a non-negative integer, got ${String(state.iterations)}`);
  const n = variables.length;
  state.slots.forEach((slot, k) => {
    const shape = variables[k % n]!.shape;
    const fits = slot.values instanceof Float32Array && Array.isArray(slot.shape) && slot.shape.join() === shape.join() && slot.values.length === variables[k % n]!.size;
    if (!fits) throw new Error(`${what}: slot ${k} ('${String(slot.name)}') does not have the shape [${shape.join(", ")}] of parameter ${k % n}`);
  });
  if (state.slots.length % n !== 0) throw new Error(`${what} holds ${state.slots.length} slots, not a multiple of the model's ${n} parameters`);
  tf.dispose((await optimizer.getWeights()).map((w) => w.tensor));
  const given: NamedTensor[] = [
    { name: "iter", tensor: tf.scalar(state.iterations, "int32") },
    ...state.slots.map((slot) => ({ name: slot.name, tensor: tf.tensor(slot.values, [...slot.shape], "float32") })),
  ];
  try {
    await optimizer.setWeights(given);
  } finally {
    // setWeights makes variables that share these tensors' data; ours can go.
    tf.dispose(given.map((g) => g.tensor));
  }
  const acc = accumulators(optimizer);
  if (acc && state.accumulators) {
    tf.tidy(() => {
      acc.beta1.assign(tf.scalar(state.accumulators!.beta1Power));
      acc.beta2.assign(tf.scalar(state.accumulators!.beta2Power));
    });
  }
  if (Number.isFinite(state.learningRate) && state.learningRate > 0) setLearningRate(optimizer, state.learningRate);
}

/** What the resuming run must share with the one that was saved. */
export type RunSettings = TrainingState["run"];

/** @throws Error saying what in the state does not fit this run. */
export function checkResume(where: string, modelName: string, state: TrainingState, run: RunSettings): void {
  const what = `${where}: resume`;
  if (state === null || typeof state !== "object" || state.format !== "deepstruct-training-state")
    throw new Error(`${what} expects a TrainingState (from a checkpoint or loadTrainingState)`);
  if (state.version !== 1) throw new Error(`${what}: training state version ${String(state.version)} is not one this runtime reads (1)`);
  if (state.model !== modelName) throw new Error(`${what}: the state is of model '${String(state.model)}', not '${modelName}'`);
  const done = state.epochsCompleted;
  if (!(Number.isInteger(done) && done >= 0 && done <= run.epochs)) throw new Error(`${what}: the state has ${String(done)} epochs completed; this run has epochs ${run.epochs}`);
  if (!Array.isArray(state.history) || state.history.length !== done)
    throw new Error(`${what}: the state's history has ${Array.isArray(state.history) ? state.history.length : "no"} epochs, not ${done}`);
  if (!(Number.isInteger(state.step) && state.step >= 0)) throw new Error(`${what}: the state's step must be a non-negative integer, got ${String(state.step)}`);
  for (const key of ["samples", "batchSize", "seed", "shuffle", "loss"] as const) {
    if (state.run?.[key] !== run[key])
      throw new Error(
        `${what}: the run was saved with ${key} ${JSON.stringify(state.run?.[key])}; this one has ${JSON.stringify(run[key])}, so it would not continue the same run`,
      );
  }
}
