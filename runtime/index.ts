// tfjs-core's declarations name the global `Long` of @types/long without referencing it; TypeScript 6+ (and pnpm's
// strict layout) no longer bring it in by themselves, so the runtime's declarations do.
/// <reference types="long" preserve="true" />
/**
 * The runtime of `dsc`: generated modules import everything they need from
 * `@deepstruct/runtime`.
 */
export { createNetwork } from "./network.js";
export { autoOrder, useBackend, setWasmPaths, type WasmBinaryName, type WasmPaths } from "./backend.js";
// Whether the native dense products run (the addon built at install, or why not): an app can say which it got.
export { nativeStatus, type NativeBlas, type NativeStatus } from "./kernels/native/index.js";
export type {
  BackendChoice,
  BackendName,
  BatchRank,
  BlockInfo,
  ExecutionStep,
  FeatureInfo,
  NetworkOptions,
  LayerInfo,
  Model,
  Parameter,
  PredictOptions,
  RecurrentInfo,
} from "./model.js";
export { layerKind } from "./spec.js";
export type { ActivationName, Execution, BlockSpec, KernelSpec, LayerKind, LayerOrigin, LayerSpec, NetworkSpec, RecurrentKind, RecurrentSpec } from "./spec.js";
export { fit, evaluate, predictBatches } from "./training/fit.js";
export type {
  BatchLogs,
  EarlyStoppingMonitor,
  EarlyStoppingOptions,
  EarlyStoppingState,
  EpochLogs,
  Evaluation,
  FitOptions,
  History,
  LearningRateSchedule,
  ModelSnapshot,
  OptimizerState,
  SavedArray,
  TrainingCallbacks,
  TrainingControl,
  TrainingData,
  TrainingState,
  Warmup,
} from "./training/options.js";
export { createOptimizer, DEFAULT_LEARNING_RATE } from "./training/optimizers.js";
export type { OptimizerConfig, OptimizerName } from "./training/optimizers.js";
export { LOSSES } from "./training/losses.js";
export type { LossName } from "./training/losses.js";
export { applyMask, liveNeurons, prune, pruneBlock, pruneNeurons, recomputeMask } from "./pruning/prune.js";
export { pruneChannels, pruneConvUnits, type ConvUnit, type ConvUnitOptions } from "./pruning/conv-units.js";
export { PRUNE_UNITS, UNIT_FITS, type PruneUnit } from "./pruning/units.js";
export { prunableWeights, type PrunableWeight } from "./pruning/weights.js";
export type { PruneAmount, PruneOptions, PruneResult } from "./pruning/prune.js";
export { growNeurons } from "./growing/neurons.js";
export { growInto } from "./growing/transfer.js";
export type { TransferOptions } from "./growing/transfer.js";
export type { GrowNeuronsOptions } from "./growing/neurons.js";
export { applySparseStart, dynamicSparseHooks } from "./growing/dynamic-sparse.js";
export type { DynamicSparsity, GrowthEvent, GrowthHooks, GrowthHooksState } from "./growing/dynamic-sparse.js";
export { pruningHooks } from "./pruning/schedule.js";
export type { PruningEvent, PruningHooks, PruningHooksState, PruningSchedule, ScheduleSaliency } from "./pruning/schedule.js";
export { computeSaliency, SALIENCIES } from "./pruning/saliency.js";
export type { Saliencies, SaliencyName, SaliencyOptions } from "./pruning/saliency.js";
export { extractConnections, extractGraph } from "./extract.js";
export { extractLayersGraph } from "./extract-layers.js";
export { modelSummary } from "./summary.js";
export type { ModelSummary, SummaryParameters, SummaryRecurrent, SummaryRow, SummaryTotals } from "./summary.js";
export type { LayersExtraction, LayersLayer, LayersModelLike } from "./extract-layers.js";
export type { ConnectionList, ExtractedEdge, ExtractedGraph, ExtractedVertex, ExtractionOrder, ExtractOptions } from "./extract.js";
export { exportWeights, fileSpec, importWeights, WEIGHTS_FILE_NAME } from "./weights.js";
export type { WeightsFile } from "./weights.js";
export { maskedDense } from "./kernels/masked-dense.js";
export { graphKernel, graphKernelSupport, graphStructure, type GraphKernelSupport, type GraphMember, type GraphStructure } from "./kernels/graph/graph-kernel.js";
export { chooseExecution, kernelShape, sparseIsCheaper, type KernelExecution, type KernelShape } from "./binding/cost-model.js";
export { kernelLayout, networkLayout, plannedParameters, type BlockSlice, type KernelLayout } from "./storage/layout.js";
export { layerNorm, LAYER_NORM_EPSILON } from "./layer-norm.js";
export { activate, ACTIVATIONS } from "./activations.js";
export { entryDraw, initialEdgeWeights, initialWeights, initLimit, fanIns } from "./init.js";
export { createRandom, restoreRandom } from "./random.js";
export type { Random, RandomState } from "./random.js";
export { decodeMask, decodeIntegers, encodeMask, encodeIntegers, liveIndices, MaskEncodingError } from "./masks/codec.js";
/** The TensorFlow.js instance the runtime computes with (use it to build input tensors). */
export * as tf from "@tensorflow/tfjs-core";
export type { Rank, Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, TensorLike, Variable } from "@tensorflow/tfjs-core";
export { adding, blobs, functionDataset, moons, NonFiniteSampleError, spirals, startSymbol, subset, toTensors } from "./datasets/index.js";
export type {
  BlobsOptions,
  Dataset,
  FunctionDatasetOptions,
  Interval,
  Labels,
  MoonsOptions,
  SampleFunction,
  Sampler,
  SpiralsOptions,
  StartSymbolOptions,
} from "./datasets/index.js";
export { DEFAULT_RUNTIME_LIMITS, type RuntimeLimits } from "./limits.js";
