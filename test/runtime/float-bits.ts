/** Entries of two float arrays whose bits differ (a count, so that a failed check does not print two arrays of a million floats). */
export function differingBits(a: Float32Array, b: Float32Array): number {
  const [x, y] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
  return x.length === y.length ? x.filter((bits, i) => bits !== y[i]).length : Math.max(x.length, y.length);
}
