/**
 * Sizes `createNetwork` refuses before it allocates, so a spec written by
 * hand, or compiled under raised compiler limits, or run with `execution:
 * "dense"` where the compiler planned sparse kernels, fails with a message
 * instead of taking the process down. They sit well above the compiler's
 * defaults (10 million connections per network): each counts float32
 * numbers held at once, 400 MB per 100 million.
 */
export interface RuntimeLimits {
  /** Neurons of all layers, input included. */
  readonly neurons: number;
  /** Stored connection weights, over all kernels. */
  readonly connections: number;
  /** Entries of the matrices dense kernels multiply ([used rows, cols] each), over all kernels. */
  readonly denseEntries: number;
}

export const DEFAULT_RUNTIME_LIMITS: RuntimeLimits = { neurons: 10_000_000, connections: 100_000_000, denseEntries: 100_000_000 };

/** The defaults with the given limits in their place, each a positive number. */
export function runtimeLimits(given: Partial<RuntimeLimits> = {}): RuntimeLimits {
  for (const [key, value] of Object.entries(given)) {
    if (!Object.hasOwn(DEFAULT_RUNTIME_LIMITS, key)) throw new Error(`createNetwork: unknown limit '${key}'; limits are ${Object.keys(DEFAULT_RUNTIME_LIMITS).join(", ")}`);
    if (typeof value !== "number" || !(value > 0)) throw new Error(`createNetwork: limit '${key}' must be a positive number, got ${String(value)}`);
  }
  return { ...DEFAULT_RUNTIME_LIMITS, ...given };
}

/** @throws Error naming what is too large, how large, the limit and the option that raises it. */
export function checkLimit(what: string, size: number, key: keyof RuntimeLimits, limits: RuntimeLimits, hint = ""): void {
  if (size <= limits[key]) return;
  throw new Error(
    `${what} would be ${size.toLocaleString("en-US")}, over the limit of ${limits[key].toLocaleString("en-US")}${hint} (raise it with createNetwork's limits.${key})`,
  );
}
