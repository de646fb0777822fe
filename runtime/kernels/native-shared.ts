/**
 * What the native part (kernels/native/, Node only) and its stand-in in
 * browser bundles (kernels/native/browser.ts) both say, kept outside that
 * folder so that a browser bundle takes it without the native code.
 */

/** nativeStatus()'s reason where there is no Node to load the addon in: no message is printed for it. */
export const NOT_IN_NODE = "not running in Node";

/** setNativeThreads's argument check, with or without the native part. */
export function checkThreadCount(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`setNativeThreads: threads must be a positive integer, got ${threads}`);
}
