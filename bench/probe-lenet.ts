import { createNetwork, prune, tf, type Model } from "../runtime/index.js";
import { useNativeGraph } from "../runtime/kernels/native/index.js";
import { analyze, networkSpec } from "../src/index.js";
const { plans } = analyze("network LeNet { input 784 dense 300 dense 100 output 10 }");
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
const scope = process.argv[2] === "layer" ? "layer" : "global";
const dense = await createNetwork(spec, { backend: "wasm", seed: 0 });
const pruned = await createNetwork(spec, { backend: "wasm", seed: 0 });
prune(pruned, { amount: { percent: 95 }, scope });
console.log(pruned.blocks.map((b) => `${b.name} ${pruned.liveConnections(b.name)}/${b.sourceSize * b.targetSize}`).join(", "));
console.log(JSON.stringify(pruned.execution));
const step = (m: Model) => {
  const vars = m.parameters.map((p) => p.variable);
  const adam = tf.train.adam(0.001);
  return () => {
    const c = adam.minimize(() => tf.losses.softmaxCrossEntropy(y, m.predict(x)) as tf.Scalar, true, vars);
    c!.dataSync();
    c!.dispose();
  };
};
const grads = (m: Model) => {
  const vars = m.parameters.map((p) => p.variable);
  return () => {
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, m.predict(x)) as tf.Scalar, vars);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
};
const runs: Record<string, () => void> = {
  "dense forward": () => tf.tidy(() => void dense.predict(x).dataSync()),
  "pruned forward": () => tf.tidy(() => void pruned.predict(x).dataSync()),
  "pruned forward wat": () => {
    useNativeGraph(false);
    tf.tidy(() => void pruned.predict(x).dataSync());
    useNativeGraph(true);
  },
  "dense grads": grads(dense),
  "pruned grads": grads(pruned),
  "dense adam": step(dense),
  "pruned adam": step(pruned),
};
const best: Record<string, number> = {};
for (let r = 0; r < 15; r++)
  for (const [k, f] of Object.entries(runs)) {
    if (r === 0) f();
    best[k] = Math.min(best[k] ?? 1e9, cpu(f));
  }
for (const [k, v] of Object.entries(best)) console.log(k, v.toFixed(3));
