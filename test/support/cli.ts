import type { CliIo } from "../../src/cli/main.js";

/** A CliIo that keeps what the CLI prints, line by line. */
export function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}
