/**
 * The SVG text of a laid-out scene. Element kinds are kept apart so a
 * picture can be counted: at order 0 every `<circle>` is a neuron and every
 * `<path>` a live connection; at orders 1 and 2 every `<rect class="node">`
 * is a group or layer and every `<path>` an edge between two of them.
 * Numbers are rounded to 0.1 so the bytes do not depend on float noise.
 */
import type { Layout, PlacedEdge, PlacedNode, Point } from "./layout.js";
import type { Scene } from "./scene.js";
import { edgeStyle, neuronFill } from "./colour.js";

export interface SvgOptions {
  /** Colour connections by their weights' sign and size (trained runs); plain otherwise. */
  readonly weights: boolean;
}

// A polygon, not a path: paths are the edges, one each.
const ARROW = `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="3" markerHeight="3" orient="auto"><polygon points="0,0 10,5 0,10" fill="#555555"/></marker></defs>`;

export function renderSvg(scene: Scene, layout: Layout, options: SvgOptions): string {
  const width = num(layout.width);
  const height = num(layout.height);
  const maxAbs = largestWeight(scene, options.weights);
  const columns = new Map(scene.nodes.map((n) => [n.id, n.column]));
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<title>${escape(`${scene.name} (order ${scene.order})`)}</title>`,
    `<rect class="background" width="100%" height="100%" fill="#ffffff"/>`,
    ...(scene.order === 0 ? [] : [ARROW]),
    ...columnLabels(scene, layout),
    `<g class="connections" fill="none">`,
    ...layout.edges.map((edge) => connection(edge, scene.order, maxAbs, skips(columns, edge))),
    `</g>`,
    `<g class="${scene.order === 0 ? "neurons" : "nodes"}">`,
    ...layout.nodes.map((node) => (scene.order === 0 ? neuron(node, scene) : box(node))),
    `</g>`,
  ];
  if (scene.order !== 0)
    lines.push(
      `<g class="densities" text-anchor="middle" font-size="9" fill="#333333" stroke="#ffffff" stroke-width="3" paint-order="stroke">`,
      ...layout.edges.map(densityLabel),
      `</g>`,
    );
  lines.push(`</svg>`, "");
  return lines.join("\n");
}

function largestWeight(scene: Scene, weights: boolean): number | undefined {
  if (!weights) return undefined;
  const values = scene.edges.map((e) => Math.abs(e.weight ?? e.rms ?? 0));
  return Math.max(Number.MIN_VALUE, ...values);
}

/**
 * Each layer's name and size above its column, centred on the column's
 * nodes; on two staggered rows when neighbouring labels would overlap.
 */
function columnLabels(scene: Scene, layout: Layout): string[] {
  const labels = scene.columns.flatMap((column, index) => {
    const placed = layout.nodes.filter((n) => n.node.column === index);
    if (placed.length === 0) return [];
    const x = Math.min(...placed.map((n) => n.x)) / 2 + Math.max(...placed.map((n) => n.x + n.width)) / 2;
    return [{ x, text: `${column.name} (${column.size})` }];
  });
  // About 6.2 px a character at 11 px Helvetica.
  const crowded = labels.some((l, i) => i > 0 && l.x - labels[i - 1]!.x < 3.1 * (l.text.length + labels[i - 1]!.text.length) + 8);
  return labels.map((l, i) => `<text class="layer-label" x="${num(l.x)}" y="${crowded && i % 2 === 1 ? 28 : 14}" text-anchor="middle" fill="#222222">${escape(l.text)}</text>`);
}

/** An edge that jumps over at least one layer: a skip connection. */
function skips(columns: ReadonlyMap<string, number>, placed: PlacedEdge): boolean {
  return (columns.get(placed.edge.target) ?? 0) - (columns.get(placed.edge.source) ?? 0) > 1;
}

function connection(placed: PlacedEdge, order: number, maxAbs: number | undefined, skip: boolean): string {
  const { stroke, opacity, width } = edgeStyle(placed.edge, order, maxAbs, skip);
  const marker = order === 0 ? "" : ` marker-end="url(#arrow)"`;
  const kind = skip ? ` class="skip"` : "";
  return `<path${kind} d="${pathData(placed.points)}" stroke="${stroke}" stroke-opacity="${num(opacity, 100)}" stroke-width="${num(width)}"${marker}/>`;
}

/** Straight segments where ELK gave two points; through bend points, curves that pass by each bend's midpoints. */
export function pathData(points: readonly Point[]): string {
  const [first, ...rest] = points;
  if (first === undefined) return "";
  if (rest.length <= 1) return `M${pt(first)}${rest.map((p) => ` L${pt(p)}`).join("")}`;
  let d = `M${pt(first)}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const bend = rest[i]!;
    const next = rest[i + 1]!;
    const mid = i === rest.length - 2 ? next : { x: (bend.x + next.x) / 2, y: (bend.y + next.y) / 2 };
    d += ` Q${pt(bend)} ${pt(mid)}`;
  }
  return d;
}

function neuron(placed: PlacedNode, scene: Scene): string {
  const column = scene.columns[placed.node.column]!;
  const fill = neuronFill(placed.node.column, scene.columns.length);
  const r = placed.width / 2;
  return `<circle cx="${num(placed.x + r)}" cy="${num(placed.y + r)}" r="${num(r)}" fill="${fill}"><title>${escape(`${column.name} ${placed.node.id}`)}</title></circle>`;
}

function box(placed: PlacedNode): string {
  const [name = "", size = ""] = placed.node.label.split("\n");
  const cx = num(placed.x + placed.width / 2);
  const cy = placed.y + placed.height / 2;
  return [
    `<rect class="node" x="${num(placed.x)}" y="${num(placed.y)}" width="${num(placed.width)}" height="${num(placed.height)}" rx="4" fill="#f3f3f3" stroke="#555555"/>`,
    `<text x="${cx}" y="${num(cy - 2)}" text-anchor="middle" fill="#222222">${escape(name)}</text>`,
    `<text x="${cx}" y="${num(cy + 11)}" text-anchor="middle" fill="#555555" font-size="10">${escape(size)}</text>`,
  ].join("\n");
}

/** A block's density at the middle of its route. */
function densityLabel(placed: PlacedEdge): string {
  const at = halfway(placed.points);
  const density = placed.edge.density ?? 0;
  const text = density >= 0.1 ? `${Math.round(density * 100)}%` : `${num(density * 100)}%`;
  return `<text x="${num(at.x)}" y="${num(at.y - 3)}">${text}</text>`;
}

function halfway(points: readonly Point[]): Point {
  const lengths = points.slice(1).map((p, i) => Math.hypot(p.x - points[i]!.x, p.y - points[i]!.y));
  let left = lengths.reduce((a, b) => a + b, 0) / 2;
  for (const [i, length] of lengths.entries()) {
    if (left <= length && length > 0) {
      const [a, b] = [points[i]!, points[i + 1]!];
      return { x: a.x + ((b.x - a.x) * left) / length, y: a.y + ((b.y - a.y) * left) / length };
    }
    left -= length;
  }
  return points[0] ?? { x: 0, y: 0 };
}

function pt(p: Point): string {
  return `${num(p.x)},${num(p.y)}`;
}

/** Rounded to 1/scale, without a `-0`. */
function num(value: number, scale = 10): string {
  const rounded = Math.round(value * scale) / scale;
  return String(rounded === 0 ? 0 : rounded);
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
