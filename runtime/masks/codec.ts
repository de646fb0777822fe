/**
 * The compact, deterministic text encoding of masks and integer lists used in
 * generated modules. A mask is the ascending list of its live row-major
 * indices; lists are stored as zig-zag LEB128 varints of successive
 * differences, in base64. Full and empty masks have their own short words, so
 * a dense layer costs nothing to store.
 */
export const FULL_MASK = "full";
export const EMPTY_MASK = "empty";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE_TABLE = (() => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

export class MaskEncodingError extends Error {
  override name = "MaskEncodingError";
}

/** Encodes a mask of `size` entries given its live indices in ascending order. */
export function encodeMask(size: number, live: ArrayLike<number>): string {
  if (live.length === size) return FULL_MASK;
  if (live.length === 0) return EMPTY_MASK;
  return encodeIntegers(live);
}

/** Decodes a mask of `size` entries into 0/1 bytes. */
export function decodeMask(encoded: string, size: number): Uint8Array {
  const mask = new Uint8Array(size);
  if (encoded === FULL_MASK) return mask.fill(1);
  if (encoded === EMPTY_MASK) return mask;
  for (const index of decodeIntegers(encoded)) {
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      throw new MaskEncodingError(`mask entry ${index} is outside a mask of ${size} entries`);
    }
    mask[index] = 1;
  }
  return mask;
}

/** The ascending live indices of a 0/1 mask. */
export function liveIndices(mask: ArrayLike<number>): Uint32Array {
  let count = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) count++;
  const live = new Uint32Array(count);
  let next = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) live[next++] = i;
  return live;
}

export function encodeIntegers(values: ArrayLike<number>): string {
  const bytes: number[] = [];
  let previous = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    const delta = value - previous;
    previous = value;
    // Zig-zag keeps small negative steps short; arithmetic rather than bit ops
    // so values beyond 2^31 survive.
    let rest = delta >= 0 ? delta * 2 : -delta * 2 - 1;
    while (rest >= 0x80) {
      bytes.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    bytes.push(rest);
  }
  return toBase64(bytes);
}

export function decodeIntegers(encoded: string): number[] {
  const bytes = fromBase64(encoded);
  const values: number[] = [];
  let previous = 0;
  let i = 0;
  while (i < bytes.length) {
    let rest = 0;
    let scale = 1;
    let byte: number;
    do {
      if (i >= bytes.length) throw new MaskEncodingError("encoded list ends inside a number");
      byte = bytes[i++] as number;
      rest += (byte & 0x7f) * scale;
      scale *= 0x80;
    } while (byte & 0x80);
    const delta = rest % 2 === 0 ? rest / 2 : -(rest + 1) / 2;
    previous += delta;
    values.push(previous);
  }
  return values;
}

function toBase64(bytes: readonly number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const triple = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += ALPHABET[(triple >> 18) & 63]! + ALPHABET[(triple >> 12) & 63]!;
    out += b === undefined ? "=" : ALPHABET[(triple >> 6) & 63]!;
    out += c === undefined ? "=" : ALPHABET[triple & 63]!;
  }
  return out;
}

function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/=+$/, "");
  const bytes = new Uint8Array(Math.floor((clean.length * 6) / 8));
  let buffer = 0;
  let bits = 0;
  let next = 0;
  for (let i = 0; i < clean.length; i++) {
    const code = clean.charCodeAt(i);
    const digit = code < 128 ? (DECODE_TABLE[code] as number) : -1;
    if (digit < 0) throw new MaskEncodingError(`'${clean[i]}' at position ${i} is not base64`);
    buffer = (buffer << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[next++] = (buffer >> bits) & 0xff;
    }
  }
  return bytes;
}
