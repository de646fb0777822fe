import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { DiagnosticCode } from "../diagnostics/codes.js";
import type { Span } from "../diagnostics/span.js";

/**
 * Sizes the compiler refuses to go past, so that every input compiles (or is
 * refused) in seconds and within a few gigabytes. Each is checked from the
 * arguments before the work it measures is done. Graph and listing limits are
 * totals over the whole file, since each declaration adds to the work; the
 * per-network ones bound what the runtime allocates for one model.
 * Defaults were picked by measurement (README, "Limits").
 */
export interface Limits {
  /** Vertices of all graphs (and graph operations) a file builds. */
  readonly vertices: number;
  /** Edges of all graphs a file builds. */
  readonly edges: number;
  /** Vertex pairs the O(n²) generators (erdos_renyi without fast, random_dag) draw, over the file. */
  readonly pairs: number;
  /** Layers of all networks of a file. */
  readonly layers: number;
  /** Connection blocks of all networks of a file. */
  readonly blocks: number;
  /** Entries the compiler lists one by one, over the file: live entries of sparse masks, and the vertex of every neuron of a structure. */
  readonly listed: number;
  /** Neurons of one network, input included. */
  readonly neurons: number;
  /** Structural connections of one network: every entry of a full block, the live ones of a sparse block. */
  readonly connections: number;
  /** Trainable numbers of one network: weights, biases, learnable-mask logits and layer-norm gains and offsets. */
  readonly parameters: number;
  /** Bytes of a file read by `file(...)` or `mask file(...)`; a GEXF file may have a sixteenth of them. */
  readonly fileBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  vertices: 200_000,
  edges: 400_000,
  pairs: 50_000_000,
  layers: 50_000,
  blocks: 200_000,
  listed: 10_000_000,
  neurons: 1_000_000,
  connections: 10_000_000,
  parameters: 20_000_000,
  fileBytes: 32 * 1024 * 1024,
};

/** Brackets, parentheses and braces nest at most this deep (the parser is recursive; real programs nest 3 or 4 levels). */
export const MAX_NESTING = 64;

/** Vertex ids written in a program or a file: up to 2³¹ − 1, so that ids, offsets and their encodings stay exact. */
export const MAX_VERTEX_ID = 2 ** 31 - 1;

/** The defaults with the given limits in their place; a limit that is not a positive number keeps its default. */
export function resolveLimits(given: Partial<Limits> = {}): Limits {
  const limits: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(given)) {
    if (Object.hasOwn(DEFAULT_LIMITS, key) && typeof value === "number" && value > 0) limits[key] = value;
  }
  return limits as unknown as Limits;
}

/** How each file total is named and which code reports it. */
const totals = {
  vertices: { code: "DS2021", subject: "the graphs of this file" },
  edges: { code: "DS2026", subject: "the graphs of this file" },
  pairs: { code: "DS2028", subject: "the generators of this file" },
  layers: { code: "DS2032", subject: "the networks of this file" },
  blocks: { code: "DS2033", subject: "the networks of this file" },
  listed: { code: "DS2034", subject: "this file" },
} as const satisfies Partial<Record<keyof Limits, { code: DiagnosticCode; subject: string }>>;
export type FileTotal = keyof typeof totals;

/**
 * The running file totals, shared by the passes that do the work: each
 * charges what it is about to build, and is refused (with a diagnostic at
 * the construct responsible) once a total would pass its limit.
 */
export class Budget {
  private readonly spent: Record<FileTotal, number> = { vertices: 0, edges: 0, pairs: 0, layers: 0, blocks: 0, listed: 0 };

  constructor(readonly limits: Limits) {}

  /** Adds the amounts, or reports the first total they would take past its limit and adds nothing. */
  charge(amounts: Partial<Record<FileTotal, number>>, span: Span, bag: DiagnosticBag): boolean {
    for (const [key, amount] of Object.entries(amounts) as [FileTotal, number][]) {
      const total = this.spent[key] + amount;
      if (!(total <= this.limits[key])) {
        const { code, subject } = totals[key];
        const single = this.spent[key] === 0 ? "" : ` (${formatCount(this.spent[key])} before this one)`;
        bag.report(code, span, [subject, formatCount(total), formatCount(this.limits[key])], `${limitHint(key)}${single}`);
        return false;
      }
    }
    for (const [key, amount] of Object.entries(amounts) as [FileTotal, number][]) this.spent[key] += amount;
    return true;
  }
}

/** Reports a size past a limit of one graph or network; true when within it. */
export function withinLimit(size: number, limit: number, code: DiagnosticCode, subject: string, span: Span, bag: DiagnosticBag, key: keyof Limits): boolean {
  if (size <= limit) return true;
  bag.report(code, span, [subject, formatCount(size), formatCount(limit)], limitHint(key));
  return false;
}

function limitHint(key: keyof Limits): string {
  return `compile(source, { limits: { ${key}: … } }) raises the limit`;
}

/** 1234567 as "1,234,567", and sizes too large to matter as "1.2e+21". */
export function formatCount(n: number): string {
  return Number.isFinite(n) && n < 1e15 ? Math.round(n).toLocaleString("en-US") : n.toExponential(1);
}
