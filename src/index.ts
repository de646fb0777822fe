export { analyze, compile } from "./compile.js";
export type { AnalyzeResult, CompileOptions, CompileResult } from "./compile.js";

export type { Diagnostic, Severity } from "./diagnostics/diagnostic.js";
export type { DiagnosticCode } from "./diagnostics/codes.js";
export { diagnosticTable } from "./diagnostics/codes.js";
export type { Position, Span } from "./diagnostics/span.js";
export type { Limits } from "./check/limits.js";
export { DEFAULT_LIMITS } from "./check/limits.js";
export type { CheckedDataset, DataSource } from "./check/program.js";
export type { KernelPlan, KernelIR } from "./fuse/plan.js";
export type { NetworkIR, LayerIR, BlockIR, MaskIR } from "./lower/ir.js";
export type { LayeredGraph, ElaboratedProgram } from "./elaborate/program.js";
export { formatDiagnostic } from "./diagnostics/format.js";
export { format } from "./format/index.js";
export type { FormatOptions, FormatResult } from "./format/index.js";
export { networkSpec } from "./emit/spec.js";
export { emitPytorch } from "./emit-pytorch/index.js";
export { drawNetwork, chooseOrder, DRAW_LIMITS } from "./draw/index.js";
export type { DrawOptions, Drawing } from "./draw/index.js";
export type { PytorchEmitOptions } from "./emit-pytorch/index.js";
export { appendLayered, areConnected, connectedLayerPairs, edgesBetween, layeredGraph, layerOf, layerSizes, neuronCounts, verticesIn } from "./elaborate/layered.js";
export { writeGraph, writeGraphml, GRAPH_FORMATS } from "./elaborate/graph-files.js";
export type { GraphFormat } from "./elaborate/graph-files.js";
export {
  describeProgram,
  diffPrograms,
  diffRuns,
  programVersion,
  loadRun,
  isEmptyDiff,
  isEmptyRunDiff,
  formatProgramDiff,
  formatRunDiff,
  DEFAULT_LIMIT as DIFF_LIMIT,
} from "./diff/index.js";
export type {
  ProgramDiff,
  RunDiff,
  GraphDiff,
  NetworkDiff,
  NetworkSummary,
  ArgumentChange,
  BlockChange,
  BlockConnections,
  RunBlockDiff,
  RunCounts,
  WeightMovement,
  Listed,
  BeforeAfter,
  Edge,
  DiffOptions,
  ProgramVersion,
  RunVersion,
  RunBlock,
} from "./diff/index.js";
