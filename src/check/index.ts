import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type {
  Argument,
  Call,
  EdgeList,
  GraphDeclaration,
  Identifier,
  NetworkDeclaration,
  Program,
  Setting,
  Value,
} from "../parse/ast.js";
import { generatedVertexCount, generatorRules, isGeneratorName, MAX_VERTICES, type ParameterRule } from "./generators.js";
import type {
  ActivationName,
  CheckedEdge,
  CheckedGraph,
  CheckedNetwork,
  CheckedProgram,
  GeneratorSource,
  GraphSource,
  Stage,
} from "./program.js";
import { didYouMean } from "./suggest.js";
import { describeValue, kindDescription, type ValueKind } from "./values.js";

export type { CheckedProgram } from "./program.js";

const ACTIVATIONS: readonly ActivationName[] = ["relu", "tanh", "sigmoid", "elu", "linear"];

/** Settings a network body may hold; `repeatable` ones add a stage each time. */
const SETTINGS = {
  input: { repeatable: false },
  output: { repeatable: false },
  dense: { repeatable: true },
  structure: { repeatable: true },
  activation: { repeatable: false },
  layer_norm: { repeatable: false },
} as const;
type SettingName = keyof typeof SETTINGS;

/**
 * Resolves names and checks every argument's kind and range. Reports all
 * problems it finds; declarations with errors are left out of the result, so
 * later passes only ever see well-formed input.
 */
export function check(program: Program): { program: CheckedProgram; diagnostics: Diagnostic[] } {
  const bag = new DiagnosticBag();
  const declared = new Map<string, { kind: "graph" | "network"; span: Span }>();
  // Factories are named create<Name>, so networks whose names differ only in
  // their first letter's case would clash in the emitted module.
  const factoryNames = new Map<string, Span>();
  for (const declaration of program.declarations) {
    const { name } = declaration;
    const kind = declaration.kind === "GraphDeclaration" ? "graph" : "network";
    const earlier = declared.get(name.name);
    const factory = capitalize(name.name);
    const clash = kind === "network" ? factoryNames.get(factory) : undefined;
    if (earlier !== undefined || clash !== undefined) {
      const first = (earlier ?? { span: clash as Span }).span.start;
      bag.report("DS2001", name.span, [name.name], `the first declaration is at line ${first.line}, column ${first.column}`);
      continue;
    }
    declared.set(name.name, { kind, span: name.span });
    if (kind === "network") factoryNames.set(factory, name.span);
  }

  const graphs: CheckedGraph[] = [];
  const seen = new Set<Identifier>();
  for (const declaration of program.declarations) {
    if (declaration.kind !== "GraphDeclaration" || !isFirstDeclaration(declaration.name, declared)) continue;
    seen.add(declaration.name);
    const source = checkGraph(declaration, bag);
    if (source !== undefined) graphs.push({ name: declaration.name.name, span: declaration.span, source });
  }
  const graphNames = new Set(graphs.map((g) => g.name));
  const allGraphNames = [...declared].filter(([, d]) => d.kind === "graph").map(([n]) => n);

  const networks: CheckedNetwork[] = [];
  for (const declaration of program.declarations) {
    if (declaration.kind !== "NetworkDeclaration" || !isFirstDeclaration(declaration.name, declared)) continue;
    const network = checkNetwork(declaration, { declared, graphNames, allGraphNames }, bag);
    if (network !== undefined) networks.push(network);
  }
  return { program: { graphs, networks }, diagnostics: bag.items };
}

function isFirstDeclaration(name: Identifier, declared: Map<string, { span: Span }>): boolean {
  return declared.get(name.name)?.span === name.span;
}

function checkGraph(declaration: GraphDeclaration, bag: DiagnosticBag): GraphSource | undefined {
  const { value } = declaration;
  return value.kind === "EdgeList" ? checkEdgeList(declaration.name.name, value, bag) : checkGeneratorCall(value, bag);
}

function checkGeneratorCall(call: Call, bag: DiagnosticBag): GeneratorSource | undefined {
  const generator = call.callee.name;
  if (!isGeneratorName(generator)) {
    bag.report("DS2002", call.callee.span, [generator], didYouMean(generator, Object.keys(generatorRules)));
    return undefined;
  }
  const args = resolveArguments(call, generatorRules[generator], bag);
  if (args === undefined) return undefined;
  if (generator === "watts_strogatz" && (args["k"] as number) >= (args["n"] as number)) {
    const k = call.args.find((a, i) => (a.name?.name ?? generatorRules.watts_strogatz[i]?.name) === "k");
    bag.report("DS2006", (k ?? call).span, ["k", `less than n (${args["n"]})`, args["k"] as number], "each vertex joins k // 2 neighbours on each side of a ring of n");
    return undefined;
  }
  const vertices = generatedVertexCount(generator, args);
  if (vertices > MAX_VERTICES) {
    bag.report("DS2021", call.span, [generator, vertices.toExponential(2), MAX_VERTICES]);
    return undefined;
  }
  // The rule table fixes which keys exist and their kinds, so this cast is the table's promise.
  return { kind: "generator", generator, args } as unknown as GeneratorSource;
}

/** Matches positional and named arguments to a parameter list, checking each one. */
function resolveArguments(
  call: Call,
  rules: readonly ParameterRule[],
  bag: DiagnosticBag,
): Record<string, number | boolean> | undefined {
  const callee = call.callee.name;
  const given = new Map<string, Argument>();
  let ok = true;
  let sawNamed = false;
  call.args.forEach((argument, position) => {
    if (argument.name === undefined) {
      if (sawNamed) {
        bag.report("DS2011", argument.span, [], "name this argument too, e.g. p=0.5");
        ok = false;
        return;
      }
      const rule = rules[position];
      if (rule === undefined) {
        bag.report("DS2010", argument.span, [callee, `at most ${rules.length}`, call.args.length], `its parameters are ${rules.map((r) => r.name).join(", ")}`);
        ok = false;
        return;
      }
      given.set(rule.name, argument);
      return;
    }
    sawNamed = true;
    const name = argument.name.name;
    if (!rules.some((r) => r.name === name)) {
      bag.report("DS2008", argument.name.span, [callee, name], didYouMean(name, rules.map((r) => r.name)));
      ok = false;
    } else if (given.has(name)) {
      bag.report("DS2009", argument.span, [name]);
      ok = false;
    } else {
      given.set(name, argument);
    }
  });

  const values: Record<string, number | boolean> = {};
  for (const rule of rules) {
    const argument = given.get(rule.name);
    if (argument === undefined) {
      if (rule.default === undefined) {
        bag.report("DS2007", call.span, [callee, rule.name], `write ${callee}(${rules.map((r) => `${r.name}=…`).join(", ")})`);
        ok = false;
      } else {
        values[rule.name] = rule.default;
      }
      continue;
    }
    const value = checkScalar(rule.name, argument.value, rule.kind, rule, bag);
    if (value === undefined) ok = false;
    else values[rule.name] = value;
  }
  return ok ? values : undefined;
}

interface Range {
  readonly min?: number;
  readonly max?: number;
}

/** Checks one scalar value's kind and range; reports and returns undefined when it is wrong. */
function checkScalar(name: string, value: Value, kind: ValueKind, range: Range, bag: DiagnosticBag): number | boolean | undefined {
  if (kind === "boolean") {
    if (value.kind === "BooleanLiteral") return value.value;
    bag.report("DS2005", value.span, [name, kindDescription.boolean, describeValue(value)]);
    return undefined;
  }
  if (value.kind !== "NumberLiteral" || (kind === "integer" && !Number.isInteger(value.value))) {
    bag.report("DS2005", value.span, [name, kindDescription[kind], describeValue(value)]);
    return undefined;
  }
  const { min, max } = range;
  const tooSmall = min !== undefined && value.value < min;
  const tooLarge = max !== undefined && value.value > max;
  if (tooSmall || tooLarge) {
    bag.report("DS2006", value.span, [name, describeRange(range), value.raw]);
    return undefined;
  }
  return value.value;
}

function describeRange({ min, max }: Range): string {
  if (min !== undefined && max !== undefined) return `between ${min} and ${max}`;
  if (min !== undefined) return min === 1 ? "positive" : `at least ${min}`;
  return `at most ${max}`;
}

function checkEdgeList(graph: string, list: EdgeList, bag: DiagnosticBag): GraphSource | undefined {
  if (list.edges.length === 0) {
    bag.report("DS2015", list.span, [graph], "list at least one edge, e.g. edges { 0 -> 1 }");
    return undefined;
  }
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
    const source = checkScalar("vertex", edge.source, "integer", { min: 0 }, bag);
    const target = checkScalar("vertex", edge.target, "integer", { min: 0 }, bag);
    if (typeof source !== "number" || typeof target !== "number") {
      ok = false;
      continue;
    }
    if (source === target) {
      bag.report("DS2019", edge.span, [graph, source], "a network cannot feed a neuron into itself");
      ok = false;
      continue;
    }
    const key = edge.directed ? `${source}->${target}` : `${Math.min(source, target)}--${Math.max(source, target)}`;
    if (seen.has(key)) {
      bag.report("DS2020", edge.span, [key, graph]);
      continue;
    }
    seen.add(key);
    edges.push({ source, target, span: edge.span });
  }
  return ok ? { kind: "edges", directed: first.directed, edges } : undefined;
}

interface Scope {
  readonly declared: ReadonlyMap<string, { kind: "graph" | "network" }>;
  /** Graphs that passed their own checks. */
  readonly graphNames: ReadonlySet<string>;
  readonly allGraphNames: readonly string[];
}

function checkNetwork(declaration: NetworkDeclaration, scope: Scope, bag: DiagnosticBag): CheckedNetwork | undefined {
  const networkName = declaration.name.name;
  const errorsBefore = bag.items.filter((d) => d.severity === "error").length;
  const firstOf = new Map<SettingName, Setting>();
  let inputShape: number[] | undefined;
  let outputSize: number | undefined;
  let activation: ActivationName = "relu";
  let layerNorm = false;
  const stages: Stage[] = [];
  let brokenReference = false;

  for (const setting of declaration.settings) {
    const key = setting.key.name;
    if (!Object.hasOwn(SETTINGS, key)) {
      bag.report("DS2004", setting.key.span, [key, networkName], didYouMean(key, Object.keys(SETTINGS)));
      continue;
    }
    const name = key as SettingName;
    if (!SETTINGS[name].repeatable && firstOf.has(name)) {
      const first = firstOf.get(name)!.span.start;
      bag.report("DS2014", setting.key.span, [key, networkName], `it is first set at line ${first.line}`);
      continue;
    }
    firstOf.set(name, setting);
    const { value } = setting;
    switch (name) {
      case "input":
        inputShape = checkSizes(key, value, bag);
        break;
      case "output": {
        const size = checkScalar(key, value, "integer", { min: 1 }, bag);
        if (typeof size === "number") outputSize = size;
        break;
      }
      case "dense":
        for (const size of checkSizes(key, value, bag) ?? []) stages.push({ kind: "dense", size, span: setting.span });
        break;
      case "structure": {
        const graph = checkGraphReference(value, scope, bag);
        if (graph === undefined) brokenReference = true;
        else stages.push({ kind: "structure", graph, span: setting.span });
        break;
      }
      case "activation":
        if (value.kind === "NameReference" && (ACTIVATIONS as readonly string[]).includes(value.name)) {
          activation = value.name as ActivationName;
        } else if (value.kind === "NameReference") {
          bag.report("DS2017", value.span, [value.name], didYouMean(value.name, ACTIVATIONS));
        } else {
          bag.report("DS2005", value.span, [key, `one of ${ACTIVATIONS.join(", ")}`, describeValue(value)]);
        }
        break;
      case "layer_norm": {
        const on = checkScalar(key, value, "boolean", {}, bag);
        if (typeof on === "boolean") layerNorm = on;
        break;
      }
    }
  }
  if (!firstOf.has("input")) {
    bag.report("DS2012", declaration.name.span, [networkName], "add a line such as: input 784  or  input [1, 28, 28]");
  }
  if (!firstOf.has("output")) {
    bag.report("DS2013", declaration.name.span, [networkName], "add a line such as: output 10");
  }
  const errorsAfter = bag.items.filter((d) => d.severity === "error").length;
  if (errorsAfter > errorsBefore || brokenReference || inputShape === undefined || outputSize === undefined) return undefined;
  return { name: networkName, span: declaration.span, inputShape, stages, outputSize, activation, layerNorm };
}

/** A positive integer, or a non-empty list of them (a shape, or several dense layers). */
function checkSizes(key: string, value: Value, bag: DiagnosticBag): number[] | undefined {
  const items = value.kind === "ListLiteral" ? value.items : [value];
  if (value.kind === "ListLiteral" && items.length === 0) {
    bag.report("DS2005", value.span, [key, "a positive integer or a list of them", "an empty list"]);
    return undefined;
  }
  const sizes: number[] = [];
  for (const item of items) {
    const size = checkScalar(key, item, "integer", { min: 1 }, bag);
    if (typeof size !== "number") return undefined;
    sizes.push(size);
  }
  return sizes;
}

function checkGraphReference(value: Value, scope: Scope, bag: DiagnosticBag): string | undefined {
  if (value.kind !== "NameReference") {
    bag.report("DS2005", value.span, ["structure", "the name of a graph", describeValue(value)]);
    return undefined;
  }
  const declared = scope.declared.get(value.name);
  if (declared === undefined) {
    bag.report("DS2003", value.span, [value.name], scope.allGraphNames.length > 0 ? didYouMean(value.name, scope.allGraphNames) : "declare it first: graph NAME = balanced_tree(r=2, h=3)");
    return undefined;
  }
  if (declared.kind !== "graph") {
    bag.report("DS2005", value.span, ["structure", "the name of a graph", `network '${value.name}'`]);
    return undefined;
  }
  // A graph with its own errors was reported already; the network is dropped without a second message.
  return scope.graphNames.has(value.name) ? value.name : undefined;
}

function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
