import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { Identifier, NetworkDeclaration, Program, Setting, Value } from "../parse/ast.js";
import { checkScalar } from "./arguments.js";
import { checkRecurrent, checkRecurrentInput, type CheckedRecurrent } from "./recurrent.js";
import { checkFeatureList, checkFeatureShapes, type CheckedFeature } from "./features.js";
import { cellStructure, checkCellDeclaration, checkCellReference, DEFAULT_HEAD_CHANNELS, type CheckedCell, type CheckedCells } from "./cells.js";
import { DEFAULT_LIMITS, type Limits } from "./limits.js";
import { checkDataDeclaration } from "./data.js";
import { checkGraphDeclaration } from "./graphs.js";
import { checkGrowth, checkMaskPolicy, checkPruneSchedule } from "./policies.js";
import type { CheckedDataset, CheckedGraph, CheckedNetwork, CheckedProgram, CheckedSchedule, GraphSource, MaskPolicy, Stage } from "./program.js";
import { didYouMean } from "./suggest.js";
import type { ActivationName, Execution } from "../../runtime/spec.js";
import { describeValue } from "./values.js";

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
  mask: { repeatable: true },
  grow: { repeatable: false },
  execution: { repeatable: false },
  prune: { repeatable: true },
  features: { repeatable: true },
  recurrent: { repeatable: false },
  cells: { repeatable: false },
  head: { repeatable: false },
} as const;
type SettingName = keyof typeof SETTINGS;

/**
 * Resolves names and checks every argument's kind and range. Reports all
 * problems it finds; declarations with errors are left out of the result, so
 * later passes only ever see well-formed input.
 */
export function check(program: Program, limits: Limits = DEFAULT_LIMITS): { program: CheckedProgram; diagnostics: Diagnostic[] } {
  const bag = new DiagnosticBag();
  const declared = new Map<string, { kind: DeclarationKind; span: Span }>();
  // Factories are named create<Name>, so networks whose names differ only in
  // their first letter's case would clash in the emitted module.
  const factoryNames = new Map<string, Span>();
  for (const declaration of program.declarations) {
    const { name } = declaration;
    const kind = DECLARATION_KINDS[declaration.kind];
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
  const allGraphNames = [...declared].filter(([, d]) => d.kind === "graph").map(([n]) => n);
  const checked = new Map<string, GraphSource>();
  const attempted = new Set<string>();
  const networkNames = new Set([...declared].filter(([, d]) => d.kind === "network").map(([n]) => n));
  const declaredGraphs = new Set(allGraphNames);
  for (const declaration of program.declarations) {
    if (declaration.kind !== "GraphDeclaration" || !isFirstDeclaration(declaration.name, declared)) continue;
    const source = checkGraphDeclaration(declaration, { checked, attempted, declaredGraphs, networks: networkNames, limits }, bag);
    attempted.add(declaration.name.name);
    if (source === undefined) continue;
    checked.set(declaration.name.name, source);
    graphs.push({ name: declaration.name.name, span: declaration.span, source });
  }
  const graphNames = new Set(graphs.map((g) => g.name));

  const cells = new Map<string, CheckedCell>();
  for (const declaration of program.declarations) {
    if (declaration.kind !== "CellDeclaration" || !isFirstDeclaration(declaration.name, declared)) continue;
    const cell = checkCellDeclaration(declaration, bag);
    if (cell !== undefined) cells.set(cell.name, cell);
  }
  const allCellNames = [...declared].filter(([, d]) => d.kind === "cell").map(([n]) => n);

  const networks: CheckedNetwork[] = [];
  for (const declaration of program.declarations) {
    if (declaration.kind !== "NetworkDeclaration" || !isFirstDeclaration(declaration.name, declared)) continue;
    const network = checkNetwork(declaration, { declared, graphNames, allGraphNames, cells, allCellNames, limits }, bag);
    if (network !== undefined) networks.push(network);
  }
  return { program: { graphs, networks, datasets: checkDatasets(program, declared, bag) }, diagnostics: bag.items };
}

const DECLARATION_KINDS = { GraphDeclaration: "graph", NetworkDeclaration: "network", DataDeclaration: "data", CellDeclaration: "cell" } as const;
type DeclarationKind = (typeof DECLARATION_KINDS)[keyof typeof DECLARATION_KINDS];

function checkDatasets(program: Program, declared: Map<string, { span: Span }>, bag: DiagnosticBag): CheckedDataset[] {
  const datasets: CheckedDataset[] = [];
  for (const declaration of program.declarations) {
    if (declaration.kind !== "DataDeclaration" || !isFirstDeclaration(declaration.name, declared)) continue;
    const source = checkDataDeclaration(declaration, bag);
    if (source !== undefined) datasets.push({ name: declaration.name.name, span: declaration.span, source });
  }
  return datasets;
}

function isFirstDeclaration(name: Identifier, declared: Map<string, { span: Span }>): boolean {
  return declared.get(name.name)?.span === name.span;
}

interface Scope {
  readonly declared: ReadonlyMap<string, { kind: DeclarationKind }>;
  /** Graphs that passed their own checks. */
  readonly graphNames: ReadonlySet<string>;
  readonly allGraphNames: readonly string[];
  /** Cells that passed their own checks, and every name declared as a cell. */
  readonly cells: ReadonlyMap<string, CheckedCell>;
  readonly allCellNames: readonly string[];
  readonly limits: Limits;
}

function checkNetwork(declaration: NetworkDeclaration, scope: Scope, bag: DiagnosticBag): CheckedNetwork | undefined {
  const networkName = declaration.name.name;
  const errorsBefore = bag.errorCount;
  const firstOf = new Map<SettingName, Setting>();
  let inputShape: number[] | undefined;
  let outputSize: number | undefined;
  let activation: ActivationName = "relu";
  let layerNorm = false;
  const stages: Stage[] = [];
  const masks: MaskPolicy[] = [];
  const pruning: CheckedSchedule[] = [];
  let growth: CheckedNetwork["growth"];
  let execution: Execution | undefined;
  let brokenReference = false;
  const features: CheckedFeature[] = [];
  let recurrent: CheckedRecurrent | undefined;
  let cell: CheckedCell | undefined;
  let head: number | undefined;

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
        inputShape = checkSizes(key, value, scope.limits.neurons, scope.allGraphNames, bag);
        break;
      case "output": {
        const size = checkScalar(key, value, "integer", { min: 1, max: scope.limits.neurons }, bag);
        if (typeof size === "number") outputSize = size;
        break;
      }
      case "dense":
        for (const size of checkSizes(key, value, scope.limits.neurons, scope.allGraphNames, bag) ?? []) stages.push({ kind: "dense", size, span: setting.span });
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
      case "mask": {
        const policy = checkMaskPolicy(value, bag);
        if (policy) masks.push(policy);
        break;
      }
      case "grow":
        growth = checkGrowth(value, bag);
        break;
      case "execution": {
        const choices = ["auto", "dense", "sparse"] as const satisfies readonly Execution[];
        if (value.kind === "NameReference" && (choices as readonly string[]).includes(value.name)) execution = value.name as Execution;
        else bag.report("DS2005", value.span, [key, "auto, dense or sparse", describeValue(value)], value.kind === "NameReference" ? didYouMean(value.name, choices) : undefined);
        break;
      }
      case "features": {
        if (stages.length > 0) bag.report("DS2051", setting.key.span, [networkName], "features transform the input; write them right after it");
        features.push(...(checkFeatureList(value, bag) ?? []));
        break;
      }
      case "recurrent": {
        if (stages.length > 0) bag.report("DS2059", setting.key.span, [networkName], "the recurrent layers read the input sequence; write them right after it");
        recurrent = checkRecurrent(value, scope, bag);
        if (recurrent === undefined) brokenReference = true;
        break;
      }
      case "cells":
        cell = checkCellReference(value, scope.cells, scope.allCellNames, bag);
        if (cell === undefined) brokenReference = true;
        break;
      case "head": {
        const size = checkScalar(key, value, "integer", { min: 1, max: 4096 }, bag);
        if (typeof size === "number") head = size;
        break;
      }
      case "prune": {
        const schedule = checkPruneSchedule(value, bag);
        if (schedule) pruning.push(schedule);
        break;
      }
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
  const featureSize =
    features.length > 0 && inputShape !== undefined && bag.errorCount === errorsBefore
      ? checkFeatureShapes(networkName, inputShape, firstOf.get("input")!.value.span, features, bag)
      : undefined;
  if (recurrent !== undefined && features.length > 0) bag.report("DS2060", firstOf.get("recurrent")!.key.span, [networkName]);
  if (recurrent !== undefined && inputShape !== undefined && bag.errorCount === errorsBefore) {
    checkRecurrentInput(networkName, inputShape, firstOf.get("input")!.value.span, recurrent, bag);
  }
  const cells = cellNetwork(networkName, { cell, head, stages, firstOf, inputShape, hasFeatures: features.length > 0 }, bag);
  const errorsAfter = bag.errorCount;
  if (errorsAfter > errorsBefore || brokenReference || inputShape === undefined || outputSize === undefined) return undefined;
  return {
    name: networkName,
    span: declaration.span,
    inputShape,
    stages: cells?.stages ?? stages,
    outputSize,
    activation,
    layerNorm,
    masks,
    pruning,
    ...(growth ? { growth } : {}),
    ...(execution ? { execution } : {}),
    ...(featureSize !== undefined ? { features: { layers: features, outputSize: featureSize } } : {}),
    ...(recurrent !== undefined ? { recurrent } : {}),
    ...(cells ? { cells: cells.cells } : {}),
  };
}

interface CellSettings {
  readonly cell: CheckedCell | undefined;
  readonly head: number | undefined;
  readonly stages: readonly Stage[];
  readonly firstOf: ReadonlyMap<SettingName, Setting>;
  readonly inputShape: readonly number[] | undefined;
  readonly hasFeatures: boolean;
}

/** The network's cell network from its `cells`, `head` and `structure` lines, with the stages left after it; undefined without one or after reporting. */
function cellNetwork(networkName: string, settings: CellSettings, bag: DiagnosticBag): { cells: CheckedCells; stages: Stage[] } | undefined {
  const { cell, firstOf, inputShape } = settings;
  const cellsSetting = firstOf.get("cells");
  if (cellsSetting === undefined) {
    const headSetting = firstOf.get("head");
    if (headSetting !== undefined) bag.report("DS2074", headSetting.key.span, [networkName], "add a line such as: cells block");
    return undefined;
  }
  if (cell === undefined) return undefined;
  if (firstOf.has("recurrent")) {
    bag.report("DS2005", cellsSetting.key.span, ["cells", "a network without recurrent layers", "a network with them"]);
    return undefined;
  }
  if (inputShape !== undefined && inputShape.length !== 3 && !settings.hasFeatures) {
    bag.report(
      "DS2054",
      firstOf.get("input")!.value.span,
      [networkName, `[${inputShape.join(", ")}]`],
      "cells run on maps: write the input channels first, e.g. input [1, 28, 28]",
    );
    return undefined;
  }
  const structure = cellStructure(networkName, settings.stages, cellsSetting.span, bag);
  if (structure === undefined) return undefined;
  return { cells: { cell, graph: structure.graph, head: settings.head ?? DEFAULT_HEAD_CHANNELS, span: cellsSetting.span }, stages: structure.rest };
}

/** A positive integer, or a non-empty list of them (a shape, or several dense layers). */
function checkSizes(key: string, value: Value, max: number, graphs: readonly string[], bag: DiagnosticBag): number[] | undefined {
  const items = value.kind === "ListLiteral" ? value.items : [value];
  if (value.kind === "ListLiteral" && items.length === 0) {
    bag.report("DS2005", value.span, [key, "a positive integer or a list of them", "an empty list"]);
    return undefined;
  }
  const sizes: number[] = [];
  for (const item of items) {
    if (item.kind === "NameReference" && graphs.includes(item.name)) {
      // A graph's vertex count is a size only where the graph is the connectivity too: structure g, or a recurrent layer's hidden=g.
      const use = key === "input" ? "an input is a shape of numbers" : "a graph is a layer through structure g";
      bag.report("DS2005", item.span, [key, "an integer", `graph '${item.name}'`], `${use}; to make a recurrent layer from it write recurrent rnn(hidden=${item.name})`);
      return undefined;
    }
    const size = checkScalar(key, item, "integer", { min: 1, max }, bag);
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
    bag.report(
      "DS2003",
      value.span,
      [value.name],
      scope.allGraphNames.length > 0 ? didYouMean(value.name, scope.allGraphNames) : "declare it first: graph NAME = balanced_tree(r=2, h=3)",
    );
    return undefined;
  }
  if (declared.kind !== "graph") {
    bag.report("DS2005", value.span, ["structure", "the name of a graph", `${declared.kind} '${value.name}'`]);
    return undefined;
  }
  // A graph with its own errors was reported already; the network is dropped without a second message.
  return scope.graphNames.has(value.name) ? value.name : undefined;
}

function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
