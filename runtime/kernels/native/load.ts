/**
 * The optional native part (native/dense.c, built by `npm run build:native`):
 * OpenBLAS's sgemm behind a Node-API addon. It is looked for once, the first
 * time a dense product asks, and only in Node: browsers and any platform
 * without the built addon run the WASM kernels as before.
 *
 * Where the addon is missing, fails to load, or loads but multiplies a test
 * matrix wrongly, the runtime says so in one line (once per process) and uses
 * TensorFlow.js's own products: the results agree within float32 rounding
 * either way, only speed differs.
 *
 * The packaged runtime (@deepstruct/runtime) ships the addon's C sources and
 * builds them when an app installs it (packages/runtime/install.js), into
 * native/build/Release/ beside its dist/, where the first candidate below
 * points; in the repository `npm run build:native` builds native/build/.
 *
 * DEEPSTRUCT_NATIVE=0 turns it off; DEEPSTRUCT_NATIVE_PATH names another
 * build of the addon.
 */
import type { GraphExports, GraphForwardArgs } from "../graph/memory.js";
import { NOT_IN_NODE } from "../native-shared.js";

/** What the addon exports: native/dense.c's products, and the graph kernel, Adam and input check of graph.c, adam.c and finite.c. */
export interface NativeBlas {
  /**
   * c[m, n] = op(a) · op(b) (+ bias per row), row-major; op(a) is [m, k], op(b) [k, n]. Builds with `maskMultiply` take an epilogue
   * applied inside the product, piece by piece: c ⊙= mask ([m, n]), then c = max(0, c) where `relu` (older builds throw on them).
   */
  gemm(
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    bias: Float32Array | null,
    relu?: boolean,
    mask?: Float32Array | null,
  ): void;
  /** out = a ⊙ mask over `count` floats: the native dense layer's elementwise pass, split over the pool (native/dense.c); absent from builds before it. */
  maskMultiply?(count: number, a: Float32Array, mask: Float32Array, out: Float32Array): void;
  /** g = dy ⊙ step(y) over `count` floats, ReLU's gradient from its output (NaN where y is NaN, as TensorFlow.js's Step); built with maskMultiply. */
  reluGradient?(count: number, dy: Float32Array, y: Float32Array, g: Float32Array): void;
  /** The thread count of the addon's pool (native/pool.c), which the products and the graph kernel share; OpenBLAS itself runs single-threaded inside it. */
  setThreads(threads: number): void;
  threads(): number;
  /** The pieces the pool splits an m × n × k product into on the current thread count (1: one sgemm). Absent from builds before the pool. */
  gemmPieces?(m: number, n: number, k: number): number;
  /**
   * The calling thread's CPU seconds, each pool job's share replaced by its longest thread's CPU in it: for benchmarks, the critical
   * path as free cores would run it (native/dense.c). Absent from builds before the pool.
   */
  criticalSeconds?(): number;
  /** The BLAS build and the CPU kernel it chose. */
  describe(): string;
  /** The index of the first NaN or infinite float of `count` at byte `offset` of `memory`, or −1 (native/finite.c). Absent from builds before it. */
  firstNonFinite?(memory: Float32Array, offset: number, count: number): number;
  /**
   * Adam over many tensors in one call, in place or into new tensors, over every entry or listed ones: see native/adam.c.
   * Absent from builds before it (whose `adamStep` took 8-word rows, and is left unused).
   */
  adamUpdate?(memory: Float32Array, table: Uint32Array, constants: Float32Array): void;
  /** graph.wat's `forward` (without its address scratch) on `memory`, the whole heap: see native/graph-napi.c. Absent from builds before it. */
  graphForward?: (memory: Float32Array, ...args: [...GraphForwardArgs, bands?: number]) => void;
  /** graph.wat's `transposeIn` and `pickRows` on `memory`, in tiles. */
  graphTransposeIn?: OnHeap<GraphExports["transposeIn"]>;
  graphPickRows?: OnHeap<GraphExports["pickRows"]>;
  /** graph.wat's `backward` on `memory`, blocked over samples. */
  graphBackward?: OnHeap<GraphExports["backward"]>;
  /** graph.wat's `backward` with the gradient rows to write rather than add into named by their seeds (GraphExports.backwardSeeded). Absent from builds before it. */
  graphBackwardSeeded?: OnHeap<Required<GraphExports>["backwardSeeded"]>;
  /** The threads the native graph kernel's forward and backward split `edges` connections over `bp` samples into (the pool's thread count, where the work is large enough). */
  graphThreads?(edges: number, bp: number): [number, number];
  /** GraphExports.bandWidth: the samples per band of a kernel's rows; forward and backward take `bands` last. Absent from builds before bands, whose forward and backward take one. */
  graphBandWidth?(rows: number, bp: number): number;
  /** The convolution as im2col × weight (native/conv.c); `geometry` as conv.c describes it. Absent from builds before it. */
  /** `bias`: per output channel, or per output position ([out rows, out cols, out]); `relu`: max(0, ·) applied to the output (absent: false). */
  convForward?(geometry: Int32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, relu?: boolean): void;
  convFilterGradient?(geometry: Int32Array, x: Float32Array, dy: Float32Array, dw: Float32Array): void;
  convInputGradient?(geometry: Int32Array, dy: Float32Array, w: Float32Array, dx: Float32Array): void;
}

/** A graph.wat export as the addon takes it: the same arguments after the heap they point into. */
type OnHeap<F> = F extends (...args: infer A) => void ? (memory: Float32Array, ...args: A) => void : never;

export type NativeStatus = { readonly available: true; readonly blas: NativeBlas; readonly path: string } | { readonly available: false; readonly reason: string };

/** The parts of Node this file uses, reached without an import so that bundlers for browsers never see `node:` modules. */
interface NodeParts {
  readonly env: Record<string, string | undefined>;
  readonly require: (path: string) => unknown;
  readonly exists: (path: string) => boolean;
  readonly here: string;
}

const ADDON = "native/build/Release/deepstruct_native.node";

function nodeParts(): NodeParts | undefined {
  const proc = (globalThis as { process?: { env: Record<string, string | undefined>; getBuiltinModule?: (name: string) => unknown } }).process;
  if (proc?.getBuiltinModule === undefined) return undefined;
  const { createRequire } = proc.getBuiltinModule("node:module") as { createRequire(from: string): (path: string) => unknown };
  const { existsSync } = proc.getBuiltinModule("node:fs") as { existsSync(path: string): boolean };
  const { fileURLToPath } = proc.getBuiltinModule("node:url") as { fileURLToPath(url: string): string };
  return { env: proc.env, require: createRequire(import.meta.url), exists: existsSync, here: fileURLToPath(new URL(".", import.meta.url).href) };
}

/** The addon beside the package: this file is runtime/kernels/native/ in the sources and dist/runtime/kernels/native/ when built. */
function candidates(node: NodeParts): string[] {
  const override = node.env.DEEPSTRUCT_NATIVE_PATH;
  if (override !== undefined && override !== "") return [override];
  return ["../../../", "../../../../"].map((up) => new URL(up + ADDON, `file://${node.here}`).pathname);
}

/** How to build the addon: the packaged runtime builds it at install (package.json's install script), the repository by its own script. */
function buildHint(node: NodeParts): string {
  try {
    const manifest = node.require(new URL("../../../package.json", `file://${node.here}`).pathname) as { name?: string };
    if (manifest.name === "@deepstruct/runtime") return "npm rebuild @deepstruct/runtime";
  } catch {
    // No package.json there: the repository's sources or its dist.
  }
  return "npm run build:native";
}

/** A 2 × 3 by 3 × 2 product, plain and both ways transposed, against the sums written out. */
function selfTest(blas: NativeBlas): string | undefined {
  const a = Float32Array.of(1, 2, 3, 4, 5, 6);
  const b = Float32Array.of(7, 8, 9, 10, 11, 12);
  const c = new Float32Array(4);
  blas.gemm(false, false, 2, 2, 3, a, b, c, Float32Array.of(0.5, -0.5));
  const expected = [58.5, 63.5, 139.5, 153.5];
  if (c.some((v, i) => v !== expected[i])) return `its self-test multiplied wrongly ([${Array.from(c).join(", ")}], expected [${expected.join(", ")}])`;
  blas.gemm(true, true, 2, 2, 3, Float32Array.of(1, 4, 2, 5, 3, 6), Float32Array.of(7, 9, 11, 8, 10, 12), c, null);
  if (c.some((v, i) => v !== expected[i]! - (i % 2 === 0 ? 0.5 : -0.5))) return "its transposed self-test multiplied wrongly";
  return undefined;
}

function load(): NativeStatus {
  const node = nodeParts();
  if (node === undefined) return { available: false, reason: NOT_IN_NODE };
  if (node.env.DEEPSTRUCT_NATIVE === "0") return { available: false, reason: "turned off by DEEPSTRUCT_NATIVE=0" };
  const paths = candidates(node);
  const path = paths.find(node.exists);
  if (path === undefined) return { available: false, reason: `the addon is not built (no ${paths[0]}; ${buildHint(node)} builds it)` };
  let blas: NativeBlas;
  try {
    blas = node.require(path) as NativeBlas;
    const wrong = selfTest(blas);
    if (wrong !== undefined) return { available: false, reason: `${path}: ${wrong}` };
  } catch (error) {
    return { available: false, reason: `${path} could not be loaded: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}` };
  }
  return { available: true, blas, path };
}

let status: NativeStatus | undefined;

/** The native part, loaded once; on failure, one line on the console saying why and that WASM runs instead. */
export function nativeStatus(): NativeStatus {
  if (status === undefined) {
    status = load();
    if (!status.available && status.reason !== NOT_IN_NODE && !status.reason.startsWith("turned off")) {
      console.warn(`deepstruct: native dense products off (${status.reason}); using TensorFlow.js's kernels`);
    }
  }
  return status;
}

/** Forgets the loaded state, so the next call loads again (tests change DEEPSTRUCT_NATIVE_PATH between calls). */
export function resetNativeStatus(): void {
  status = undefined;
}
