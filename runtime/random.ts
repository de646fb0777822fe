/**
 * The one seeded random source of the project, used by graph generators at
 * compile time and by initialisation at run time. It is sfc32 seeded through
 * splitmix32: 32-bit integer arithmetic only, so the same seed gives the same
 * sequence on every JavaScript engine and platform.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** A float in [low, high). */
  uniform(low: number, high: number): number;
  /** A standard normal sample (Box–Muller). */
  normal(): number;
  /** The generator's position: `restoreRandom(state)` continues the sequence from here, draw for draw. */
  state(): RandomState;
}

/** sfc32's four 32-bit words (unsigned integers): all a source needs to continue its sequence. */
export type RandomState = readonly [number, number, number, number];

export function createRandom(seed: number): Random {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  return sfc32(seeded(seed), true);
}

/**
 * A source that continues where the one whose `state()` gave `state` was.
 * @throws RangeError for anything but four unsigned 32-bit integers.
 */
export function restoreRandom(state: RandomState): Random {
  if (!Array.isArray(state) || state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
    throw new RangeError(`a random source's state is four unsigned 32-bit integers, got ${JSON.stringify(state)}`);
  }
  return sfc32(state, false);
}

/** sfc32's starting words for a seed, drawn through splitmix32. */
function seeded(seed: number): RandomState {
  let state = Math.floor(seed) >>> 0;
  const splitmix = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  return [splitmix(), splitmix(), splitmix(), splitmix()];
}

function sfc32(words: RandomState, warmUp: boolean): Random {
  let [a, b, c, d] = words;
  const nextUint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  // Warm up so nearby seeds give unrelated streams (a restored state is already past it).
  if (warmUp) for (let i = 0; i < 12; i++) nextUint32();

  const next = (): number => nextUint32() / 4294967296;
  return {
    next,
    int(n: number): number {
      if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
      return Math.floor(next() * n);
    },
    uniform(low: number, high: number): number {
      return low + (high - low) * next();
    },
    normal(): number {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    // `a` comes out of an XOR as a signed integer; the words are the same modulo 2³², which is all sfc32 uses.
    state: () => [a >>> 0, b >>> 0, c >>> 0, d >>> 0],
  };
}
