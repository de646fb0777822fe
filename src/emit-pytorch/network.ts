/**
 * One network's class: the forward pass written out kernel by kernel, in
 * execution order, so a reader sees the layers, the skip connections (a
 * kernel reading several earlier layers) and where activations and layer
 * norm apply. Parameters, masks and their layout come from the spec at
 * construction (the prelude's Network).
 */
import type { NetworkSpec } from "../../runtime/spec.js";
import { featureShapes, type ChannelsFirst } from "../../runtime/features/shapes.js";
import { cellShapes } from "../../runtime/cells/shapes.js";
import { sinkVertices } from "../../runtime/cells/spec.js";
import { className } from "./python.js";

/** The class text for `spec`, from `sourceName` (a base name). */
export function networkClass(spec: NetworkSpec, sourceName: string): string {
  const layers = spec.layers;
  const sizes = layers.slice(1, -1).map((l) => l.size);
  const hidden = sizes.length === 0 ? "no hidden layers" : `hidden layers of ${summarise(sizes)} neurons`;
  const norm = spec.layerNorm ? ", layer norm" : "";
  const front =
    spec.cells === undefined
      ? `${layers[0]!.size} inputs`
      : `a cell on each of the ${spec.cells.vertices.length} vertices of graph ${spec.cells.graph}, a head of ${layers[0]!.size} channels`;
  const lines = [
    `class ${className(spec.name)}(Network):`,
    `    """network ${spec.name} (${sourceName}): ${front}, ${hidden}, ${layers.at(-1)!.size} logits; ${spec.activation}${norm}."""`,
    "",
    `    NAME = ${JSON.stringify(spec.name)}`,
    "",
    "    def forward(self, x):",
    ...(spec.cells === undefined ? [inputLine(spec)] : cellLines(spec)).map((line) => `        ${line}`),
    ...spec.kernels.map((_, k) => `        ${kernelLine(spec, k)}`),
    `        return v${layers.length - 1}`,
  ];
  return lines.join("\n");
}

/** Layer 0: the input flattened, the feature layers' maps flattened channel, row, column (Features), or the recurrent stack's output (Recurrent). */
function inputLine(spec: NetworkSpec): string {
  const first = spec.layers[0]!;
  const features = spec.features ?? [];
  const recurrent = spec.recurrent;
  if (recurrent !== undefined) {
    const layers = recurrent.hidden.map((size, i) => `${recurrent.kind}${i + 1}(${size})`).join(", ");
    return `v0 = self.recurrent(x.reshape(x.shape[0], ${spec.inputShape.join(", ")}))  # ${first.name} [${first.size}] <- ${layers}, output=${recurrent.output}`;
  }
  if (features.length === 0) return `v0 = x.reshape(x.shape[0], -1)  # ${first.name} [${first.size}]`;
  const kinds = features.map((f) => f.name).join(", ");
  return `v0 = self.features(x.reshape(x.shape[0], ${spec.inputShape.join(", ")}))  # ${first.name} [${first.size}] <- ${kinds}`;
}

/**
 * Layer 0 of a cell network, one line a cell in the spec's (topological)
 * order: each reads the stem's maps (a source) or its predecessors' maps
 * concatenated and padded, and the head reads the sinks'.
 */
function cellLines(spec: NetworkSpec): string[] {
  const cells = spec.cells!;
  const stem = spec.features ?? [];
  const input = spec.inputShape as unknown as ChannelsFirst;
  const reshaped = `x.reshape(x.shape[0], ${spec.inputShape.join(", ")})`;
  const stemShapes = featureShapes(input, stem);
  const stemOutput = "shapes" in stemShapes ? stemShapes.shapes.at(-1)! : undefined;
  const shapes = stemOutput === undefined ? undefined : cellShapes(stemOutput, cells);
  if (stemOutput === undefined || shapes === undefined || !("head" in shapes))
    throw new Error(`network '${spec.name}': its cell network's shapes do not fit (the checker reports where)`);
  const shape = (s: ChannelsFirst): string => `[${s.join(", ")}]`;
  const lines =
    stem.length === 0
      ? [`maps = ${reshaped}  # ${shape(input)}, the input`]
      : [`maps = self.features.maps(${reshaped})  # ${shape(stemOutput)} <- ${stem.map((l) => l.name).join(", ")}`];
  for (const cell of cells.vertices) {
    const reads = cell.inputs.length === 0 ? "maps" : concatenation(cell.inputs);
    const from = cell.inputs.length === 0 ? (stem.length === 0 ? "the input" : "the feature layers") : cell.inputs.map((u) => `cell${u}`).join(", ");
    const made = shape(shapes.vertices.get(cell.vertex)!.at(-1)!);
    lines.push(`cell${cell.vertex} = self.cells["cell${cell.vertex}"].maps(${reads})  # cell${cell.vertex} ${made} <- ${from}`);
  }
  const sinks = sinkVertices(cells);
  const head = cells.head.map((l) => l.name).join(", ");
  lines.push(
    `v0 = self.cells["head"](${concatenation(sinks)})  # ${spec.layers[0]!.name} [${spec.layers[0]!.size}] <- ${head} <- sinks ${sinks.map((v) => `cell${v}`).join(", ")}`,
  );
  return lines;
}

/** `cell2` or `concat_padded([cell0, cell1])`. */
function concatenation(vertices: readonly number[]): string {
  return vertices.length === 1 ? `cell${vertices[0]}` : `concat_padded([${vertices.map((v) => `cell${v}`).join(", ")}])`;
}

/** `v3 = self.hidden(2, torch.cat([v0, v2], 1))  # g.d1 [20] <- input, g.d0`, or the output's logits. */
function kernelLine(spec: NetworkSpec, k: number): string {
  const kernel = spec.kernels[k]!;
  const sources = kernel.blocks.map((b) => spec.blocks[b]!.source);
  const input = sources.length === 1 ? `v${sources[0]}` : `torch.cat([${sources.map((s) => `v${s}`).join(", ")}], 1)`;
  const target = spec.layers[kernel.target]!;
  const names = sources.map((s) => spec.layers[s]!.name);
  const from = names.length <= 3 ? names.join(", ") : `${names.slice(0, 2).join(", ")}, … (${names.length} layers)`;
  const comment = `# ${target.name} [${target.size}] <- ${from || "nothing (bias only)"}`;
  if (target.origin.kind === "output") return `v${kernel.target} = self.kernels[${k}](${input})  ${comment}, logits`;
  return `v${kernel.target} = self.hidden(${k}, ${input})  ${comment}`;
}

/** `20, 20, 12` or, for long lists, the first few and a count. */
function summarise(sizes: readonly number[]): string {
  return sizes.length <= 6 ? sizes.join(", ") : `${sizes.slice(0, 4).join(", ")}, … (${sizes.length} layers)`;
}
