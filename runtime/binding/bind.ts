/**
 * Binds a network's stores to the backend at hand: each kernel runs dense (a
 * masked product over a view of its connections) or sparse (a member of a
 * graph kernel: the WebAssembly one on wasm and cpu, the WGSL shader on
 * webgpu, gathers of stock ops elsewhere), as the cost model decides for
 * that backend, and the execution plan says how the kernels' inputs are
 * laid out. Bindings own only views — mask tensors and index lists — never
 * a second copy of a weight.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { learnedMask } from "../kernels/learnable-mask.js";
import { denseView, type DenseView } from "../kernels/dense-view.js";
import { decodePlan, planOptions, plannedKernels } from "../plan/index.js";
import { planSteps } from "../plan/steps.js";
import { bindPlan, type ExecutionPlan, type GraphStep } from "./execution-plan.js";
import type { KernelStore } from "../storage/kernel-store.js";
import type { Execution, NetworkSpec } from "../spec.js";
import { releaseHeld, type GraphKernelSupport } from "../kernels/graph/memory.js";
import { chooseExecution, type KernelExecution } from "./cost-model.js";
import { sparseKernelSupport, type SparseKernelName } from "./sparse-kernels.js";
import { checkLimit, DEFAULT_RUNTIME_LIMITS, type RuntimeLimits } from "../limits.js";
import { liveCount } from "../storage/blocks.js";
import { liveEdges, liveWeight, type LiveEdges } from "./live-edges.js";
import { recordLiveEntries } from "./live-entries.js";

/** A kernel computed by a masked dense product. */
export interface DenseKernel {
  readonly kind: "dense";
  readonly store: KernelStore;
  /** Whether a source is a computed layer, so gradients must flow back through the kernel's input. */
  readonly readsHiddenLayers: boolean;
  /** The weight as the [used rows, cols] matrix the product multiplies; undefined without connections. */
  weight(): Tensor2D | undefined;
  /** The mask as that matrix: the static one, or (learnable masks) the learned one, which takes a gradient. */
  mask(): Tensor2D;
}

/** A kernel computed inside a graph kernel, from its weight per connection (a full kernel's [rows, cols] is that, row-major). */
export interface SparseKernel {
  readonly kind: "sparse";
  readonly store: KernelStore;
  weight(): Tensor;
  /** Where the kernel runs only its live connections on the graph kernel: which entries of `weight()` (the store's whole weight) those are, picked inside the kernel. */
  readonly pick?: Tensor1D;
}

export type BoundKernel = DenseKernel | SparseKernel;

/** What computes a step: a masked matrix product, or the backend's sparse kernel (see sparse-kernels.ts). */
export type StepKernel = "dense-product" | SparseKernelName;

/** One kernel of a forward pass and the layers it computes; `reason` says why a kernel runs dense that would run sparse. */
export interface ExecutionStep {
  readonly kind: "dense" | "graph";
  /** The kernel that runs it: `dense-product`, or for a graph step `graph-kernel` (wasm, cpu), `wgsl` (webgpu) or `gather-ops` (other backends). */
  readonly kernel: StepKernel;
  readonly layers: readonly string[];
  readonly reason?: string;
}

export interface Binding {
  readonly kernels: readonly BoundKernel[];
  readonly plan: ExecutionPlan;
  readonly steps: readonly ExecutionStep[];
  /** Whether the kernel plan is the compiler's (from the spec) or was made here, for other choices. */
  readonly planSource: "compiler" | "runtime";
  /** Each store's `version` when bound: a binding made for other masks is made again (see `isCurrent`). */
  readonly versions: readonly number[];
  /** Whether some sparse kernel runs only its live connections (so switched-off ones get no gradient at all). */
  readonly compacted: boolean;
  /** A graph kernel's mask: its members' masks one after another. */
  graphMask(step: GraphStep): Tensor1D;
  dispose(): void;
}

export interface BindOptions {
  /** Sparse kernels run only their live connections (default true); false keeps every structural one, for gradients at switched-off connections. */
  readonly compact?: boolean;
}

/**
 * Binds for the current TensorFlow.js backend (`graph`: whether the
 * WebAssembly graph kernel runs on it, from graphKernelSupport()). Each kernel
 * runs as the cost model decides for its live connections, so a pruned kernel
 * may run sparse (over its live connections only) where the unpruned one ran
 * dense, and back when connections come back.
 * @throws Error when `execution` is "sparse" and the backend cannot run sparse kernels.
 */
export function bind(
  spec: NetworkSpec,
  stores: readonly KernelStore[],
  execution: Execution,
  graph: GraphKernelSupport,
  limits: RuntimeLimits = DEFAULT_RUNTIME_LIMITS,
  options: BindOptions = {},
): Binding {
  const backend = tf.getBackend();
  const support = sparseKernelSupport(backend, graph);
  const placement = backend === "webgl" ? "gather" : "scatter";
  const live = stores.map((store) => (store.learnable === undefined ? liveCount(store) : store.layout.count));
  // A kernel with nothing live stays dense: its product is the bias alone, and a graph member needs connections.
  const choices = stores.map((store, k) => chooseExecution(spec, store.layout, execution, support, live[k]! > 0 ? live[k] : store.layout.count));
  const compacted = stores.map((store, k): LiveEdges | undefined =>
    options.compact !== false && choices[k]!.kind === "sparse" && live[k]! < store.layout.count ? liveEdges(store) : undefined,
  );
  const dense = stores.reduce((n, s, k) => (choices[k]!.kind === "dense" ? n + s.layout.usedRows.length * s.layout.cols : n), 0);
  checkLimit(
    `the matrices of its dense kernels (execution "${execution}")`,
    dense,
    "denseEntries",
    limits,
    execution === "sparse" ? "" : '; execution "sparse" runs large sparse kernels without them',
  );
  const views: DenseView[] = [];
  const masks = new MaskViews();
  const kernels = stores.map((store, k): BoundKernel => {
    const readsHiddenLayers = store.layout.blocks.some((b) => b.source !== 0);
    const few = compacted[k];
    // The graph kernel picks the live weights itself (no op before it); the other sparse kernels take them gathered.
    if (few !== undefined && support.kernel === "graph-kernel") return { kind: "sparse", store, weight: () => store.weight!, pick: few.pick };
    if (few !== undefined) return { kind: "sparse", store, weight: () => liveWeight(store, few) };
    if (choices[k]!.kind === "sparse") return { kind: "sparse", store, weight: () => store.weight! };
    const view = denseView(store.layout, placement);
    views.push(view);
    return { kind: "dense", store, readsHiddenLayers, weight: () => (store.weight === undefined ? undefined : view(store.weight)), mask: () => masks.dense(store, view) };
  });
  const forget = stores.flatMap((store, k) => (compacted[k] === undefined || store.weight === undefined ? [] : [recordLiveEntries(store.weight, compacted[k]!.pick)]));
  const disposeMade = (): void => {
    for (const view of views) view.dispose();
    // The graph kernel's held gradient buffer for a pick (kernels/graph/memory.ts) goes with it.
    for (const few of compacted) if (few !== undefined) (releaseHeld(few.pick.dataId), few.pick.dispose());
    for (const f of forget) f();
  };
  let plan: ExecutionPlan;
  let planSource: Binding["planSource"];
  try {
    ({ plan, planSource } = makePlan(spec, stores, choices, compacted, support.kernel));
  } catch (error) {
    disposeMade();
    throw error;
  }
  const steps = executionSteps(plan, stores, choices, support.kernel);
  const membersOf = new Map(plan.steps.flatMap((step) => (step.kind === "graph" ? [[step.index, step.members.map((k) => stores[k]!)] as const] : [])));
  const liveOf = new Map(stores.flatMap((store, k) => (compacted[k] === undefined ? [] : [[store, compacted[k]!.pick.size] as const])));
  const graphMask = (step: GraphStep): Tensor1D => masks.graph(step, membersOf.get(step.index)!, liveOf);
  // Masks are made now, so a model's tensors do not grow at its first forward pass.
  tf.tidy(() => {
    for (const kernel of kernels) if (kernel.kind === "dense" && kernel.store.weight !== undefined) kernel.mask();
    for (const step of plan.steps) if (step.kind === "graph") graphMask(step);
  });
  return {
    kernels,
    plan,
    steps,
    planSource,
    versions: stores.map((s) => s.version),
    compacted: compacted.some((c) => c !== undefined),
    graphMask,
    dispose: () => {
      plan.dispose();
      masks.dispose();
      disposeMade();
    },
  };
}

/** The kernel plan for these choices: the compiler's where it made the same ones for every structural connection, else made here by the same planner. */
function makePlan(
  spec: NetworkSpec,
  stores: readonly KernelStore[],
  choices: readonly KernelExecution[],
  compacted: readonly (LiveEdges | undefined)[],
  sparseKernel: SparseKernelName,
): { plan: ExecutionPlan; planSource: Binding["planSource"] } {
  const kinds = choices.map((c) => c.kind);
  const planned = plannedKernels(
    spec,
    stores.map((s) => s.layout),
    kinds,
  ).map((kernel, k) => {
    const few = compacted[k];
    return few === undefined ? kernel : { ...kernel, edges: { rows: few.rows, targets: few.targets } };
  });
  const options = planOptions(spec);
  const compilers = spec.plan !== undefined && spec.plan.kinds === kinds.map((k) => k[0]).join("") && compacted.every((c) => c === undefined);
  const steps = compilers ? decodePlan(spec.plan!, planned, options.layerSizes, options.layerNorm) : planSteps(planned, options);
  return { plan: bindPlan(steps, planned, options, sparseKernel), planSource: compilers ? "compiler" : "runtime" };
}

function executionSteps(plan: ExecutionPlan, stores: readonly KernelStore[], choices: readonly KernelExecution[], sparseKernel: SparseKernelName): ExecutionStep[] {
  return plan.steps.map((step) => {
    const members = step.kind === "graph" ? step.members : [step.kernel];
    const reason = members.map((k) => choices[k]!.reason).find((r) => r !== undefined);
    const kernel: StepKernel = step.kind === "graph" ? sparseKernel : "dense-product";
    return Object.freeze({ kind: step.kind, kernel, layers: Object.freeze(members.map((k) => stores[k]!.targetName)), ...(reason ? { reason } : {}) });
  });
}

/**
 * Mask tensors made from the stores' host masks, remade when a store's
 * `version` moves: per dense kernel its static mask in the weight's shape and
 * as the product's matrix; per graph kernel its members' masks joined. Made
 * again inside the first forward pass after a change, and kept past its `tf.tidy`.
 */
class MaskViews {
  private readonly denseMasks = new Map<KernelStore, { version: number; canonical: Tensor; matrix: Tensor2D }>();
  private readonly graphMasks = new Map<number, { versions: number[]; mask: Tensor1D }>();

  dense(store: KernelStore, view: DenseView): Tensor2D {
    let entry = this.denseMasks.get(store);
    if (entry === undefined || entry.version !== store.version) {
      if (entry !== undefined) tf.dispose([entry.canonical, entry.matrix]);
      const canonical = tf.keep(tf.tensor(Float32Array.from(store.live), [...store.layout.shape], "float32"));
      entry = { version: store.version, canonical, matrix: tf.keep(view(canonical)) };
      this.denseMasks.set(store, entry);
    }
    const learnable = store.learnable;
    if (learnable === undefined) return entry.matrix;
    return view(learnedMask(entry.canonical, learnable.logits, learnable.flagTensor, learnable.temperature));
  }

  /** `compacted`: members that run only their live connections, and how many (their mask is all ones). */
  graph(step: GraphStep, stores: readonly KernelStore[], compacted: ReadonlyMap<KernelStore, number>): Tensor1D {
    const entry = this.graphMasks.get(step.index);
    if (entry !== undefined && entry.versions.every((v, i) => v === stores[i]!.version)) return entry.mask;
    if (entry !== undefined) entry.mask.dispose();
    const sizes = stores.map((s) => compacted.get(s) ?? s.live.length);
    const values = new Float32Array(sizes.reduce((n, size) => n + size, 0));
    let offset = 0;
    stores.forEach((store, i) => {
      if (compacted.has(store)) values.fill(1, offset, offset + sizes[i]!);
      else values.set(store.live, offset);
      offset += sizes[i]!;
    });
    const mask = tf.keep(tf.tensor1d(values));
    this.graphMasks.set(step.index, { versions: stores.map((s) => s.version), mask });
    return mask;
  }

  dispose(): void {
    for (const entry of this.denseMasks.values()) tf.dispose([entry.canonical, entry.matrix]);
    for (const entry of this.graphMasks.values()) entry.mask.dispose();
    this.denseMasks.clear();
    this.graphMasks.clear();
  }
}

/** Whether `binding` was made for the stores' masks as they are now. */
export function isCurrent(binding: Binding, stores: readonly KernelStore[]): boolean {
  return stores.every((s, k) => s.version === binding.versions[k]);
}

/** The parts of TensorFlow.js's engine `keepMade` uses (not in its public types). */
interface EngineScopes {
  startScope(name?: string): void;
  endScope(result?: unknown): void;
  readonly state: { readonly activeScope: { readonly track: readonly Tensor[] } | null };
}

/**
 * Runs `make` so that every tensor it makes outlives any `tf.tidy` around
 * the call: a binding made again inside a forward pass (the first after
 * pruning, often inside the caller's tidy) must not lose its tensors when
 * that tidy ends.
 */
export function keepMade<T>(make: () => T): T {
  const engine = tf.engine() as unknown as EngineScopes;
  engine.startScope("deepstruct binding");
  try {
    const result = make();
    for (const tensor of engine.state.activeScope?.track ?? []) tf.keep(tensor);
    return result;
  } finally {
    engine.endScope();
  }
}
