/**
 * One network's class: the forward pass written out kernel by kernel, in
 * execution order, so a reader sees the layers, the skip connections (a
 * kernel reading several earlier layers) and where activations and layer
 * norm apply. Parameters, masks and their layout come from the spec at
 * construction (the prelude's Network).
 */
import type { NetworkSpec } from "../../runtime/spec.js";
import { className } from "./python.js";

/** The class text for `spec`, from `sourceName` (a base name). */
export function networkClass(spec: NetworkSpec, sourceName: string): string {
  const layers = spec.layers;
  const sizes = layers.slice(1, -1).map((l) => l.size);
  const hidden = sizes.length === 0 ? "no hidden layers" : `hidden layers of ${summarise(sizes)} neurons`;
  const norm = spec.layerNorm ? ", layer norm" : "";
  const lines = [
    `class ${className(spec.name)}(Network):`,
    `    """network ${spec.name} (${sourceName}): ${layers[0]!.size} inputs, ${hidden}, ${layers.at(-1)!.size} logits; ${spec.activation}${norm}."""`,
    "",
    `    NAME = ${JSON.stringify(spec.name)}`,
    "",
    "    def forward(self, x):",
    `        ${inputLine(spec)}`,
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
