import type { CheckedNetwork, Stage } from "../check/program.js";
import { DiagnosticBag, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { ElaboratedProgram, LayeredGraph, MaskFile } from "../elaborate/program.js";
import type { FeatureLayerSpec, LayerOrigin } from "../../runtime/spec.js";
import type { BlockIR, LayerIR, MaskIR, NetworkIR } from "./ir.js";
import { applyPolicies } from "./policies.js";
import { applyFeatureMasks, lowerFeatures, stackInputChannels } from "./features.js";
import { cellInputChannels, cellLayers, lowerCells, withCellLayers } from "./cells.js";
import type { CellNetworkSpec } from "../../runtime/cells/spec.js";
import type { ChannelsFirst } from "../../runtime/features/shapes.js";
import { applyRecurrentMasks, lowerRecurrent } from "./recurrent.js";
import { recurrentNames, recurrentOutputSize } from "../../runtime/recurrent/shapes.js";
import { networkFits } from "./size.js";
import { Budget, DEFAULT_LIMITS } from "../check/limits.js";

export type { NetworkIR } from "./ir.js";

/**
 * Turns each network into layers of neurons and masked connection blocks.
 *
 * Stages are joined in the order written: every neuron a stage exposes feeds
 * every neuron the next stage takes in. A dense layer takes in and exposes all
 * its neurons. A structure takes in at its sources (depth 0, as deepstruct
 * does) and exposes its sinks at whatever depth they sit, so no vertex of the
 * graph is a dead end; inside it, each edge u → v is one live connection from
 * u's depth to v's, which is where skip connections come from.
 */
export function lower(program: ElaboratedProgram, budget = new Budget(DEFAULT_LIMITS)): { networks: NetworkIR[]; diagnostics: Diagnostic[] } {
  const bag = new DiagnosticBag();
  const networks: NetworkIR[] = [];
  for (const network of program.networks) {
    if (networkFits(network, program.graphs, budget, bag)) networks.push(lowerNetwork(network, program, bag));
  }
  return { networks, diagnostics: bag.items };
}

/** Neurons a stage exposes to the next: whole layers, or chosen rows of layers. */
interface Exposed {
  readonly layer: number;
  /** Positions within the layer; undefined means all of them. */
  readonly rows?: readonly number[];
}

function lowerNetwork(network: CheckedNetwork, program: ElaboratedProgram, bag: DiagnosticBag): NetworkIR {
  const { graphs, maskFiles, recurrentGraphs } = program;
  // With feature layers, layer 0 is their flattened output, named so blocks read "features->dense1".
  // With recurrent layers, layer 0 is their output ("recurrent->dense1").
  // With cells, layer 0 is their head's pooled channels ("cells->output").
  const inputName = network.cells ? "cells" : network.features ? "features" : network.recurrent ? "recurrent" : "input";
  const recurrent = network.recurrent ? applyRecurrentMasks(lowerRecurrent(network.recurrent, recurrentGraphs), network.inputShape[1]!, network.masks, maskFiles, bag) : undefined;
  const inputSize =
    network.cells?.head ?? network.features?.outputSize ?? (recurrent && recurrentOutputSize(recurrent, network.inputShape[0]!)) ?? network.inputShape.reduce((a, b) => a * b, 1);
  const layers: LayerIR[] = [{ name: inputName, origin: { kind: "input" }, size: inputSize }];
  const blocks: BlockIR[] = [];
  const layerNames = new Set<string>([inputName]);
  let exposed: Exposed[] = [{ layer: 0 }];

  const addLayer = (layer: Omit<LayerIR, "name">): number => {
    const name = layerName(layer.origin);
    if (layerNames.has(name)) throw new Error(`lower: two layers named '${name}' in network '${network.name}'`);
    layerNames.add(name);
    layers.push({ name, ...layer });
    return layers.length - 1;
  };
  const connectAll = (from: readonly Exposed[], target: number): void => {
    for (const source of from) blocks.push(fullBlock(layers, source, target));
  };

  let denseCount = 0;
  const uses = new Map<string, number>();
  for (const stage of network.stages) {
    if (stage.kind === "dense") {
      const layer = addLayer({ origin: { kind: "dense", index: ++denseCount }, size: stage.size });
      connectAll(exposed, layer);
      exposed = [{ layer }];
      continue;
    }
    const graph = graphs.get(stage.graph);
    if (graph === undefined) throw new Error(`lower: graph '${stage.graph}' was checked but not elaborated`);
    const use = (uses.get(stage.graph) ?? 0) + 1;
    uses.set(stage.graph, use);
    exposed = lowerStructure(graph, use, stage, exposed, { layers, blocks, addLayer, connectAll }, network, bag);
  }
  const output = addLayer({ origin: { kind: "output" }, size: network.outputSize });
  connectAll(exposed, output);

  blocks.sort((a, b) => a.target - b.target || a.source - b.source);
  const { features, cells } = lowerConvs(network, graphs, maskFiles, bag);
  const convNames = new Set([...(features ?? []), ...(cells ? cellLayers(cells) : [])].flatMap((f) => (f.kind === "conv" ? [f.name] : [])));
  const policies = applyPolicies(network, layers, blocks, maskFiles, bag, convNames, recurrent ? recurrentNames(recurrent) : []);
  return {
    name: network.name,
    inputShape: network.inputShape,
    layers,
    blocks,
    activation: network.activation,
    layerNorm: network.layerNorm,
    ...(network.execution ? { execution: network.execution } : {}),
    ...(features ? { features } : {}),
    ...(cells ? { cells } : {}),
    ...(recurrent ? { recurrent } : {}),
    ...policies,
  };
}

/** The feature layers and the cell network, their conv masks drawn over all their convs in order (the stem's, the cells', the head's). */
function lowerConvs(
  network: CheckedNetwork,
  graphs: ReadonlyMap<string, LayeredGraph>,
  maskFiles: ReadonlyMap<string, MaskFile>,
  bag: DiagnosticBag,
): { features?: FeatureLayerSpec[]; cells?: CellNetworkSpec } {
  const stem = network.features ? lowerFeatures(network.features.layers) : [];
  const cells = network.cells ? lowerCells(network, network.cells, stem, graphs, bag) : undefined;
  if (cells === undefined) return network.features ? { features: applyFeatureMasks(network, stem, maskFiles, bag) } : {};
  const channels = new Map([...(stackInputChannels(network.inputShape as unknown as ChannelsFirst, stem) ?? []), ...cellInputChannels(network, stem, cells)]);
  const masked = applyFeatureMasks(network, [...stem, ...cellLayers(cells)], maskFiles, bag, channels);
  return { ...(network.features ? { features: masked.slice(0, stem.length) } : {}), cells: withCellLayers(cells, masked.slice(stem.length)) };
}

interface Builder {
  readonly layers: LayerIR[];
  readonly blocks: BlockIR[];
  /** Appends a layer named after its origin; returns its index. */
  addLayer(layer: Omit<LayerIR, "name">): number;
  connectAll(from: readonly Exposed[], target: number): void;
}

/** Name of a layer from its origin: "input", "dense2", "tree.d1", "tree.d1#2" (the second structure of tree), "output". */
function layerName(origin: LayerOrigin): string {
  switch (origin.kind) {
    case "input":
    case "output":
      return origin.kind;
    case "dense":
      return `dense${origin.index}`;
    case "structure":
      return `${origin.graph}.d${origin.depth}${origin.use === 1 ? "" : `#${origin.use}`}`;
  }
}

/** `use` counts from 1 the structures of this graph so far in the network. */
function lowerStructure(graph: LayeredGraph, use: number, stage: Stage, exposed: readonly Exposed[], builder: Builder, network: CheckedNetwork, bag: DiagnosticBag): Exposed[] {
  // A vertex is one neuron, or a group of them in a scalable family; its
  // neurons sit side by side in its depth's layer.
  const sizeOf = (vertex: number): number => graph.groupSizes?.get(vertex) ?? 1;
  const offsetOf = new Map<number, number>();
  const layerOfDepth = graph.layers.map((vertices, depth) => {
    const neurons: number[] = [];
    for (const vertex of vertices) {
      offsetOf.set(vertex, neurons.length);
      for (let i = sizeOf(vertex); i > 0; i--) neurons.push(vertex);
    }
    if (network.layerNorm && neurons.length === 1) bag.report("DS3002", stage.span, [depth, graph.name]);
    return builder.addLayer({ origin: { kind: "structure", graph: graph.name, use, depth }, size: neurons.length, vertices: neurons });
  });
  builder.connectAll(exposed, layerOfDepth[0]!);

  // Group the edges by (source depth, target depth); each group is one block,
  // and an edge joins every neuron of its source's group to every neuron of its target's.
  const groups = new Map<number, number[]>();
  const depthCount = graph.layers.length;
  graph.graph.forEachEdge((_edge, _attributes, sourceKey, targetKey) => {
    const source = Number(sourceKey);
    const target = Number(targetKey);
    const sourceDepth = graph.depthOf.get(source)!;
    const targetDepth = graph.depthOf.get(target)!;
    const targetSize = builder.layers[layerOfDepth[targetDepth]!]!.size;
    const key = sourceDepth * depthCount + targetDepth;
    let live = groups.get(key);
    if (live === undefined) groups.set(key, (live = []));
    const [rowStart, colStart] = [offsetOf.get(source)!, offsetOf.get(target)!];
    for (let i = 0; i < sizeOf(source); i++) {
      for (let j = 0; j < sizeOf(target); j++) live.push((rowStart + i) * targetSize + colStart + j);
    }
  });
  for (const [key, live] of [...groups].sort((a, b) => a[0] - b[0])) {
    const source = layerOfDepth[Math.floor(key / depthCount)]!;
    const target = layerOfDepth[key % depthCount]!;
    const sorted = Uint32Array.from(live).sort();
    builder.blocks.push(makeBlock(builder.layers, source, target, sorted));
  }

  // Sinks, depth by depth, are what the next stage sees.
  const sinks: Exposed[] = [];
  graph.layers.forEach((vertices, depth) => {
    const rows: number[] = [];
    for (const vertex of vertices) {
      if (graph.graph.outDegree(String(vertex)) !== 0) continue;
      for (let i = 0; i < sizeOf(vertex); i++) rows.push(offsetOf.get(vertex)! + i);
    }
    if (rows.length > 0) sinks.push({ layer: layerOfDepth[depth]!, rows });
  });
  return sinks;
}

/** Every exposed row of `source` to every neuron of `target`. */
function fullBlock(layers: readonly LayerIR[], source: Exposed, target: number): BlockIR {
  const targetSize = layers[target]!.size;
  const rows = source.rows;
  if (rows === undefined || rows.length === layers[source.layer]!.size) {
    return { name: blockName(layers, source.layer, target), source: source.layer, target, mask: { kind: "full" } };
  }
  const live = new Uint32Array(rows.length * targetSize);
  let next = 0;
  for (const row of rows) for (let t = 0; t < targetSize; t++) live[next++] = row * targetSize + t;
  return makeBlock(layers, source.layer, target, live);
}

function makeBlock(layers: readonly LayerIR[], source: number, target: number, live: Uint32Array): BlockIR {
  const size = layers[source]!.size * layers[target]!.size;
  const mask: MaskIR = live.length === size ? { kind: "full" } : { kind: "sparse", live };
  return { name: blockName(layers, source, target), source, target, mask };
}

function blockName(layers: readonly LayerIR[], source: number, target: number): string {
  return `${layers[source]!.name}->${layers[target]!.name}`;
}
