// The datasets' own modules, not their index: the index also exports toTensors, which loads TensorFlow.js.
import type { Dataset } from "../../runtime/datasets/dataset.js";
import { functionDataset } from "../../runtime/datasets/function.js";
import { blobs, moons, spirals } from "../../runtime/datasets/toy.js";
import type { DataSource } from "../check/program.js";
import { evaluate } from "./expression/expression.js";

/**
 * The samples of a checked `data` declaration, made by the runtime's own
 * dataset functions, so a declaration and the same call in code give the
 * same numbers.
 * @throws NonFiniteSampleError where a function dataset's expression is not finite (check reports it first).
 */
export function declaredDataset(source: DataSource): Dataset {
  switch (source.kind) {
    case "function": {
      const { expression, inputs, samples, sampler, seed, domain } = source;
      return functionDataset((x) => evaluate(expression, x), { inputShape: inputs.length, samples, sampler, seed, domain });
    }
    case "moons":
      return moons(source.options);
    case "spirals":
      return spirals(source.options);
    case "blobs":
      return blobs(source.options);
  }
}

/** How a declared dataset is named in `dsc train`'s first line. */
export function describeDeclared(name: string, source: DataSource): string {
  const detail = source.kind === "function" ? `samples of "${source.text}"` : `${source.kind}(…)`;
  return `data '${name}' (${detail})`;
}
