import { createNetwork, tf, type Model } from "../runtime/index.js";
import { useNativeDense, useNativeGraph } from "../runtime/kernels/native/index.js";
import { analyze, networkSpec } from "../src/index.js";
const n = Number(process.argv[2] ?? 10000);
const { plans } = analyze(`graph g = watts_strogatz(n=${n}, k=4, p=0.5, seed=1)\nnetwork N { input 784 structure g output 10 }`);
const spec = networkSpec(plans![0]!);
const x = tf.randomUniform([256, 784], 0, 1, "float32", 1) as tf.Tensor2D;
const y = tf.oneHot(
  tf.tensor1d(
    Int32Array.from({ length: 256 }, (_, i) => (i * 7) % 10),
    "int32",
  ),
  10,
);
const cpu = (run: () => void): number => {
  const s = process.cpuUsage();
  run();
  const u = process.cpuUsage(s);
  return (u.user + u.system) / 1000;
};
const m: Model = await createNetwork(spec, { backend: "wasm", seed: 0 });
const vars = m.parameters.map((p) => p.variable);
const adam = tf.train.adam(0.001);
const runs: Record<string, () => void> = {
  forward: () => tf.tidy(() => void m.predict(x).dataSync()),
  grads: () => {
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, m.predict(x)) as tf.Scalar, vars);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  },
  adam: () => {
    const c = adam.minimize(() => tf.losses.softmaxCrossEntropy(y, m.predict(x)) as tf.Scalar, true, vars);
    c!.dataSync();
    c!.dispose();
  },
};
const best: Record<string, number> = {};
for (let r = 0; r < 7; r++)
  for (const native of ["all", "dense", "none"])
    for (const [k, f] of Object.entries(runs)) {
      useNativeDense(native !== "none");
      useNativeGraph(native === "all");
      if (r === 0) f();
      const key = `${native} ${k}`;
      best[key] = Math.min(best[key] ?? 1e9, cpu(f));
    }
for (const [k, v] of Object.entries(best)) console.log(n, k, v.toFixed(2));
