import type { Budget } from "../check/limits.js";
import { withinLimit } from "../check/limits.js";
import type { CheckedNetwork } from "../check/program.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { LayeredGraph } from "../elaborate/program.js";

/** What one use of a graph as a structure adds to a network. */
interface StructureSize {
  readonly neurons: number;
  readonly layers: number;
  /** Neurons at depth 0, which the stage before feeds. */
  readonly inputs: number;
  /** Neurons without a successor, which feed the stage after, and the layers they sit in. */
  readonly sinks: number;
  readonly sinkLayers: number;
  /** Connections and blocks between the graph's own depths. */
  readonly connections: number;
  readonly blocks: number;
}

// Many networks may use one graph: each graph is measured once.
const measured = new WeakMap<LayeredGraph, StructureSize>();

function structureSize(graph: LayeredGraph): StructureSize {
  const known = measured.get(graph);
  if (known !== undefined) return known;
  const sizeOf = (vertex: number): number => graph.groupSizes?.get(vertex) ?? 1;
  let [neurons, sinks, sinkLayers, connections] = [0, 0, 0, 0];
  graph.layers.forEach((vertices) => {
    let sinksHere = 0;
    for (const vertex of vertices) {
      neurons += sizeOf(vertex);
      if (graph.graph.outDegree(String(vertex)) === 0) sinksHere += sizeOf(vertex);
    }
    sinks += sinksHere;
    if (sinksHere > 0) sinkLayers++;
  });
  const depthPairs = new Set<number>();
  const depths = graph.layers.length;
  graph.graph.forEachEdge((_edge, _attributes, s, t) => {
    const [u, v] = [Number(s), Number(t)];
    connections += sizeOf(u) * sizeOf(v);
    depthPairs.add(graph.depthOf.get(u)! * depths + graph.depthOf.get(v)!);
  });
  const inputs = (graph.layers[0] ?? []).reduce((n, v) => n + sizeOf(v), 0);
  const size = { neurons, layers: depths, inputs, sinks, sinkLayers, connections, blocks: depthPairs.size };
  measured.set(graph, size);
  return size;
}

/**
 * Counts a network's neurons, connections, parameters, layers, blocks and
 * the entries lower will list one by one, from its stages and the graphs'
 * layerings, before any block is made; reports the first limit passed.
 * Counts of listed entries are upper bounds (a block that turns out full is
 * not listed).
 */
export function networkFits(network: CheckedNetwork, graphs: ReadonlyMap<string, LayeredGraph>, budget: Budget, bag: DiagnosticBag): boolean {
  const inputSize = network.cells?.head ?? network.features?.outputSize ?? network.inputShape.reduce((a, b) => a * b, 1);
  let [neurons, connections, layers, blocks, listed] = [inputSize, 0, 2, 0, 0];
  // What the last stage exposes: its neurons, in how many layers, and whether only some rows of them (a structure's sinks).
  let exposed = { neurons: inputSize, layers: 1, partial: false };
  const join = (into: number): void => {
    connections += exposed.neurons * into;
    blocks += exposed.layers;
    if (exposed.partial) listed += exposed.neurons * into;
  };
  for (const stage of network.stages) {
    if (stage.kind === "dense") {
      join(stage.size);
      neurons += stage.size;
      layers += 1;
      exposed = { neurons: stage.size, layers: 1, partial: false };
      continue;
    }
    const size = structureSize(graphs.get(stage.graph)!);
    join(size.inputs);
    neurons += size.neurons;
    layers += size.layers;
    connections += size.connections;
    blocks += size.blocks;
    listed += size.connections + size.neurons;
    exposed = { neurons: size.sinks, layers: size.sinkLayers, partial: true };
  }
  join(network.outputSize);
  neurons += network.outputSize;
  const learnable = network.masks.some((m) => m.kind === "learnable");
  const parameters = connections * (learnable ? 3 : 1) + (neurons - inputSize) * (network.layerNorm ? 3 : 1);
  const { limits } = budget;
  const subject = `network '${network.name}'`;
  return (
    withinLimit(neurons, limits.neurons, "DS2029", subject, network.span, bag, "neurons") &&
    withinLimit(connections, limits.connections, "DS2030", subject, network.span, bag, "connections") &&
    withinLimit(parameters, limits.parameters, "DS2031", subject, network.span, bag, "parameters") &&
    budget.charge({ layers, blocks, listed }, network.span, bag)
  );
}
