import type { Listed } from "./types.js";

/** How many items a diff lists of each kind unless told otherwise. */
export const DEFAULT_LIMIT = 20;

/** The count of `items` and the first `limit` of them, which the caller has put in order. */
export function listed<T>(items: readonly T[], limit: number): Listed<T> {
  return { count: items.length, items: items.slice(0, limit) };
}

/** Keys in `a`'s order, then those only in `b`, in `b`'s order: how a diff walks things matched by name. */
export function unionInOrder<K>(a: Iterable<K>, b: Iterable<K>): K[] {
  return [...new Set([...a, ...b])];
}

export function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
