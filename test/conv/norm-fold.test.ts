/**
 * Inference batch norm folded into the conv before it (runtime/features/norm-fold.ts):
 * the pruned-maps pass, which folds, against the full-maps pass, which runs
 * conv, norm and activation as separate ops (the way the network is defined),
 * with running statistics, gains and shifts away from their initial values and
 * channels pruned; natively and on TensorFlow.js's ops, WASM and CPU. Also that
 * the fold happens (no op over the maps between a conv and the next pool),
 * that changed parameters reach a remembered pass, and that a gradient recorded
 * through an inference pass is the unfolded one's.
 */
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it } from "vitest";
import { useBackend } from "../../runtime/backend.js";
import { featureForward, type FeatureOptions } from "../../runtime/features/forward.js";
import { createFeatureStores, disposeFeatureStores, type ConvStore, type FeatureStore, type NormStore } from "../../runtime/features/store.js";
import { useNativeConv } from "../../runtime/kernels/native/conv-product.js";
import { createRandom } from "../../runtime/random.js";
import type { ActivationName } from "../../runtime/spec.js";
import { analyze, networkSpec } from "../../src/index.js";

const INPUT = [2, 10, 12] as const;

const SOURCES: Record<string, string> = {
  // Same padding: the pruned inputs' share of conv2 differs at the borders, an offset map folded with the bias.
  "conv, batch norm + relu, max pool; conv, batch norm + relu, avg pool": `network Q { input [2, 10, 12]
    features [conv(6, kernel=3, padding=same), batch_norm(), max_pool(2), conv(5, kernel=3, padding=same), batch_norm(), avg_pool(2)] output 4 }`,
  // Valid padding, stride 2, dilation; a norm whose conv is followed by nothing else.
  "stride 2, then a dilated valid conv, each with its norm": `network R { input [2, 10, 12]
    features [conv(5, kernel=3, stride=2, padding=same), batch_norm(), conv(4, kernel=[2, 2], dilation=2), batch_norm()] output 3 }`,
};

function stores(source: string, activation: ActivationName): FeatureStore[] {
  const spec = networkSpec(analyze(source).plans![0]!);
  return createFeatureStores(spec.features!, [...INPUT], activation, 3);
}

/** Every norm's parameters and running statistics drawn away from 1 and 0, conv biases too, and `pruned` output channels of each conv masked. */
function perturb(layers: readonly FeatureStore[], seed: number, pruned: (conv: ConvStore) => readonly number[]): void {
  const random = createRandom(seed);
  const draw = (n: number, low: number, high: number): tf.Tensor1D => tf.tensor1d(Float32Array.from({ length: n }, () => random.uniform(low, high)));
  for (const store of layers) {
    if (store.kind === "batchNorm") {
      const c = store.gain.shape[0];
      (store as NormStore).gain.assign(draw(c, 0.5, 2));
      store.shift.assign(draw(c, -0.5, 0.5));
      store.mean.assign(draw(c, -0.3, 0.3));
      store.variance.assign(draw(c, 0.2, 3));
    }
    if (store.kind === "conv") {
      store.bias.assign(draw(store.layer.channels, -0.5, 0.5));
      const off = new Set(pruned(store));
      const cout = store.layer.channels;
      store.mask.assign(
        tf.tensor(
          Float32Array.from({ length: store.mask.size }, (_, k) => (off.has(k % cout) ? 0 : 1)),
          store.mask.shape,
        ),
      );
      store.liveChannels = undefined;
    }
  }
}

const folded = (activation: ActivationName): FeatureOptions => ({ activation, training: false });
// Dense weight gradients take the full-maps path: every op as the network defines it, nothing folded or remembered.
const unfolded = (activation: ActivationName): FeatureOptions => ({ activation, training: false, denseWeightGradient: true });

function maxDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

// 7 samples: no kernel or parameter has 7 as its first size.
const BATCH = 7;
const x = (): tf.Tensor2D => tf.randomUniform([BATCH, INPUT[0] * INPUT[1] * INPUT[2]], -1, 1, "float32", 5) as tf.Tensor2D;

describe.each(["wasm", "cpu"] as const)("inference batch norm folded into its conv on %s", (backend) => {
  afterEach(() => useNativeConv(true));

  describe.each(Object.entries(SOURCES))("%s", (_, source) => {
    for (const [native, activation] of [
      [true, "relu"],
      [false, "relu"],
      [true, "tanh"],
    ] as const) {
      it(`gives the unfolded layers' features within 1e-5 (${native ? "native conv" : "TensorFlow.js conv"}, ${activation}), channels pruned or not, twice`, async () => {
        await useBackend(backend);
        useNativeConv(native);
        const layers = stores(source, activation);
        const input = x();
        for (const pruned of [(): number[] => [], (conv: ConvStore): number[] => [1, conv.layer.channels - 1]]) {
          perturb(layers, 11, pruned);
          const expected = tf.tidy(() => featureForward(layers, input, INPUT, unfolded(activation)));
          // The second pass reads what the first remembered.
          for (let pass = 0; pass < 2; pass++) {
            const actual = tf.tidy(() => featureForward(layers, input, INPUT, folded(activation)));
            expect(maxDifference(actual, expected)).toBeLessThan(1e-5);
            expect(tf.max(tf.abs(expected)).dataSync()[0]).toBeGreaterThan(0.1);
            actual.dispose();
          }
          expected.dispose();
        }
        input.dispose();
        disposeFeatureStores(layers);
      });
    }
  });

  it("runs no norm or activation op over the maps (the unfolded layers run both)", async () => {
    await useBackend(backend);
    const layers = stores(SOURCES["conv, batch norm + relu, max pool; conv, batch norm + relu, avg pool"]!, "relu");
    perturb(layers, 2, () => [0, 2]);
    const input = x();
    const mapsOps = async (options: FeatureOptions): Promise<string[]> => {
      tf.tidy(() => featureForward(layers, input, INPUT, options)).dispose();
      const profile = await tf.profile(() => tf.tidy(() => featureForward(layers, input, INPUT, options)));
      tf.dispose(profile.result as tf.Tensor);
      return profile.kernels.filter((k) => k.outputShapes.some((shape) => shape?.length === 4 && shape[0] === BATCH)).map((k) => k.name);
    };
    const elementwise = (names: string[]): string[] => names.filter((name) => ["Multiply", "Add", "Sub", "Rsqrt", "Relu"].includes(name));
    const ours = await mapsOps(folded("relu"));
    const native = ours.includes("DeepstructNativeConvForward");
    expect(ours.filter((name) => name === (native ? "DeepstructNativeConvForward" : "Conv2D"))).toHaveLength(2);
    // The native conv adds the bias and applies relu inside its product; TensorFlow.js's conv adds each conv's bias and applies relu after it.
    expect(elementwise(ours).sort()).toEqual(native ? [] : ["Add", "Add", "Relu", "Relu"]);
    expect(elementwise(await mapsOps(unfolded("relu"))).length).toBeGreaterThanOrEqual(6);
    input.dispose();
    disposeFeatureStores(layers);
  });

  it("follows a changed running variance, gain and mask into the next remembered pass", async () => {
    await useBackend(backend);
    const layers = stores(SOURCES["stride 2, then a dilated valid conv, each with its norm"]!, "relu");
    perturb(layers, 4, () => [2]);
    const input = x();
    tf.tidy(() => featureForward(layers, input, INPUT, folded("relu"))).dispose();
    perturb(layers, 5, () => [0, 3]);
    const expected = tf.tidy(() => featureForward(layers, input, INPUT, unfolded("relu")));
    const actual = tf.tidy(() => featureForward(layers, input, INPUT, folded("relu")));
    expect(maxDifference(actual, expected)).toBeLessThan(1e-5);
    tf.dispose([input, expected, actual]);
    disposeFeatureStores(layers);
  });

  it("runs a conv's own relu inside its product in training too: the separate ops' outputs and gradients", async () => {
    await useBackend(backend);
    // No norm after either conv, so each activates itself.
    const source = `network S { input [2, 10, 12] features [conv(5, kernel=3, padding=same), max_pool(2), conv(4, kernel=3, padding=same)] output 3 }`;
    const layers = stores(source, "relu");
    perturb(layers, 8, (conv) => [1]);
    const input = x();
    const variables = layers.flatMap((s) => (s.kind === "conv" ? [s.weight, s.bias] : []));
    const run = (options: FeatureOptions): tf.Tensor[] =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(featureForward(layers, input, INPUT, options))) as tf.Scalar, variables);
        return [value, ...variables.map((v, i) => (i % 2 === 0 ? tf.mul(grads[v.name]!, (layers.filter((s) => s.kind === "conv")[i / 2] as ConvStore).mask) : grads[v.name]!))];
      });
    const ours = run({ activation: "relu", training: true });
    const theirs = run({ activation: "relu", training: true, denseWeightGradient: true });
    ours.forEach((g, i) => expect(maxDifference(g, theirs[i]!)).toBeLessThan(1e-4 * Math.max(1, tf.max(tf.abs(theirs[i]!)).dataSync()[0]!)));
    expect(tf.max(tf.abs(ours[1]!)).dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([input, ...ours, ...theirs]);
    disposeFeatureStores(layers);
  });

  it("gives the unfolded layers' gradients for a gradient recorded through an inference pass", async () => {
    await useBackend(backend);
    const layers = stores(SOURCES["conv, batch norm + relu, max pool; conv, batch norm + relu, avg pool"]!, "relu");
    perturb(layers, 6, (conv) => [conv.layer.channels - 2]);
    const input = x();
    const variables = layers.flatMap((s) => (s.kind === "conv" ? [s.weight, s.bias] : s.kind === "batchNorm" ? [s.gain, s.shift] : []));
    const gradients = (options: FeatureOptions): tf.Tensor[] =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(tf.square(featureForward(layers, input, INPUT, options))) as tf.Scalar, variables);
        return variables.map((v) => tf.keep(grads[v.name]!));
      });
    const ours = gradients(folded("relu"));
    const theirs = gradients(unfolded("relu"));
    // Dense weight gradients give pruned weights theirs: compare the masked ones only.
    ours.forEach((g, i) => {
      const store = layers.find((s) => s.kind === "conv" && s.weight === variables[i]) as ConvStore | undefined;
      const reference = store === undefined ? theirs[i]! : tf.mul(theirs[i]!, store.mask);
      expect(maxDifference(g, reference)).toBeLessThan(1e-4 * Math.max(1, tf.max(tf.abs(reference)).dataSync()[0]!));
    });
    expect(tf.max(tf.abs(ours[0]!)).dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([input, ...ours, ...theirs]);
    disposeFeatureStores(layers);
  });
});
