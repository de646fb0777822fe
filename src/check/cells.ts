/**
 * Cell networks (deepstruct's DeepCellDAN): `cell NAME = [conv(…), batch_norm(), …]`
 * declares the layers every vertex runs, and a network's `cells NAME` turns
 * the vertices of its `structure` into such cells. Here: each cell's layers
 * (feature layers that keep maps), and the network's `cells` and `head`
 * settings. Shapes depend on the graph, so lower checks them per vertex.
 */
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { CellDeclaration, Value } from "../parse/ast.js";
import { checkFeatureList, type CheckedFeature } from "./features.js";
import type { Stage } from "./program.js";
import { didYouMean } from "./suggest.js";
import { describeValue } from "./values.js";

export interface CheckedCell {
  readonly name: string;
  readonly span: Span;
  readonly layers: readonly CheckedFeature[];
}

/** Layers that end a stack of maps: the head pools, and nothing flattens between cells. */
const MAP_ENDING = new Set(["global_avg_pool", "flatten"]);

export function checkCellDeclaration(declaration: CellDeclaration, bag: DiagnosticBag): CheckedCell | undefined {
  const { value, name } = declaration;
  let ok = true;
  for (const item of value.items) {
    if (item.kind !== "Call" || !MAP_ENDING.has(item.callee.name)) continue;
    bag.report("DS2070", item.span, [`${item.callee.name}()`], "the cell network's head pools the sinks' maps; leave it out of the cell");
    ok = false;
  }
  const layers = ok ? checkFeatureList(value, bag) : undefined;
  if (layers === undefined) return undefined;
  if (!layers.some((l) => l.layer.kind === "conv")) {
    bag.report("DS2071", name.span, [name.name], "add a conv, e.g. [conv(8, kernel=3, padding=same), batch_norm()]");
    return undefined;
  }
  return { name: name.name, span: declaration.span, layers };
}

/** A network's cell network as checked: its cell, its graph (the structure), the head's channels, and where `cells` was written. */
export interface CheckedCells {
  readonly cell: CheckedCell;
  readonly graph: string;
  readonly head: number;
  readonly span: Span;
}

/** The head's 1×1 conv width when `head` is not set. */
export const DEFAULT_HEAD_CHANNELS = 64;

/** The cell a `cells NAME` setting names, or undefined after reporting. */
export function checkCellReference(value: Value, cells: ReadonlyMap<string, CheckedCell>, declaredCells: readonly string[], bag: DiagnosticBag): CheckedCell | undefined {
  if (value.kind !== "NameReference") {
    bag.report("DS2005", value.span, ["cells", "the name of a cell", describeValue(value)]);
    return undefined;
  }
  const cell = cells.get(value.name);
  if (cell !== undefined) return cell;
  // A cell declared with errors of its own was reported already.
  if (!declaredCells.includes(value.name))
    bag.report(
      "DS2072",
      value.span,
      [value.name],
      declaredCells.length > 0 ? didYouMean(value.name, declaredCells) : "declare it: cell NAME = [conv(8, kernel=3, padding=same), batch_norm()]",
    );
  return undefined;
}

/**
 * The structure the cells sit on: the network's one structure, written
 * before its dense layers (those come after the head). Returns the stages
 * left for the dense part, or undefined after reporting.
 */
export function cellStructure(networkName: string, stages: readonly Stage[], span: Span, bag: DiagnosticBag): { graph: string; rest: Stage[] } | undefined {
  const [first, ...rest] = stages;
  if (first?.kind !== "structure" || rest.some((s) => s.kind === "structure")) {
    bag.report("DS2073", span, [networkName], "write one line such as: structure smallWorld");
    return undefined;
  }
  return { graph: first.graph, rest };
}
