/**
 * Identity on the WASM backend without a copy. TensorFlow.js's engine clones
 * (runs Identity on) every tensor a custom gradient saves for its backward
 * pass, and its WASM backend's Identity copies the data, where its CPU and
 * WebGL backends hand out the same data with one more reference (as every
 * backend's Reshape does): a training step of a pruned network copied its
 * graph kernels' activations and transposed inputs, megabytes a step, for
 * nothing. Tensors are immutable, so sharing is safe; the one writer in
 * place here (kernels/native/fused-adam.ts) writes only data no other tensor holds.
 *
 * Swapped in once, the first time a deepstruct kernel runs on WASM (the
 * backend's own kernels are registered by then).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs-core";

let shared = false;

/** The WASM backend's reference counting (not in its public types). */
interface CountedBackend {
  incRef(dataId: object): void;
  readSync(dataId: object): unknown;
}

function sharedIdentity({ inputs, backend }: { inputs: NamedTensorInfoMap; backend: unknown }): TensorInfo {
  const x = inputs.x!;
  // Strings live outside the heap: copy them as the stock kernel does.
  if (x.dtype === "string") return tf.tensor((backend as CountedBackend).readSync(x.dataId) as string[], x.shape, x.dtype);
  (backend as CountedBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Makes Identity on WASM share its input's data (once per process). */
export function shareIdentityOnWasm(): void {
  if (shared) return;
  shared = true;
  if (tf.getKernel("Identity", "wasm") !== undefined) tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({ kernelName: "Identity", backendName: "wasm", kernelFunc: sharedIdentity });
}
