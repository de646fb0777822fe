export { permutation, subset, type Dataset, type Labels } from "./dataset.js";
export { toTensors } from "./tensors.js";
export { functionDataset, gridCounts, NonFiniteSampleError, type FunctionDatasetOptions, type Interval, type SampleFunction, type Sampler } from "./function.js";
export { blobs, moons, spirals, type BlobsOptions, type MoonsOptions, type SpiralsOptions } from "./toy.js";
export { adding, sequenceWidth, startSymbol, writeSequence, type AddingOptions, type SequenceLayout, type StartSymbolOptions } from "./sequences.js";
