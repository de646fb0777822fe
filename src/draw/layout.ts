/**
 * Geometry from elkjs's layered algorithm: layers are pinned to columns with
 * its partitioning (partition = the layer's index), so a connection that
 * jumps layers gets dummy nodes in the columns between and is routed around
 * what stands there — skip connections skip visibly. ELK is deterministic
 * for a fixed random seed, which keeps the SVG byte-identical across runs.
 */
import type { ElkNode } from "elkjs/lib/elk-api.js";
import type { Scene, SceneEdge, SceneNode } from "./scene.js";

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface PlacedNode {
  readonly node: SceneNode;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface PlacedEdge {
  readonly edge: SceneEdge;
  /** Start, bend points, end. */
  readonly points: readonly Point[];
}

export interface Layout {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly PlacedEdge[];
}

/** Diameter of a neuron's dot; a box's size at orders 1 and 2. */
export const NEURON = 8;
const BOX_WIDTH = 96;

export async function layOut(scene: Scene): Promise<Layout> {
  const neurons = scene.order === 0;
  const root: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.randomSeed": "1",
      // Near the limits (400 neurons, 3,000 connections) the default thoroughness and greedy switch take half a minute; these, seconds.
      "elk.layered.crossingMinimization.greedySwitch.type": "OFF",
      "elk.layered.thoroughness": "1",
      "elk.partitioning.activate": "true",
      "elk.edgeRouting": "POLYLINE",
      "elk.spacing.nodeNode": neurons ? "6" : "24",
      "elk.spacing.edgeNode": neurons ? "8" : "12",
      "elk.spacing.edgeEdge": neurons ? "2" : "8",
      "elk.layered.spacing.nodeNodeBetweenLayers": neurons ? "90" : "110",
      "elk.layered.spacing.edgeNodeBetweenLayers": neurons ? "4" : "12",
      "elk.padding": "[top=40,left=36,bottom=24,right=36]",
    },
    children: scene.nodes.map((node) => elkNode(node, neurons)),
    edges: scene.edges.map((edge) => ({ id: edge.id, sources: [edge.source], targets: [edge.target] })),
  };
  // Loaded on first use (1.5 MB of JavaScript); a CommonJS module whose types declare an ES default, which it also carries.
  const ELK = (await import("elkjs/lib/elk.bundled.js")).default.default;
  const result = await new ELK().layout(root);
  return placed(scene, result);
}

function elkNode(node: SceneNode, neurons: boolean): ElkNode {
  const height = neurons ? NEURON : boxHeight(node.size);
  return { id: node.id, width: neurons ? NEURON : BOX_WIDTH, height, layoutOptions: { "elk.partitioning.partition": String(node.column) } };
}

/** Boxes grow with the log of their neurons, so a 784-pixel input does not dwarf a 10-neuron output. */
function boxHeight(size: number): number {
  return Math.round(30 + 14 * Math.log10(Math.max(1, size)));
}

function placed(scene: Scene, result: ElkNode): Layout {
  const boxes = new Map((result.children ?? []).map((c) => [c.id, c]));
  const nodes = scene.nodes.map((node): PlacedNode => {
    const b = boxes.get(node.id)!;
    return { node, x: b.x ?? 0, y: b.y ?? 0, width: b.width ?? 0, height: b.height ?? 0 };
  });
  const routes = new Map((result.edges ?? []).map((e) => [e.id, e]));
  const edges = scene.edges.map((edge): PlacedEdge => {
    const routed = routes.get(edge.id)!;
    const points = (routed.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]);
    return { edge, points };
  });
  return { width: result.width ?? 0, height: result.height ?? 0, nodes, edges };
}
