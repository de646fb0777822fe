import type {
  ArgumentChange,
  BeforeAfter,
  BlockChange,
  BlockConnections,
  GraphDiff,
  Listed,
  NetworkDiff,
  NetworkSummary,
  ProgramDiff,
  RunBlockDiff,
  RunDiff,
  WeightMovement,
} from "./types.js";
import { isEmptyDiff } from "./programs.js";
import { isEmptyRunDiff } from "./runs.js";

/** What an empty diff prints. */
export const NO_CHANGES = "no structural changes";

const count = (n: number): string => n.toLocaleString("en-US");
const arrow = <T>({ before, after }: BeforeAfter<T>, text: (v: T) => string): string => `${text(before)} → ${text(after)}`;

/** A program diff as lines for a reader: graphs first (what networks are made of), then networks. */
export function formatProgramDiff(diff: ProgramDiff): string[] {
  if (isEmptyDiff(diff)) return [NO_CHANGES];
  return [
    ...diff.graphs.removed.map((name) => `graph ${name}: removed`),
    ...diff.graphs.added.map((name) => `graph ${name}: added`),
    ...diff.graphs.changed.flatMap(graphLines),
    ...diff.networks.removed.map((n) => `network ${n.name}: removed (${summaryText(n)})`),
    ...diff.networks.added.map((n) => `network ${n.name}: added (${summaryText(n)})`),
    ...diff.networks.changed.flatMap((n) => [`network ${n.name}`, ...networkLines(n)]),
  ];
}

function summaryText(n: NetworkSummary): string {
  return `${count(n.layers)} layers, ${count(n.blocks)} blocks, ${count(n.liveConnections)} live connections`;
}

function graphLines(g: GraphDiff): string[] {
  const { vertices, edges } = g;
  return [
    `graph ${g.name}`,
    ...g.arguments.map((change) => `  ${argumentText(change)}`),
    ...setLines("vertices", vertices, String),
    ...setLines("edges", edges, ([s, t]) => `${s} -> ${t}`),
    ...(g.layerSizes === undefined ? [] : [`  layer sizes ${arrow(g.layerSizes, (sizes) => sizes.join(" "))}`]),
    ...(g.neurons === undefined ? [] : [`  neurons per layer ${arrow(g.neurons, (sizes) => sizes.join(" "))}`]),
  ];
}

/** `scalable › orient › watts_strogatz: seed 42 → 43`, or a replaced source in full. */
function argumentText(change: ArgumentChange): string {
  const at = change.at.join(" › ");
  const what = change.argument === "" ? arrow(change, String) : `${change.argument} ${arrow(change, String)}`;
  return at === "" ? what : `${at}: ${what}`;
}

/** `edges 64 → 64: 47 added, 47 removed` and the items listed, or `edges 64` when they are the same. */
function setLines<T>(kind: string, set: BeforeAfter<number> & { readonly added: Listed<T>; readonly removed: Listed<T> }, text: (item: T) => string): string[] {
  const { added, removed } = set;
  if (added.count + removed.count === 0 && set.before === set.after) return [`  ${kind} ${count(set.before)}`];
  return [
    `  ${kind} ${arrow(set, count)}: ${count(added.count)} added, ${count(removed.count)} removed`,
    ...listLines(added, () => "+", text),
    ...listLines(removed, () => "-", text),
  ];
}

/** A listed kind, one item a line behind its sign, then how many the limit left out. */
function listLines<T>(list: Listed<T>, sign: (item: T) => string, text: (item: T) => string): string[] {
  const rest = list.count - list.items.length;
  return [...list.items.map((item) => `    ${sign(item)} ${text(item)}`), ...(rest > 0 ? [`    … and ${count(rest)} more`] : [])];
}

function networkLines(n: NetworkDiff): string[] {
  const { blocks, liveConnections, connections } = n.totals;
  return [
    ...n.layers.map(
      ({ name, before, after }) =>
        `  layer ${name}: ${before !== null && after !== null ? `${count(before)} → ${count(after)} neurons` : changeText(before, after, (size) => `${count(size)} neurons`)}`,
    ),
    ...n.settings.map(({ setting, before, after }) => `  ${setting}: ${changeText(before, after, String)}`),
    `  blocks ${arrow(blocks, count)}, live connections ${arrow(liveConnections, count)} (of ${arrow(connections, count)})`,
    ...listLines(n.blocks, (c) => (c.before === null ? "+" : c.after === null ? "-" : "~"), blockText),
  ];
}

/** `a → b`, `added (b)` or `removed (a)`. */
function changeText<T>(before: T | null, after: T | null, text: (v: T) => string): string {
  if (before === null) return `added (${text(after!)})`;
  if (after === null) return `removed (${text(before)})`;
  return `${text(before)} → ${text(after)}`;
}

function blockText(change: BlockChange): string {
  return `${change.name}: ${changeText(change.before, change.after, (c: BlockConnections) => `${count(c.live)} of ${count(c.total)} live`)}`;
}

/** A run diff as lines: the spec's differences, then per block what training or pruning changed. */
export function formatRunDiff(diff: RunDiff): string[] {
  if (isEmptyRunDiff(diff)) return ["no changes: the same spec, masks and weights"];
  const { totals } = diff;
  return [
    `runs of ${arrow(diff.networks, String)}`,
    ...(diff.spec === undefined ? [] : ["spec", ...networkLines(diff.spec)]),
    ...diff.resized.map((r) => `block ${r.name}: resized ${arrow(r, ([s, t]) => `[${s}, ${t}]`)}; its connections are not compared`),
    ...diff.blocks.map(runBlockText),
    `total: ${countsText(totals)}; ${movementText(totals)}`,
  ];
}

function runBlockText(block: RunBlockDiff): string {
  return `block ${block.name}: ${countsText(block)}; ${movementText(block)}`;
}

function countsText(c: { readonly pruned: number; readonly grown: number; readonly unchanged: number }): string {
  return `${count(c.pruned)} pruned, ${count(c.grown)} grown, ${count(c.unchanged)} unchanged`;
}

function movementText(m: WeightMovement): string {
  const relative = m.relative === null ? "" : ` (${(m.relative * 100).toPrecision(3)}% of ${m.norm.toPrecision(4)})`;
  return `weights moved ${m.moved.toPrecision(4)}${relative}`;
}
