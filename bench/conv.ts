/**
 * The masked convolution against tf.layers' conv2d of the same configuration,
 * in the same run: forward on WASM, and a gradient step (input and weight
 * gradients) where tf.layers can take one — the WASM backend has no
 * Conv2DBackpropFilter, so its stock gradient is timed on CPU beside ours on
 * both. Then a network with half of its conv output channels pruned against
 * the unpruned one (forward and training step, WASM, by CPU time). Then
 * both against PyTorch (convPeers), where Debian's torch is installed.
 */
import { loadavg } from "node:os";
import * as layers from "@tensorflow/tfjs-layers";
import { maskedConv2d } from "../runtime/kernels/conv/masked-conv.js";
import { createNetwork, tf, useBackend, type Model } from "../runtime/index.js";
import { analyze, networkSpec } from "../src/index.js";
import { interleavedWithPeer, peerRatio } from "./peers.js";
import { interleavedMinimum, medianSeconds, row } from "./timing.js";

const CONFIGS = [
  { label: "32 × 28×28×16 → 32, 3×3 same", batch: 32, size: 28, cin: 16, cout: 32 },
  { label: "32 × 14×14×32 → 64, 3×3 same", batch: 32, size: 14, cin: 32, cout: 64 },
] as const;

interface ConvRuns {
  ours: () => void;
  oursStep: () => void;
  layersForward: () => void;
  /** TensorFlow.js's stock conv2d gradient (no Conv2DBackpropFilter on WASM: CPU only). */
  stockStep: () => void;
  dispose: () => void;
}

function convRuns(config: (typeof CONFIGS)[number]): ConvRuns {
  const { batch, size, cin, cout } = config;
  const x = tf.randomUniform([batch, size, size, cin], -1, 1, "float32", 1) as tf.Tensor4D;
  const layer = layers.layers.conv2d({ filters: cout, kernelSize: 3, padding: "same", useBias: true });
  layer.apply(x);
  const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D];
  const mask = tf.onesLike(kernel) as tf.Tensor4D;
  const geometry = {
    kernel: [3, 3],
    stride: [1, 1],
    dilation: [1, 1],
    pad: [
      [1, 1],
      [1, 1],
    ],
    out: [size, size],
  } as const;
  const ours = (xx: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D => maskedConv2d(xx, w, mask, bias, geometry, { inputNeedsGradient: true });
  const step = (f: (xx: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor) => (): void => {
    const grads = tf.grads((xx: tf.Tensor, w: tf.Tensor) => tf.sum(f(xx as tf.Tensor4D, w as tf.Tensor4D)))([x, kernel]);
    grads.forEach((g) => g.dataSync());
    tf.dispose(grads);
  };
  // Read back through a sum: reading a fresh output this large off the WASM backend (3.2 MB) costs about 1 s of CPU
  // by itself, for any op (tf.add of the same shape too), far more than the convolution; a scalar read costs nothing.
  const forward = (f: () => tf.Tensor) => (): void => void tf.tidy(() => tf.sum(f()).dataSync());
  return {
    ours: forward(() => ours(x, kernel)),
    oursStep: step(ours),
    layersForward: forward(() => layer.apply(x) as tf.Tensor),
    stockStep: step((xx, w) => tf.add(tf.conv2d(xx, w, 1, "same"), bias)),
    dispose: () => {
      tf.dispose([x, mask]);
      layer.dispose();
    },
  };
}

function convTimes(config: (typeof CONFIGS)[number], backend: string): { ours: number; oursStep: number; layersForward: number; layersStep?: number } {
  const runs = convRuns(config);
  const result = {
    ours: medianSeconds(runs.ours),
    oursStep: medianSeconds(runs.oursStep),
    layersForward: medianSeconds(runs.layersForward),
    ...(backend === "cpu" ? { layersStep: medianSeconds(runs.stockStep) } : {}),
  };
  runs.dispose();
  return result;
}

/** The unpruned network, and the same with every other output channel of each conv pruned (half the filters). */
async function pruningPair(spec: ReturnType<typeof networkSpec>): Promise<Model[]> {
  const models: Model[] = [];
  for (const pruned of [false, true]) {
    const model = await createNetwork(spec, { backend: "wasm" });
    if (pruned) {
      for (const f of model.features.filter((g) => g.weightShape !== undefined)) {
        const [kh, kw, cin, cout] = f.weightShape!;
        model.setMask(
          f.name,
          Uint8Array.from({ length: kh * kw * cin * cout }, (_, k) => ((k % cout) % 2 === 0 ? 1 : 0)),
        );
      }
    }
    models.push(model);
  }
  return models;
}

const PRUNING_SOURCE =
  "network P { input [1, 28, 28] features [conv(32, kernel=3, padding=same), batch_norm(), max_pool(2), conv(64, kernel=3, padding=same), batch_norm(), max_pool(2)] dense 128 output 10 }";
const PRUNING_BATCH = 64;

/** The unpruned and the half-pruned network's forward pass and training step (gradients of every parameter, no update). */
export async function pruningRuns(): Promise<{ forward: (() => void)[]; step: (() => void)[]; dispose: () => void }> {
  const spec = networkSpec(analyze(PRUNING_SOURCE).plans![0]!);
  const x = tf.randomUniform([PRUNING_BATCH, 1, 28, 28], 0, 1, "float32", 2);
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: PRUNING_BATCH }, (_, i) => i % 10),
      "int32",
    ),
    10,
  );
  const models = await pruningPair(spec);
  const forward = (model: Model) => (): void => void tf.tidy(() => model.predict(x).dataSync());
  const step = (model: Model) => (): void => {
    const variables = model.parameters.map((p) => p.variable);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.predict(x, { training: true })) as tf.Scalar, variables);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  return {
    forward: models.map(forward),
    step: models.map(step),
    dispose: () => {
      models.forEach((m) => m.dispose());
      tf.dispose([x, y]);
    },
  };
}

export async function pruningTimes(): Promise<string[]> {
  const runs = await pruningRuns();
  const [f0, f1] = interleavedMinimum(runs.forward) as [number, number];
  const [s0, s1] = interleavedMinimum(runs.step) as [number, number];
  const lines = [
    "least CPU time of 15 interleaved runs",
    "",
    row([`network (batch ${PRUNING_BATCH}, WASM)`, "forward (ms)", "training step (ms)"]),
    row(["---", "---", "---"]),
    row(["unpruned: conv 32, bn, conv 64, bn, dense 128", f0 * 1000, s0 * 1000]),
    row(["half of each conv's output channels pruned", f1 * 1000, s1 * 1000]),
    row(["speed-up", `${(f0 / f1).toFixed(2)}×`, `${(s0 / s1).toFixed(2)}×`]),
  ];
  runs.dispose();
  return lines;
}

/**
 * PyTorch peers (bench/torch_model_peers.py, 1 thread, NCHW): torch.nn.Conv2d of each configuration, and the network
 * unpruned and with half its channels pruned — the latter as what it is in PyTorch at its fastest, a dense network of
 * half the channels (conv 16, conv 32). Ours on WASM, by least CPU time, in rounds alternating with the peer's.
 */
export async function convPeers(): Promise<string[]> {
  await useBackend("wasm");
  const layersRuns = CONFIGS.map(convRuns);
  const networks = await pruningRuns();
  const ours = [...layersRuns.flatMap((r) => [r.ours, r.oursStep]), ...networks.forward, ...networks.step];
  const task = {
    kind: "conv",
    configs: CONFIGS.map(({ batch, size, cin, cout }) => ({ batch, size, cin, cout })),
    networks: { unpruned: [32, 64], half: [16, 32] },
    batch: PRUNING_BATCH,
  };
  const { ours: t, peer, note } = interleavedWithPeer(ours, task);
  const ms = (s: number | undefined): string | number => (s === undefined ? "—" : s * 1000);
  const n = CONFIGS.length * 2;
  const lines = [
    `against PyTorch (load average ${loadavg()[0]!.toFixed(1)} at the start): least CPU time of 3 rounds × 5 runs (after one warm-up per round) on each side, rounds alternating; ours on WASM, PyTorch 1 thread`,
    ...(note === undefined ? [] : [note]),
    "",
    row(["", "dsc forward (ms)", "PyTorch forward (ms)", "dsc / PyTorch", "dsc step (ms)", "PyTorch step (ms)", "dsc / PyTorch"]),
    row(["---", "---", "---", "---", "---", "---", "---"]),
    ...CONFIGS.map((config, i) =>
      row([
        `${config.label}: masked conv / torch.nn.Conv2d (input and weight gradients of the sum)`,
        t[2 * i]! * 1000,
        ms(peer?.[`layer${i}Forward`]),
        peerRatio(t[2 * i]!, peer?.[`layer${i}Forward`]),
        t[2 * i + 1]! * 1000,
        ms(peer?.[`layer${i}Step`]),
        peerRatio(t[2 * i + 1]!, peer?.[`layer${i}Step`]),
      ]),
    ),
    ...["unpruned", "half"].map((name, j) =>
      row([
        j === 0 ? "network unpruned (conv 32, conv 64): ours / torch.nn, training step = gradients" : "half the channels pruned: ours / torch.nn with conv 16, conv 32",
        t[n + j]! * 1000,
        ms(peer?.[`${name}Forward`]),
        peerRatio(t[n + j]!, peer?.[`${name}Forward`]),
        t[n + 2 + j]! * 1000,
        ms(peer?.[`${name}Step`]),
        peerRatio(t[n + 2 + j]!, peer?.[`${name}Step`]),
      ]),
    ),
  ];
  layersRuns.forEach((r) => r.dispose());
  networks.dispose();
  return lines;
}

export async function benchConv(): Promise<string[]> {
  const lines = [
    "median of 5",
    "",
    row(["backend", "configuration", "masked conv forward (ms)", "tf.layers conv2d forward (ms)", "ratio", "masked conv step (ms)", "stock conv2d step (ms)"]),
  ];
  lines.push(row(["---", "---", "---", "---", "---", "---", "---"]));
  for (const backend of ["wasm", "cpu"] as const) {
    await useBackend(backend);
    // The pure-JS CPU backend is about 50× slower: only the smaller configuration, for the stock gradient's step.
    for (const config of backend === "cpu" ? CONFIGS.slice(1) : CONFIGS) {
      const t = convTimes(config, backend);
      const stock = t.layersStep === undefined ? "— (no Conv2DBackpropFilter)" : t.layersStep * 1000;
      lines.push(row([backend, config.label, t.ours * 1000, t.layersForward * 1000, `${(t.ours / t.layersForward).toFixed(2)}×`, t.oursStep * 1000, stock]));
    }
  }
  await useBackend("wasm");
  const pruning = await pruningTimes();
  return [...lines, "", ...pruning, "", ...(await convPeers())];
}
