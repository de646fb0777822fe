import type { ActivationName, Execution } from "../../runtime/spec.js";
import type { ParameterRule } from "../check/arguments.js";
import { featureRules } from "../check/features.js";
import { pruneRules } from "../check/policies.js";
import { recurrentRules } from "../check/recurrent.js";
import { generatorRules } from "../check/generators.js";
import type { GeneratorName } from "../check/program.js";

/**
 * What the editor says about the language's words: one table, so hover and
 * completion never disagree. Generator parameters come from src/check's own
 * rules (as do features, recurrent layers and prune schedules); the other calls' parameter lists are written here because src/check
 * does not export them, and test/lsp/vocabulary.test.ts compares each list
 * with what the checker accepts, so they cannot drift.
 */

/** Where a call is written: its context decides which callees it may name. */
export type CallContext = "graph" | "data" | "mask" | "prune" | "grow" | "proportions" | "features" | "recurrent";

export interface Word {
  readonly name: string;
  /** One line, shown on hover and beside a completion. */
  readonly doc: string;
}

export interface Callee extends Word {
  readonly parameters: readonly string[];
  /** The parameters' rules, where src/check exports them (generators). */
  readonly rules?: readonly ParameterRule[];
}

export interface SettingWord extends Word {
  /** Which words the value may be: calls of a context, a fixed list, or the file's graph names. */
  readonly values?: CallContext | readonly string[] | "graphs";
}

const ACTIVATIONS = ["relu", "tanh", "sigmoid", "elu", "linear"] as const satisfies readonly ActivationName[];
const EXECUTIONS = ["auto", "dense", "sparse"] as const satisfies readonly Execution[];

export const SETTINGS: readonly SettingWord[] = [
  { name: "input", doc: "the shape of one sample (required): `784` or `[1, 28, 28]`; inputs are flattened" },
  { name: "dense", doc: "one dense (masked) hidden layer per size: `200` or `[200, 100]`, named dense1, dense2, …" },
  { name: "structure", doc: "a graph's name: the graph as hidden structure, a neuron per vertex, a connection per edge", values: "graphs" },
  { name: "output", doc: "the number of outputs (required); outputs are logits" },
  { name: "activation", doc: "the activation of every hidden layer (default relu)", values: ACTIVATIONS },
  { name: "layer_norm", doc: "layer normalisation before each hidden activation (default false)", values: ["true", "false"] },
  { name: "execution", doc: "how kernels run: auto (default, the cheaper way by the cost model), dense or sparse", values: EXECUTIONS },
  { name: "mask", doc: "a mask policy: dense, random(density), file(path) or learnable(keep)", values: "mask" },
  { name: "prune", doc: "a pruning schedule: one_shot, iterative or gradual", values: "prune" },
  { name: "grow", doc: "dynamic sparse training: rigl(…) or set(…)", values: "grow" },
  { name: "features", doc: "convolutional layers over an input [channels, height, width], before the dense layers: [conv(16, kernel=3), max_pool(2), …]", values: "features" },
  { name: "recurrent", doc: "stacked recurrent layers over an input [steps, features], before the dense layers: lstm(hidden=[100, 100])", values: "recurrent" },
  { name: "cells", doc: "a cell's name: every vertex of the structure becomes that cell (a cell network, deepstruct's DeepCellDAN)" },
  { name: "head", doc: "the channels of a cell network's head, the 1×1 conv over its sinks' maps (default 64)" },
];

const GENERATOR_DOCS: Record<GeneratorName, string> = {
  balanced_tree: "networkx.balanced_tree: r children per vertex, height h",
  grid_2d: "networkx.grid_2d_graph: a rows × cols grid, optionally periodic",
  watts_strogatz: "networkx.watts_strogatz_graph: a ring of n vertices with k neighbours, rewired with probability p",
  newman_watts_strogatz: "networkx.newman_watts_strogatz_graph: a ring with shortcuts added with probability p",
  erdos_renyi: "networkx.gnp_random_graph: each pair joined with probability p (fast=true: fast_gnp_random_graph)",
  barabasi_albert: "networkx.barabasi_albert_graph: preferential attachment, m edges per new vertex",
  complete: "networkx.complete_graph: every pair of n vertices joined",
  path: "networkx.path_graph: n vertices in a line",
  star: "networkx.star_graph: a centre and n leaves",
  ladder: "networkx.ladder_graph: two rails of n vertices joined by rungs",
  random_dag: "a seeded random DAG of n vertices in even layers, pairs joined upwards with probability p",
};

const generators: Callee[] = (Object.keys(generatorRules) as GeneratorName[]).map((name) => ({
  name,
  doc: GENERATOR_DOCS[name],
  parameters: generatorRules[name].map((rule) => rule.name),
  rules: generatorRules[name],
}));

const graphOperations: Callee[] = [
  { name: "file", doc: "a graph read from GraphML, GEXF or a JSON edge list, the path relative to the .ds file", parameters: ["path"] },
  { name: "orient", doc: "points an undirected graph's edges along a vertex order: index, bfs or random", parameters: ["graph", "rule", "roots", "seed"] },
  { name: "scalable", doc: "deepstruct's ScalableDAN: each vertex a group of round(p·scale) neurons", parameters: ["graph", "scale", "proportions"] },
  { name: "append", doc: "top stacked on bottom, every sink of bottom feeding every source of top", parameters: ["bottom", "top"] },
];

const FEATURE_DOCS: Readonly<Record<string, string>> = {
  conv: "a masked 2-D convolution: output channels, kernel, stride, padding same|valid, dilation",
  max_pool: "the maximum over each window (stride defaults to the size)",
  avg_pool: "the mean over each window (stride defaults to the size)",
  global_avg_pool: "the mean of each channel over the whole map",
  batch_norm: "batch normalisation per channel, running statistics saved with the weights",
  flatten: "optional, last: the features are flattened before the dense layers anyway",
};

const features: Callee[] = Object.entries(featureRules).map(([name, rules]) => ({ name, doc: FEATURE_DOCS[name] ?? name, parameters: rules.map((r) => r.name), rules }));

const RECURRENT_DOCS: Record<string, string> = {
  rnn: "masked vanilla RNN layers, h = tanh or relu(x W + h U + b), named rnn1, rnn2, …",
  gru: "masked GRU layers (reset, update, candidate gates in one product), named gru1, …",
  lstm: "masked LSTM layers (input, forget, cell, output gates in one product), named lstm1, …",
};

const recurrent: Callee[] = Object.entries(recurrentRules).map(([name, rules]) => ({ name, doc: RECURRENT_DOCS[name] ?? name, parameters: rules.map((r) => r.name), rules }));

const layers = "layers";

/** What each schedule does; its parameters and their rules (unit=weight|kernel|channel|neuron|gate|layer among them, shown on hover) are the checker's. */
const PRUNE_DOCS: Readonly<Record<string, string>> = {
  one_shot: "prune percent of the connections once, at an epoch or step",
  iterative: "prune percent every few epochs until a target density, optionally rewinding",
  gradual: "Zhu and Gupta's gradual pruning from initial to final sparsity between start and end",
};

export const CALLEES: Readonly<Record<CallContext, readonly Callee[]>> = {
  graph: [...generators, ...graphOperations],
  data: [
    { name: "function", doc: "samples of an expression over a box (deepstruct's FunctionalDataset)", parameters: ["expression", "inputs", "domain", "samples", "sampler", "seed"] },
    { name: "moons", doc: "scikit-learn's make_moons: two interleaving half circles", parameters: ["samples", "noise", "seed"] },
    { name: "spirals", doc: "arms spirals out of the origin, arm k labelled k", parameters: ["samples", "arms", "turns", "noise", "seed"] },
    { name: "blobs", doc: "make_blobs: Gaussian clusters around centres drawn from box", parameters: ["samples", "centers", "features", "std", "box", "seed"] },
  ],
  mask: [
    { name: "dense", doc: "every connection live", parameters: [layers] },
    { name: "file", doc: "masks read from a JSON file", parameters: ["path", layers] },
    { name: "random", doc: "a seeded random mask keeping a density of connections", parameters: ["density", "seed", layers] },
    { name: "learnable", doc: "a mask learnt with the weights (straight-through), keeping about keep", parameters: ["keep", "temperature", "penalty", layers] },
  ],
  prune: Object.entries(pruneRules).map(([name, rules]) => ({ name, doc: PRUNE_DOCS[name] ?? name, parameters: rules.map((r) => r.name), rules })),
  grow: ["rigl", "set"].map((name) => ({
    name,
    doc: `${name === "rigl" ? "RigL" : "SET"}: drop and regrow connections every few steps at a fixed sparsity`,
    parameters: ["sparsity", "distribution", "every", "drop", "decay", "stop", "regrow", layers, "seed"],
  })),
  features,
  recurrent,
  proportions: [{ name: "dirichlet", doc: "group proportions drawn from a symmetric Dirichlet(alpha)", parameters: ["alpha", "seed"] }],
};

export const KEYWORDS: readonly Word[] = [
  { name: "graph", doc: "`graph NAME = generator(…)` or `edges { … }`: a named graph" },
  { name: "network", doc: "`network NAME { settings }`: a network, one setting per line" },
  { name: "data", doc: "`data NAME = moons(…)`: a dataset dsc train --data NAME reads" },
  { name: "cell", doc: "`cell NAME = [conv(8, kernel=3, padding=same), batch_norm()]`: the layers of every vertex of a cell network" },
];

export const EDGES: Word = { name: "edges", doc: "`edges { 0 -> 1 -> 3, 0 -- 2 }`: an edge list, directed (->) or undirected (--)" };

export function settingWord(name: string): SettingWord | undefined {
  return SETTINGS.find((s) => s.name === name);
}

export function callee(context: CallContext, name: string): Callee | undefined {
  return CALLEES[context].find((c) => c.name === name);
}

/** The context of calls nested in a call: graph operations take graphs, scalable's proportions a dirichlet(…). */
export function innerContext(outer: CallContext, parameter: string | undefined): CallContext {
  if (outer === "graph" && parameter === "proportions") return "proportions";
  return outer === "graph" ? "graph" : outer;
}

/** A parameter's rule in one line, e.g. "n: integer ≥ 1" or "seed: integer ≥ 0, default 0". */
export function describeRule(rule: ParameterRule): string {
  const range = [rule.min === undefined ? "" : `≥ ${rule.min}`, rule.max === undefined ? "" : `≤ ${rule.max}`].filter((s) => s !== "").join(", ");
  const choices = rule.choices === undefined ? "" : rule.choices.join(" | ");
  const fallback = rule.default === undefined ? "required" : `default ${JSON.stringify(rule.default)}`;
  return `${rule.name}: ${[rule.kind, range, choices].filter((s) => s !== "").join(" ")}, ${fallback}`;
}
