import { DataError } from "../../src/data/index.js";

/** The DataError `run` throws; anything else, or nothing, fails the test. */
export function dataError(run: () => unknown): DataError {
  try {
    run();
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error("expected a DataError, but nothing was thrown");
}
