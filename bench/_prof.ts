import { createNetwork, tf, useBackend } from "../runtime/index.js";
import { analyze, networkSpec } from "../src/index.js";
import { medianOf } from "./network-timing.js";
await useBackend("wasm");
const n = Number(process.argv[2] ?? 3000);
const { plans } = analyze(`graph g = watts_strogatz(n=${n}, k=4, p=0.5, seed=1)\nnetwork N { input 784 structure g output 10 }`);
const model = await createNetwork(networkSpec(plans![0]!), { backend: "wasm", seed: 0, execution: "auto" });
const x = tf.randomUniform([256, 784], 0, 1, "float32", 1) as tf.Tensor2D;
const y = tf.oneHot(
  tf.tensor1d(
    Int32Array.from({ length: 256 }, (_, i) => i % 10),
    "int32",
  ),
  10,
);
const vars = model.parameters.map((p) => p.variable);
console.log(
  "params",
  vars.map((v) => v.size).reduce((a, b) => a + b, 0),
  vars.length,
);
const fwd = medianOf(() => tf.tidy(() => void model.predict(x).dataSync()), 5, 9);
const grads = medianOf(
  () =>
    tf.tidy(() => {
      const g = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.predict(x) as tf.Tensor2D) as tf.Scalar, vars);
      Object.values(g.grads).forEach((t) => t.dataSync());
    }),
  3,
  7,
);
const adam = tf.train.adam(0.001);
const step = medianOf(
  () => {
    const c = adam.minimize(() => tf.losses.softmaxCrossEntropy(y, model.predict(x) as tf.Tensor2D) as tf.Scalar, true, vars);
    c?.dataSync();
    c?.dispose();
  },
  3,
  7,
);
const sgd = tf.train.sgd(0.01);
const sstep = medianOf(
  () => {
    const c = sgd.minimize(() => tf.losses.softmaxCrossEntropy(y, model.predict(x) as tf.Tensor2D) as tf.Scalar, true, vars);
    c?.dataSync();
    c?.dispose();
  },
  3,
  7,
);
console.log({ fwd: fwd * 1e3, grads: grads * 1e3, adam: step * 1e3, sgd: sstep * 1e3 });
// profile kernels of one gradient
const prof = await tf.profile(() => {
  const g = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.predict(x) as tf.Tensor2D) as tf.Scalar, vars);
  Object.values(g.grads).forEach((t) => t.dataSync());
});
const byName = new Map<string, number>();
for (const k of prof.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + (k.kernelTimeMs as number));
console.log([...byName].sort((a, b) => b[1] - a[1]).slice(0, 12));
