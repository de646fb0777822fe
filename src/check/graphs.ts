import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { Call, EdgeList, GraphDeclaration, NumberLiteral, Value } from "../parse/ast.js";
import { checkScalar, resolveArguments, type ArgumentValue, type ParameterRule } from "./arguments.js";
import { generatedSize, generatorRules, isGeneratorName } from "./generators.js";
import { MAX_VERTEX_ID, withinLimit, type Limits } from "./limits.js";
import type { CheckedEdge, GeneratorSource, GraphSource, OrientationRule, Proportions } from "./program.js";
import { didYouMean } from "./suggest.js";
import { describeValue } from "./values.js";

const graphParameter = (name: string): ParameterRule => ({ name, kind: "custom" });
const seed: ParameterRule = { name: "seed", kind: "integer", min: 0, default: 0 };

/** Operations that make a graph from files or from other graphs. */
const operationRules = {
  file: [{ name: "path", kind: "string" }],
  orient: [
    graphParameter("graph"),
    { name: "rule", kind: "choice", choices: ["index", "bfs", "random"], default: "index" },
    { name: "roots", kind: "integers", min: 0, default: [0] },
    seed,
  ],
  scalable: [graphParameter("graph"), { name: "scale", kind: "integer", min: 1 }, { name: "proportions", kind: "custom", default: "uniform" }],
  append: [graphParameter("bottom"), graphParameter("top")],
} as const satisfies Record<string, readonly ParameterRule[]>;
type OperationName = keyof typeof operationRules;

const dirichletRules: readonly ParameterRule[] = [{ name: "alpha", kind: "number", min: Number.MIN_VALUE }, seed];

/** Graphs checked so far, by name: a graph may use those declared above it. */
export interface GraphScope {
  readonly checked: ReadonlyMap<string, GraphSource>;
  /** Graphs already looked at, whether or not they passed. */
  readonly attempted: ReadonlySet<string>;
  /** Every name declared as a graph, anywhere in the file. */
  readonly declaredGraphs: ReadonlySet<string>;
  readonly networks: ReadonlySet<string>;
  readonly limits: Limits;
}

export function checkGraphDeclaration(declaration: GraphDeclaration, scope: GraphScope, bag: DiagnosticBag): GraphSource | undefined {
  const { value } = declaration;
  return value.kind === "EdgeList" ? checkEdgeList(declaration.name.name, value, scope.limits, bag) : checkGraphCall(value, scope, bag);
}

/** A graph written as an argument: the name of a graph declared above, or a generator or operation call. */
function checkGraphValue(parameter: string, value: Value, scope: GraphScope, bag: DiagnosticBag): GraphSource | undefined {
  if (value.kind === "Call") return checkGraphCall(value, scope, bag);
  if (value.kind !== "NameReference") {
    bag.report("DS2005", value.span, [parameter, "a graph's name or a generator call", describeValue(value)]);
    return undefined;
  }
  const source = scope.checked.get(value.name);
  if (source !== undefined) return source;
  if (scope.networks.has(value.name)) {
    bag.report("DS2005", value.span, [parameter, "a graph", `network '${value.name}'`]);
  } else if (scope.declaredGraphs.has(value.name)) {
    // Declared with errors of its own (reported already), or further down the file.
    if (!scope.attempted.has(value.name)) bag.report("DS2003", value.span, [value.name], `declare '${value.name}' above the graph that uses it`);
  } else {
    bag.report("DS2003", value.span, [value.name], didYouMean(value.name, scope.declaredGraphs));
  }
  return undefined;
}

function checkGraphCall(call: Call, scope: GraphScope, bag: DiagnosticBag): GraphSource | undefined {
  const name = call.callee.name;
  if (isGeneratorName(name)) return checkGeneratorCall(call, name, scope.limits, bag);
  if (Object.hasOwn(operationRules, name)) return checkOperation(call, name as OperationName, scope, bag);
  bag.report("DS2002", call.callee.span, [name], didYouMean(name, [...Object.keys(generatorRules), ...Object.keys(operationRules)]));
  return undefined;
}

function checkGeneratorCall(call: Call, generator: GeneratorSource["generator"], limits: Limits, bag: DiagnosticBag): GeneratorSource | undefined {
  const args = resolveArguments(call, generatorRules[generator], bag);
  if (args === undefined) return undefined;
  const argumentSpan = (parameter: string): Span => (call.args.find((a, i) => (a.name?.name ?? generatorRules[generator][i]?.name) === parameter) ?? call).span;
  const n = args["n"] as number;
  if ((generator === "watts_strogatz" || generator === "newman_watts_strogatz") && (args["k"] as number) >= n) {
    bag.report("DS2006", argumentSpan("k"), ["k", `less than n (${n})`, args["k"] as number], "each vertex joins k // 2 neighbours on each side of a ring of n");
    return undefined;
  }
  if (generator === "barabasi_albert" && (args["m"] as number) >= n) {
    bag.report("DS2006", argumentSpan("m"), ["m", `less than n (${n})`, args["m"] as number], "each new vertex joins m of the vertices before it");
    return undefined;
  }
  if (generator === "random_dag" && (args["layers"] as number) > n) {
    bag.report("DS2006", argumentSpan("layers"), ["layers", `at most n (${n})`, args["layers"] as number], "every layer holds at least one vertex");
    return undefined;
  }
  const size = generatedSize(generator, args);
  const subject = `${generator}(…)`;
  const fits =
    withinLimit(size.vertices, limits.vertices, "DS2021", subject, call.span, bag, "vertices") &&
    withinLimit(size.edges, limits.edges, "DS2026", subject, call.span, bag, "edges") &&
    withinLimit(size.pairs, limits.pairs, "DS2028", subject, call.span, bag, "pairs");
  if (!fits) return undefined;
  // The rule table fixes which keys exist and their kinds, so this cast is the table's promise.
  return { kind: "generator", generator, args, span: call.span } as unknown as GeneratorSource;
}

function checkOperation(call: Call, operation: OperationName, scope: GraphScope, bag: DiagnosticBag): GraphSource | undefined {
  const args = resolveArguments(call, operationRules[operation], bag);
  if (args === undefined) return undefined;
  const graph = (parameter: string): GraphSource | undefined => checkGraphValue(parameter, args[parameter] as Value, scope, bag);
  switch (operation) {
    case "file":
      return { kind: "file", path: args["path"] as string, span: call.span };
    case "orient": {
      const inner = graph("graph");
      return inner && { kind: "orient", graph: inner, rule: args["rule"] as OrientationRule, roots: args["roots"] as number[], seed: args["seed"] as number, span: call.span };
    }
    case "scalable": {
      const inner = graph("graph");
      const proportions = checkProportions(args["proportions"]!, bag);
      if (!withinLimit(args["scale"] as number, scope.limits.neurons, "DS2029", "scalable(…)", call.span, bag, "neurons")) return undefined;
      return inner && proportions && { kind: "scalable", graph: inner, scale: args["scale"] as number, proportions, span: call.span };
    }
    case "append": {
      const bottom = graph("bottom");
      const top = graph("top");
      return bottom && top && { kind: "append", bottom, top, span: call.span };
    }
  }
}

/** `uniform`, a list of positive weights (normalised), or `dirichlet(alpha, seed)`. */
function checkProportions(value: ArgumentValue, bag: DiagnosticBag): Proportions | undefined {
  if (value === "uniform") return { kind: "uniform" };
  const v = value as Value;
  if (v.kind === "NameReference" && v.name === "uniform") return { kind: "uniform" };
  if (v.kind === "ListLiteral") {
    const values: number[] = [];
    for (const item of v.items) {
      const weight = checkScalar("proportions", item, "number", { min: Number.MIN_VALUE }, bag);
      if (typeof weight !== "number") return undefined;
      values.push(weight);
    }
    return { kind: "explicit", values };
  }
  if (v.kind === "Call" && v.callee.name === "dirichlet") {
    const args = resolveArguments(v, dirichletRules, bag);
    return args && { kind: "dirichlet", alpha: args["alpha"] as number, seed: args["seed"] as number };
  }
  bag.report("DS2005", v.span, ["proportions", "uniform, a list of weights or dirichlet(alpha, seed)", describeValue(v)]);
  return undefined;
}

function checkEdgeList(graph: string, list: EdgeList, limits: Limits, bag: DiagnosticBag): GraphSource | undefined {
  if (list.edges.length === 0) {
    bag.report("DS2015", list.span, [graph], "list at least one edge, e.g. edges { 0 -> 1 }");
    return undefined;
  }
  if (!withinLimit(list.edges.length, limits.edges, "DS2026", `graph '${graph}'`, list.span, bag, "edges")) return undefined;
  const first = list.edges[0]!;
  let ok = true;
  const edges: CheckedEdge[] = [];
  const seen = new Set<string>();
  for (const edge of list.edges) {
    if (edge.directed !== first.directed) {
      bag.report("DS2016", edge.span, [graph], `the first edge uses '${first.directed ? "->" : "--"}'; use it throughout`);
      ok = false;
      continue;
    }
    const source = checkVertexId(edge.source, bag);
    const target = checkVertexId(edge.target, bag);
    if (typeof source !== "number" || typeof target !== "number") {
      ok = false;
      continue;
    }
    // A self-loop is kept here: recurrent layers take it (a neuron feeding itself), structures are refused it in elaborate (DS2019).
    const key = edge.directed ? `${source}->${target}` : `${Math.min(source, target)}--${Math.max(source, target)}`;
    if (seen.has(key)) {
      bag.report("DS2020", edge.span, [key, graph]);
      continue;
    }
    seen.add(key);
    edges.push({ source, target, span: edge.span });
  }
  return ok ? { kind: "edges", directed: first.directed, edges, span: list.span } : undefined;
}

function checkVertexId(value: NumberLiteral, bag: DiagnosticBag): number | undefined {
  const id = checkScalar("vertex", value, "integer", { min: 0 }, bag);
  if (typeof id !== "number" || id <= MAX_VERTEX_ID) return id as number | undefined;
  bag.report("DS2035", value.span, [value.raw, MAX_VERTEX_ID]);
  return undefined;
}
