import { layerSizes } from "../elaborate/layered.js";
import { sourceText } from "./arguments.js";
import { planView } from "./networks.js";
import type { ProgramVersion } from "./programs.js";

/**
 * A program's structure as lines, one fact a line and each line naming what
 * it belongs to, so that a line diff of two descriptions is a structural diff:
 * what `dsc diff --textconv` gives git (`diff.dsc.textconv`), for tools that
 * only diff text. Edges are listed in full, ordered by source then target.
 */
export function describeProgram(version: ProgramVersion): string[] {
  const lines: string[] = [];
  for (const declaration of version.declarations) {
    const { name } = declaration;
    const layered = version.program.graphs.get(name);
    if (layered === undefined) continue; // a cyclic graph only recurrent layers use has no layering
    lines.push(`graph ${name} = ${sourceText(declaration.source)}`, `graph ${name} layer sizes ${layerSizes(layered).join(" ")}`);
    const edges = layered.graph.mapEdges((_edge, _attributes, source, target): [number, number] => [Number(source), Number(target)]);
    for (const [s, t] of edges.sort((x, y) => x[0] - y[0] || x[1] - y[1])) lines.push(`graph ${name} edge ${s} -> ${t}`);
  }
  const plans = new Map(version.plans.map((plan) => [plan.network.name, plan]));
  for (const network of version.program.networks) {
    const view = planView(network, plans.get(network.name)!);
    const at = `network ${network.name}`;
    for (const [setting, value] of view.settings) lines.push(`${at} ${setting} ${value}`);
    for (const [layer, size] of view.layers) lines.push(`${at} layer ${layer} ${size} neurons`);
    for (const [block, { live, total }] of view.blocks) lines.push(`${at} block ${block} ${live} of ${total} live`);
  }
  return lines;
}
