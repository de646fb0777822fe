/**
 * Checked values as short text: what a diff shows for a setting or an
 * argument. Spans are dropped, so text that moved, was reformatted or gained
 * a comment renders the same.
 */

/** Where text was written (`span`, a selection's `spans`, a `unitSpan`): never part of what a value is. */
const isSpanKey = (key: string): boolean => key === "span" || key === "spans" || key.endsWith("Span");

/** `random(density=0.5, seed=3, layers=[dense1])` for `{ kind: "random", density: 0.5, seed: 3, layers: { names: ["dense1"] } }`. */
export function callText(head: string, fields: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(fields)
    .filter(([key, value]) => !isSpanKey(key) && value !== undefined && !isEmptySelection(value))
    .map(([key, value]) => `${key}=${valueText(value)}`);
  return `${head}(${parts.join(", ")})`;
}

/** A value of a checked program as text: lists in brackets, layer selections as their names, tagged objects as calls. */
export function valueText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(valueText).join(", ")}]`;
  if (value instanceof Uint32Array) return `[${[...value].join(", ")}]`;
  if (value === null || typeof value !== "object") return typeof value === "string" ? value : String(value);
  const record = value as Record<string, unknown>;
  if (isSelection(record)) return valueText(record.names);
  const { kind, ...rest } = record;
  // A bare word where the language writes one (`proportions=uniform`).
  if (typeof kind === "string" && Object.keys(rest).length === 0) return kind;
  return callText(typeof kind === "string" ? kind : "", rest);
}

/** A `layers=[…]` selection: its names and the spans they were written at. */
function isSelection(record: Record<string, unknown>): record is { names: readonly string[] } {
  return Array.isArray(record.names) && Object.keys(record).every((key) => key === "names" || isSpanKey(key));
}

/** An empty selection means every block: leaving it out reads as the .ds file does. */
function isEmptySelection(value: unknown): boolean {
  return typeof value === "object" && value !== null && isSelection(value as Record<string, unknown>) && (value as { names: readonly string[] }).names.length === 0;
}
