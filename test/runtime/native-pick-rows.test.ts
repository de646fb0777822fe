/**
 * The native pickRows (native/graph.c) against a plain reference, on one
 * and two threads, large enough to split over samples, with a padded batch
 * and a row named twice: `add` 0 reads the rows out, 1 adds into them, and 2
 * zeroes every named row whole (its padding too) before adding, each piece
 * of samples on its own thread.
 */
import { afterAll, describe, expect, it } from "vitest";
import { nativeStatus, setNativeThreads, type NativeBlas } from "../../runtime/kernels/native/index.js";
import { createRandom } from "../../runtime/random.js";

const status = nativeStatus();
const pickRows = status.available ? (status.blas as NativeBlas).graphPickRows : undefined;

// 250 samples padded to 256, 300 named rows of 400: 75,000 floats, past the split (65,536 floats).
const [ROWS, BATCH, BP, COUNT] = [400, 250, 256, 300];

function setUp(seed: number) {
  const random = createRandom(seed);
  const named = Int32Array.from({ length: COUNT }, () => Math.floor(random.next() * ROWS));
  named[7] = named[3]!; // a row named twice gains both
  const h = Float32Array.from({ length: ROWS * BP }, () => random.uniform(-1, 1));
  const out = Float32Array.from({ length: BATCH * COUNT }, () => random.uniform(-1, 1));
  return { named, h, out };
}

/** pickRows as its comment says, element by element. */
function reference(h: Float32Array, named: Int32Array, out: Float32Array, add: number): { h: Float32Array; out: Float32Array } {
  const [rows, picked] = [h.slice(), out.slice()];
  if (add === 2) for (const r of named) rows.fill(0, r * BP, (r + 1) * BP);
  for (let b = 0; b < BATCH; b++)
    for (let j = 0; j < COUNT; j++) {
      if (add === 0) picked[b * COUNT + j] = rows[named[j]! * BP + b]!;
      else rows[named[j]! * BP + b]! += out[b * COUNT + j]!;
    }
  return { h: rows, out: picked };
}

/** The native pickRows on one memory: h, the row list and out laid out one after another. */
function native(h: Float32Array, named: Int32Array, out: Float32Array, add: number): { h: Float32Array; out: Float32Array } {
  const memory = new Float32Array(h.length + named.length + out.length);
  memory.set(h, 0);
  new Int32Array(memory.buffer).set(named, h.length);
  memory.set(out, h.length + named.length);
  pickRows!(memory, 0, BP, 4 * h.length, COUNT, 4 * (h.length + named.length), BATCH, add);
  return { h: memory.slice(0, h.length), out: memory.slice(h.length + named.length) };
}

describe.runIf(pickRows !== undefined)("the native pickRows", () => {
  afterAll(() => setNativeThreads(1));

  it.each([0, 1, 2])("with add %i gives the reference's rows and picks, on one thread and split over two", (add) => {
    const { named, h, out } = setUp(add + 1);
    // Unset rows (NaN) must not reach a result where add 2 zeroes them first.
    if (add === 2) for (const r of named) h.fill(Number.NaN, r * BP, (r + 1) * BP);
    const expected = reference(h, named, out, add);
    for (const threads of [1, 2]) {
      setNativeThreads(threads);
      const got = native(h, named, out, add);
      expect(Array.from(got.out)).toEqual(Array.from(expected.out));
      expect(Array.from(got.h)).toEqual(Array.from(expected.h));
    }
  });
});
