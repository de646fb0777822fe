import { DEFAULT_LIMITS, type Limits } from "../check/limits.js";
import { UsageError } from "./usage.js";

/** `--limit KEY=N`, repeatable: the compiler's limits (README, "Limits") raised or lowered for one command. */
export function limitsOption(given: readonly string[] | undefined): Partial<Limits> {
  const limits: Record<string, number> = {};
  for (const text of given ?? []) {
    const [key, value, ...rest] = text.split("=");
    const keys = Object.keys(DEFAULT_LIMITS);
    if (key === undefined || !keys.includes(key) || value === undefined || rest.length > 0) {
      throw new UsageError(`--limit must be KEY=N with KEY one of ${keys.join(", ")}; got '${text}'`);
    }
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--limit ${key} must be a positive integer, got '${value}'`);
    limits[key] = n;
  }
  return limits as Partial<Limits>;
}
