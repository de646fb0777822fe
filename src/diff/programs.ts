import type { CheckedGraph } from "../check/program.js";
import type { ElaboratedProgram } from "../elaborate/program.js";
import type { KernelPlan } from "../fuse/plan.js";
import { diffGraph, type GraphVersion } from "./graphs.js";
import { DEFAULT_LIMIT } from "./listed.js";
import { diffNetwork, planView, summary, type NetworkView } from "./networks.js";
import type { GraphDiff, NetworkDiff, ProgramDiff } from "./types.js";

/** One side of a diff of `.ds` files: its checked graph declarations, its built graphs and networks, and their plans. */
export interface ProgramVersion {
  readonly declarations: readonly CheckedGraph[];
  readonly program: ElaboratedProgram;
  readonly plans: readonly KernelPlan[];
}

export interface DiffOptions {
  /** Items listed per kind (vertices, edges, blocks); the counts are always whole. Default 20. */
  readonly limit?: number;
}

/** What differs in structure between two programs: graphs and networks matched by name. */
export function diffPrograms(a: ProgramVersion, b: ProgramVersion, options: DiffOptions = {}): ProgramDiff {
  const limit = options.limit ?? DEFAULT_LIMIT;
  const graphsA = graphVersions(a);
  const graphsB = graphVersions(b);
  const networksA = networkViews(a);
  const networksB = networkViews(b);
  return {
    format: "dsc-diff",
    version: 1,
    kind: "programs",
    graphs: { added: onlyIn(graphsB, graphsA), removed: onlyIn(graphsA, graphsB), changed: matched(graphsA, graphsB, (x, y) => diffGraph(x, y, limit)) },
    networks: {
      added: onlyIn(networksB, networksA).map((name) => summary(networksB.get(name)!)),
      removed: onlyIn(networksA, networksB).map((name) => summary(networksA.get(name)!)),
      changed: matched(networksA, networksB, (x, y): NetworkDiff | undefined => diffNetwork(x, y, limit)),
    },
  };
}

/** True when a diff found nothing: the two files describe the same structure. */
export function isEmptyDiff(diff: ProgramDiff): boolean {
  const { graphs, networks } = diff;
  return [graphs.added, graphs.removed, graphs.changed, networks.added, networks.removed, networks.changed].every((list) => list.length === 0);
}

function graphVersions(version: ProgramVersion): Map<string, GraphVersion> {
  const built = version.program.graphs;
  // A graph only recurrent layers use may have cycles, so it has no layering to compare; it is left out.
  return new Map(version.declarations.flatMap((declaration) => (built.has(declaration.name) ? [[declaration.name, { declaration, layered: built.get(declaration.name)! }]] : [])));
}

function networkViews(version: ProgramVersion): Map<string, NetworkView> {
  const plans = new Map(version.plans.map((plan) => [plan.network.name, plan]));
  return new Map(version.program.networks.map((network) => [network.name, planView(network, plans.get(network.name)!)]));
}

function onlyIn(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): string[] {
  return [...a.keys()].filter((name) => !b.has(name));
}

/** The diffs of the entries both maps hold, in `b`'s order, leaving out those without differences. */
function matched<V, D extends GraphDiff | NetworkDiff>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>, diff: (x: V, y: V) => D | undefined): D[] {
  return [...b].flatMap(([name, y]) => {
    const x = a.get(name);
    const found = x === undefined ? undefined : diff(x, y);
    return found === undefined ? [] : [found];
  });
}
