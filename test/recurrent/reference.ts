/**
 * A float64 reference of the recurrent stack followed by the dense output,
 * written out loop by loop from the equations (no tensors), to check the
 * runtime's forward pass and, by finite differences, its gradients.
 */
export interface ReferenceLayer {
  readonly inputs: number;
  readonly hidden: number;
  /** Row-major [inputs, gates · hidden], already masked. */
  readonly w: Float64Array;
  /** Row-major [hidden, gates · hidden], already masked. */
  readonly u: Float64Array;
  readonly b: Float64Array;
}

export interface ReferenceNetwork {
  readonly kind: "rnn" | "gru" | "lstm";
  readonly activation: "tanh" | "relu";
  readonly layers: readonly ReferenceLayer[];
  /** [last hidden, outputs] row-major, and the output bias. */
  readonly out: Float64Array;
  readonly outBias: Float64Array;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** v · M for a row vector v and row-major M [v.length, cols]. */
function rowTimes(v: ArrayLike<number>, m: Float64Array, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < v.length; r++) for (let c = 0; c < cols; c++) out[c]! += v[r]! * m[r * cols + c]!;
  return out;
}

function layerSequence(layer: ReferenceLayer, kind: ReferenceNetwork["kind"], activation: "tanh" | "relu", sequence: Float64Array[]): Float64Array[] {
  const H = layer.hidden;
  const gates = { rnn: 1, gru: 3, lstm: 4 }[kind];
  let h = new Float64Array(H);
  let c = new Float64Array(H);
  return sequence.map((x) => {
    const xw = rowTimes(x, layer.w, gates * H).map((v, k) => v + layer.b[k]!);
    const hu = rowTimes(h, layer.u, gates * H);
    const next = new Float64Array(H);
    const cell = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      if (kind === "rnn") {
        const z = xw[j]! + hu[j]!;
        next[j] = activation === "relu" ? Math.max(0, z) : Math.tanh(z);
      } else if (kind === "lstm") {
        const [i, f, g, o] = [0, 1, 2, 3].map((q) => xw[q * H + j]! + hu[q * H + j]!);
        cell[j] = sigmoid(f!) * c[j]! + sigmoid(i!) * Math.tanh(g!);
        next[j] = sigmoid(o!) * Math.tanh(cell[j]!);
      } else {
        const r = sigmoid(xw[j]! + hu[j]!);
        const z = sigmoid(xw[H + j]! + hu[H + j]!);
        const n = Math.tanh(xw[2 * H + j]! + r * hu[2 * H + j]!);
        next[j] = (1 - z) * n + z * h[j]!;
      }
    }
    h = next;
    c = cell;
    return next;
  });
}

/** The network's logits for one sample, `x` row-major [steps, features]; the output reads the last step. */
export function referenceForward(net: ReferenceNetwork, x: ArrayLike<number>, steps: number): Float64Array {
  const features = x.length / steps;
  let sequence: Float64Array[] = Array.from({ length: steps }, (_, t) => Float64Array.from({ length: features }, (_, f) => x[t * features + f]!));
  for (const layer of net.layers) sequence = layerSequence(layer, net.kind, net.activation, sequence);
  const outputs = net.outBias.length;
  return rowTimes(sequence.at(-1)!, net.out, outputs).map((v, k) => v + net.outBias[k]!);
}
