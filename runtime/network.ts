/**
 * Builds a runnable {@link Model} from the plain-data {@link NetworkSpec}
 * that generated code hands over: check the spec, store the parameters in
 * their canonical layout, bind the kernels to the backend, wrap the Model.
 */
import { useBackend } from "./backend.js";
import { bind, type Binding, type BindOptions } from "./binding/bind.js";
import { applySparseStart } from "./growing/dynamic-sparse.js";
import { graphKernelSupport } from "./kernels/graph/graph-kernel.js";
import { decodeIntegers } from "./masks/codec.js";
import type { BlockInfo, LayerInfo, Model, NetworkOptions } from "./model.js";
import { NetworkModel } from "./model-object.js";
import { pruneAtCreation } from "./pruning/schedule.js";
import { validateSpec } from "./spec-check.js";
import { createStores, disposeStore } from "./storage/kernel-store.js";
import type { ChannelsFirst } from "./features/shapes.js";
import { createFeatureStores, disposeFeatureStores, type FeatureStore } from "./features/store.js";
import { createCellStores, disposeCellStores, type CellStores } from "./cells/store.js";
import { featureShapes } from "./features/shapes.js";
import { networkLayout } from "./storage/layout.js";
import { createRecurrentStore, disposeRecurrentStore, recurrentBlocks, type RecurrentStore } from "./recurrent/store.js";
import { createLearnedMasks, disposeLearnedMasks, type LearnedMasks } from "./masks/learned.js";
import { layerKind, type NetworkSpec } from "./spec.js";
import { checkLimit, runtimeLimits } from "./limits.js";

/**
 * Builds a network from its spec: selects the backend, decodes the masks and
 * initialises the weights from the seeded random source.
 *
 * @param spec - the plain-data description emitted by the compiler.
 * @param options - `seed` of the initial weights (default 0), `backend`
 *   (default `"auto"`: WASM, falling back to CPU) and `execution`.
 * @throws Error if the spec is inconsistent or the requested backend is unavailable.
 */
export async function createNetwork<I extends readonly number[] = readonly number[], O extends readonly number[] = readonly number[]>(
  spec: NetworkSpec,
  options: NetworkOptions = {},
): Promise<Model<I, O>> {
  validateSpec(spec);
  const seed = options.seed ?? 0;
  if (typeof seed !== "number" || !Number.isFinite(seed)) throw new Error(`createNetwork: seed must be a finite number, got ${String(seed)}`);
  const layers = layerInfos(spec);
  const executionMode = options.execution ?? spec.execution ?? "auto";
  const backend = await useBackend(options.backend ?? "auto");
  const limits = runtimeLimits(options.limits);
  withName(spec, () =>
    checkLimit(
      "the neurons of its layers",
      spec.layers.reduce((n, l) => n + l.size, 0),
      "neurons",
      limits,
    ),
  );
  const layouts = withName(spec, () => networkLayout(spec));
  withName(spec, () =>
    checkLimit(
      "its connections",
      layouts.reduce((n, l) => n + l.count, 0),
      "connections",
      limits,
    ),
  );
  const stores = createStores(spec, layouts, seed);
  let features: FeatureStore[] = [];
  let recurrent: RecurrentStore | undefined;
  let cells: CellStores | undefined;
  let learned: LearnedMasks = new Map();
  let model: NetworkModel<I, O>;
  try {
    features = withName(spec, () => createFeatureStores(spec.features ?? [], spec.inputShape as unknown as ChannelsFirst, spec.activation, seed));
    if (spec.cells !== undefined) cells = withName(spec, () => createStemCells(spec, features, seed));
    if (spec.recurrent !== undefined) recurrent = createRecurrentStore(spec.recurrent, spec.inputShape, seed);
    learned = withName(spec, () =>
      createLearnedMasks(
        spec.learnable,
        maskedWeights([...features, ...(cells?.all ?? [])], recurrent),
        spec.blocks.map((b) => b.name),
      ),
    );
    const rebind = (bindOptions?: BindOptions): Binding => withName(spec, () => bind(spec, stores, executionMode, graphKernelSupport(), limits, bindOptions));
    const binding = rebind();
    const parts = { spec, backend, executionMode, layers, blocks: blockInfos(spec), stores, binding, rebind, features, learned, ...(recurrent ? { recurrent } : {}) };
    model = new NetworkModel<I, O>({ ...parts, ...(cells ? { cells } : {}) });
  } catch (error) {
    for (const store of stores) disposeStore(store);
    disposeFeatureStores(features);
    disposeCellStores(cells);
    disposeRecurrentStore(recurrent);
    disposeLearnedMasks(learned);
    throw error;
  }
  if (spec.growth !== undefined) applySparseStart(model, spec.growth);
  pruneAtCreation(model, spec.pruning ?? []);
  return model;
}

/** Conv and recurrent weights by the names getMask takes, with their masks' shapes: what learnable masks may name outside dense blocks. */
function maskedWeights(features: readonly FeatureStore[], recurrent: RecurrentStore | undefined): { name: string; shape: readonly number[] }[] {
  const convs = features.flatMap((f) => (f.kind === "conv" ? [{ name: f.layer.name, shape: f.mask.shape }] : []));
  return [...convs, ...recurrentBlocks(recurrent).map((b) => ({ name: b.name, shape: b.mask.shape }))];
}

/** The cells over the stem's output (the feature layers in front) or over the input. */
function createStemCells(spec: NetworkSpec, stem: readonly FeatureStore[], seed: number): CellStores {
  if (spec.recurrent !== undefined) throw new Error("a network has either a cell network or a recurrent stack, not both");
  const shapes = featureShapes(spec.inputShape as unknown as ChannelsFirst, spec.features ?? []);
  if (!("shapes" in shapes)) throw new Error("the feature layers do not fit the input");
  return createCellStores(spec.cells!, shapes.shapes.at(-1)!, spec.activation, seed, stem.length);
}

/** Runs `make`, prefixing the network's name to the message of an Error it throws. */
function withName<T>(spec: NetworkSpec, make: () => T): T {
  try {
    return make();
  } catch (error) {
    throw new Error(`${spec.name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function layerInfos(spec: NetworkSpec): readonly LayerInfo[] {
  return Object.freeze(
    spec.layers.map((layer): LayerInfo => {
      const info = { name: layer.name, kind: layerKind(layer.origin), origin: layer.origin, size: layer.size };
      if (layer.vertices === undefined) return Object.freeze(info);
      const vertices = decodeIntegers(layer.vertices);
      if (vertices.length !== layer.size) {
        throw new Error(`${spec.name}: invalid network spec: layer '${layer.name}' has ${layer.size} neurons but ${vertices.length} vertices`);
      }
      return Object.freeze({ ...info, vertices: Object.freeze(vertices) });
    }),
  );
}

function blockInfos(spec: NetworkSpec): readonly BlockInfo[] {
  return Object.freeze(
    spec.blocks.map((block) =>
      Object.freeze({
        name: block.name,
        source: spec.layers[block.source]!.name,
        target: spec.layers[block.target]!.name,
        sourceSize: spec.layers[block.source]!.size,
        targetSize: spec.layers[block.target]!.size,
      }),
    ),
  );
}
