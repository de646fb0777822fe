/**
 * The graph kernel's checks against the float64 reference, for results
 * computed in this process (graph-kernel.test.ts) or handed back by the
 * threaded-WASM child process (threaded-wasm.test.ts).
 */
import { expect } from "vitest";
import type { ActivationName } from "../../runtime/spec.js";
import { numeric, PICK_INDICES, reference, type Case } from "./graph-kernel-cases.js";

export interface KernelResult {
  readonly y: number[][];
  readonly dx: number[];
  readonly dw: number[][];
  readonly db: number[][];
}

export const closeTo = (actual: number, expected: number, tolerance: number): void => {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * (1 + Math.abs(expected)));
};

export function expectReferenceActivations(c: Case, x: number[][], activation: ActivationName, exports: number[], { y }: KernelResult): void {
  const expected = reference(c, x, activation);
  expect(y.length).toBe(x.length);
  y.forEach((row, b) => row.forEach((v, j) => closeTo(v, expected[b]![exports[j]!]!, 2e-6)));
}

export function expectReferenceGradients(c: Case, x: number[][], activation: ActivationName, exports: number[], { dx, dw, db }: KernelResult): void {
  for (let b = 0; b < x.length; b++) {
    for (let i = 0; i < c.inputs; i++)
      closeTo(
        dx[b * c.inputs + i]!,
        numeric(c, x, activation, exports, (_, xs, d) => (xs[b]![i]! += d)),
        1e-4,
      );
  }
  c.members.forEach((m, k) => {
    m.sources.forEach((_, e) => {
      if (c.masks[k]![e] === 0) expect(Math.abs(dw[k]![e]!)).toBe(0);
      else
        closeTo(
          dw[k]![e]!,
          numeric(c, x, activation, exports, (cc, _, d) => (cc.weights[k]![e]! += d)),
          1e-4,
        );
    });
    c.biases[k]!.forEach((_, i) =>
      closeTo(
        db[k]![i]!,
        numeric(c, x, activation, exports, (cc, _, d) => (cc.biases[k]![i]! += d)),
        1e-4,
      ),
    );
  });
}

/** Switched on with weight 0 the network is unchanged, so the derivative by that weight is the gradient a switched-off connection gets. */
export function expectGrowingGradients(c: Case, x: number[][], exports: number[], { dw }: KernelResult): void {
  let checked = 0;
  c.members.forEach((m, k) =>
    m.sources.forEach((_, e) => {
      if (c.masks[k]![e] !== 0) return;
      const expected = numeric(c, x, "tanh", exports, (cc, _, d) => {
        cc.masks[k]![e] = 1;
        cc.weights[k]![e] = d;
      });
      closeTo(dw[k]![e]!, expected, 1e-4);
      checked++;
    }),
  );
  expect(checked).toBeGreaterThan(0);
}

export function expectNoInputGradient({ dx, dw }: KernelResult): void {
  expect(dx.every((v) => v === 0)).toBe(true);
  expect(dw.flat().some((v) => v !== 0)).toBe(true);
}

/** The named columns, repeats allowed, and the gradient added back into each column taken. */
export function expectPickedColumns({ x, w, picked, dx }: { x: number[][]; w: number[][]; picked: number[][]; dx: number[][] }): void {
  expect(picked.length).toBe(x.length);
  picked.forEach((row, b) => row.forEach((v, j) => expect(v).toBe(x[b]![PICK_INDICES[j]!]!)));
  // d/dx of Σ w · x[:, indices] is the sum of w over the places each column was taken.
  dx.forEach((row, b) => row.forEach((v, col) => expect(v).toBe(PICK_INDICES.reduce((sum, i, j) => sum + (i === col ? w[b]![j]! : 0), 0))));
}
