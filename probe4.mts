import * as tf from "@tensorflow/tfjs-core";
import { useBackend } from "./runtime/index.js";
import { graphKernel, graphStructure } from "./runtime/kernels/graph/graph-kernel.js";
await useBackend("wasm");
const n = 9000, R = 1000, B = 256;
const sources: number[] = [], targets: number[] = [];
for (let v = 0; v < n; v++) for (let j = 0; j < 2; j++) { const s = Math.floor(Math.random() * (R + v)); sources.push(s); targets.push(v); }
const st = graphStructure({ inputs: R, activated: n, members: [{ neurons: n, sources: Int32Array.from(sources), targets: Int32Array.from(targets) }] });
const E = sources.length;
const m = { weight: tf.randomUniform([E], -0.5, 0.5) as tf.Tensor1D, mask: tf.ones([E]) as tf.Tensor1D, bias: tf.zeros([n]) as tf.Tensor1D };
const exports = tf.tensor1d(Array.from({ length: 650 }, (_, i) => n - 1 - i), "int32");
const x = tf.randomUniform([B, R]) as tf.Tensor2D;
const time = (f: () => void, reps = 10) => { f(); const t = performance.now(); for (let i = 0; i < reps; i++) f(); return (performance.now() - t) / reps; };
const fwd = time(() => tf.tidy(() => { graphKernel(x, [m], st, exports, { activation: "relu" }).dataSync(); }));
const step = time(() => tf.tidy(() => { const g = tf.grads((xx: tf.Tensor, w: tf.Tensor) => tf.sum(graphKernel(xx as tf.Tensor2D, [{ ...m, weight: w as tf.Tensor1D }], st, exports, { activation: "relu" })))([x, m.weight]); g[1]!.dataSync(); }));
const a = tf.randomUniform([B, 1024]), b = tf.randomUniform([1024, 1024]);
const mm = time(() => tf.tidy(() => { tf.matMul(a, b).dataSync(); }));
console.log({ fwd, step, mm, edgeGflops: (2 * B * E) / fwd / 1e6, peak: (2 * B * 1024 * 1024) / mm / 1e6 });
