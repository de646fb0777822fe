/**
 * The code the browser tests run in the page (bundled with a generated model
 * by support.ts): `deepstructProbe(request)` builds the model on a backend,
 * runs a forward pass and the gradients of a loss with respect to every
 * parameter, and hands back plain numbers for the test to compare.
 */
import { setWasmPaths, tf, useBackend, type BackendChoice, type Execution, type Model, type NetworkOptions } from "@deepstruct/runtime";

export interface ProbeRequest {
  /** Which of the installed networks to build (default: the first). */
  readonly network?: string;
  readonly backend: BackendChoice;
  readonly execution: Execution;
  readonly batch: number;
}

export interface ProbeResult {
  readonly backend: string;
  readonly current: string;
  readonly crossOriginIsolated: boolean;
  readonly threaded: boolean;
  readonly execution: readonly { readonly kind: string; readonly kernel: string; readonly layers: readonly string[]; readonly backend: string; readonly reason?: string }[];
  readonly predictions: number[];
  readonly gradients: Record<string, number[]>;
}

/** Inputs every run shares: a deterministic pattern, no random source needed. */
export function probeInput(batch: number, size: number): number[] {
  return Array.from({ length: batch * size }, (_, i) => Math.sin(i * 0.37) * 0.8);
}

export async function probe(factory: (options: NetworkOptions) => Promise<Model>, request: ProbeRequest): Promise<ProbeResult> {
  const model = await factory({ seed: 5, backend: request.backend, execution: request.execution });
  const size = model.inputShape.reduce((a, b) => a * b, 1);
  const x = tf.tensor2d(probeInput(request.batch, size), [request.batch, size]);
  const predictions = Array.from(await model.predict(x).data());
  const { grads } = tf.variableGrads(
    () => tf.sum(tf.square(model.predict(x))) as tf.Scalar,
    model.parameters.map((p) => p.variable),
  );
  const gradients: Record<string, number[]> = {};
  for (const parameter of model.parameters) gradients[parameter.name] = Array.from(await grads[parameter.variable.name]!.data());
  const scope = globalThis as { crossOriginIsolated?: boolean };
  const result: ProbeResult = {
    backend: model.backend,
    current: tf.getBackend(),
    crossOriginIsolated: scope.crossOriginIsolated === true,
    threaded: tf.getBackend() === "wasm" && tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT"),
    execution: model.execution,
    predictions,
    gradients,
  };
  model.dispose();
  return result;
}

type Factory = (options: NetworkOptions) => Promise<Model>;

/** Makes the probe callable from the test (`page.evaluate`) for the networks `factories` names; the WASM binaries are served under /wasm/. */
export function install(factories: Readonly<Record<string, Factory>>): void {
  setWasmPaths("/wasm/");
  const scope = globalThis as { deepstructProbe?: (request: ProbeRequest) => Promise<ProbeResult>; deepstructBackend?: typeof useBackend };
  scope.deepstructProbe = (request) => {
    const name = request.network ?? Object.keys(factories)[0]!;
    const factory = factories[name];
    if (factory === undefined) throw new Error(`probe: no network '${name}' (installed: ${Object.keys(factories).join(", ")})`);
    return probe(factory, request);
  };
  scope.deepstructBackend = useBackend;
}
