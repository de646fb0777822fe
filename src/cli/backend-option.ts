/**
 * `--backend NAME`: the TensorFlow.js backends `useBackend` accepts that run
 * in Node. `tensorflow` (native TensorFlow) needs one of its optional peer
 * packages installed; without one the choice is refused here, before any
 * work starts, saying what to install. `webgpu` and `webgl` exist only in
 * browsers.
 */
import { createRequire } from "node:module";
import type { BackendChoice } from "../../runtime/index.js";
import { NATIVE_PACKAGES } from "../../runtime/native-packages.js";
import { UsageError } from "./usage.js";

export const NODE_BACKENDS = ["auto", "wasm", "cpu", "tensorflow"] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number] & BackendChoice;

const quoted = NODE_BACKENDS.map((name) => `'${name}'`).join(", ");

/** The installed native package, or undefined (resolved from here, as the runtime's import resolves it). */
export function installedNativePackage(resolve: (specifier: string) => string = createRequire(import.meta.url).resolve): string | undefined {
  return NATIVE_PACKAGES.find((specifier) => {
    try {
      resolve(specifier);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * @throws UsageError for a name Node has no backend of.
 * @throws Error for `tensorflow` without its package.
 */
export function backendOption(text: string | undefined, resolve?: (specifier: string) => string): NodeBackend {
  if (text === undefined) return "auto";
  if (text === "webgpu" || text === "webgl") throw new UsageError(`--backend ${text} runs only in a browser; in Node use ${quoted}`);
  const name = NODE_BACKENDS.find((n) => n === text);
  if (name === undefined) throw new UsageError(`--backend must be ${quoted}, got '${text}'`);
  if (name === "tensorflow" && installedNativePackage(resolve) === undefined) {
    throw new Error(
      `--backend tensorflow needs ${NATIVE_PACKAGES.join(" or ")}, and neither is installed (optional: npm install @tensorflow/tfjs-node); --backend wasm runs without it`,
    );
  }
  return name;
}
