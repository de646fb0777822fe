/**
 * CPython's `random.Random(seed)` reproduced exactly (CPython 3.11's
 * Modules/_randommodule.c and Lib/random.py), so that graphs drawn the way
 * networkx draws them are networkx's graphs for the same integer seed: the
 * Mersenne Twister MT19937 seeded by `init_by_array` from the seed's 32-bit
 * words, `random()` from two draws (53 bits), `getrandbits`, `_randbelow`
 * by rejection over `getrandbits(n.bit_length())`, and `choice`,
 * `randrange`, `sample` and `shuffle` as random.py builds them on those.
 */

const N = 624;
const M = 397;

export interface PythonRandom {
  /** `random.random()`: a float in [0, 1) from 53 random bits. */
  random(): number;
  /** `random.getrandbits(k)` for 0 ≤ k ≤ 53. */
  getrandbits(k: number): number;
  /** `random._randbelow(n)`: an integer in [0, n), n ≥ 1. */
  randbelow(n: number): number;
  /** `random.randrange(start, stop)`. */
  randrange(start: number, stop: number): number;
  /** `random.choice(seq)`. */
  choice<T>(seq: readonly T[]): T;
  /** `random.sample(population, k)`. */
  sample<T>(population: readonly T[], k: number): T[];
  /** `random.shuffle(x)`, in place. */
  shuffle<T>(x: T[]): void;
}

/** The number of bits of a non-negative integer (`int.bit_length()`). */
function bitLength(n: number): number {
  return n === 0 ? 0 : n.toString(2).length;
}

/** The seed's absolute value as little-endian 32-bit words (at least one), as `random.seed(int)` hands them to init_by_array. */
function seedWords(seed: number): Uint32Array {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`a Python random seed must be an integer, got ${seed}`);
  let rest = BigInt(Math.abs(seed));
  const words: number[] = [];
  do {
    words.push(Number(rest & 0xffffffffn));
    rest >>= 32n;
  } while (rest > 0n);
  return Uint32Array.from(words);
}

function initByArray(key: Uint32Array): Uint32Array {
  const mt = new Uint32Array(N);
  mt[0] = 19650218;
  for (let i = 1; i < N; i++) mt[i] = (Math.imul(1812433253, mt[i - 1]! ^ (mt[i - 1]! >>> 30)) + i) >>> 0;
  let [i, j] = [1, 0];
  for (let k = Math.max(N, key.length); k > 0; k--) {
    const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
    mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + key[j]! + j) >>> 0;
    i++;
    j++;
    if (i >= N) [mt[0], i] = [mt[N - 1]!, 1];
    if (j >= key.length) j = 0;
  }
  for (let k = N - 1; k > 0; k--) {
    const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
    mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0;
    i++;
    if (i >= N) [mt[0], i] = [mt[N - 1]!, 1];
  }
  mt[0] = 0x80000000;
  return mt;
}

/** `random.Random(seed)` for an integer seed. */
export function pythonRandom(seed: number): PythonRandom {
  const mt = initByArray(seedWords(seed));
  let index = N;
  const twist = (): void => {
    for (let k = 0; k < N; k++) {
      const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % N]! & 0x7fffffff);
      mt[k] = mt[(k + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    index = 0;
  };
  const uint32 = (): number => {
    if (index >= N) twist();
    let y = mt[index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    return (y ^ (y >>> 18)) >>> 0;
  };
  const getrandbits = (k: number): number => {
    if (!Number.isInteger(k) || k < 0 || k > 53) throw new RangeError(`getrandbits takes 0 … 53 bits here, not ${k}`);
    if (k <= 32) return k === 0 ? 0 : uint32() >>> (32 - k);
    // Little-endian words, the last one cut to the bits left (as CPython fills its integer).
    const low = uint32();
    return low + (uint32() >>> (64 - k)) * 4294967296;
  };
  const randbelow = (n: number): number => {
    const k = bitLength(n);
    let r = getrandbits(k);
    while (r >= n) r = getrandbits(k);
    return r;
  };
  return {
    random: () => ((uint32() >>> 5) * 67108864 + (uint32() >>> 6)) / 9007199254740992,
    getrandbits,
    randbelow,
    randrange: (start, stop) => {
      if (stop <= start) throw new RangeError(`empty range for randrange(${start}, ${stop})`);
      return start + randbelow(stop - start);
    },
    choice: (seq) => {
      if (seq.length === 0) throw new RangeError("cannot choose from an empty sequence");
      return seq[randbelow(seq.length)]!;
    },
    sample: (population, k) => sample(population, k, randbelow),
    shuffle: (x) => {
      for (let i = x.length - 1; i > 0; i--) {
        const j = randbelow(i + 1);
        [x[i], x[j]] = [x[j]!, x[i]!];
      }
    },
  };
}

/** random.py's sample: a pool for small populations, a set of taken indices for large ones. */
function sample<T>(population: readonly T[], k: number, randbelow: (n: number) => number): T[] {
  const n = population.length;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError("sample larger than population or is negative");
  let setsize = 21;
  if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
  const result: T[] = [];
  if (n <= setsize) {
    const pool = [...population];
    for (let i = 0; i < k; i++) {
      const j = randbelow(n - i);
      result.push(pool[j]!);
      pool[j] = pool[n - i - 1]!;
    }
    return result;
  }
  const selected = new Set<number>();
  for (let i = 0; i < k; i++) {
    let j = randbelow(n);
    while (selected.has(j)) j = randbelow(n);
    selected.add(j);
    result.push(population[j]!);
  }
  return result;
}
