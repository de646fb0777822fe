import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../runtime/backend.js";
import { graphWasmModuleText, MODULE_PATH } from "../../scripts/wasm-module.js";
import { readFileSync } from "node:fs";
import { afterAll } from "vitest";
import { nativeStatus, useNativeDense } from "../../runtime/kernels/native/index.js";
import { ACTIVATIONS, activationCase, growingCase, noInputGradientCase, pickColumns, randomCase, run } from "./graph-kernel-cases.js";
import { createRandom } from "../../runtime/random.js";
import { expectGrowingGradients, expectNoInputGradient, expectPickedColumns, expectReferenceActivations, expectReferenceGradients } from "./graph-kernel-checks.js";

describe("the graph kernel's WebAssembly module", () => {
  it("is assembled from graph.wat as committed (run `npm run build:wasm` if this fails)", async () => {
    expect(readFileSync(MODULE_PATH, "utf8")).toBe(await graphWasmModuleText());
  });
});

// Native: graph.wat's forward and backward replaced by native/graph.c's, where the addon is built.
const natives = nativeStatus().available ? [false, true] : [false];
const runs = (["cpu", "wasm"] as const).flatMap((backend) => natives.map((native) => [backend, native] as const));

describe.each(runs)("the graph kernel on %s (native %s)", (backend, native) => {
  beforeAll(async () => {
    await useBackend(backend);
    useNativeDense(native);
  });
  afterAll(() => useNativeDense(true));

  describe.each(ACTIVATIONS)("with %s", (activation) => {
    const { c, x, exports } = activationCase(activation);

    it("computes the reference's activations of the exported neurons", () => {
      expectReferenceActivations(c, x, activation, exports, run(c, x, activation, exports));
    });

    it("has the reference's gradients by input, weight and bias; masked weights get exactly 0", () => {
      expectReferenceGradients(c, x, activation, exports, run(c, x, activation, exports));
    });
  });

  it("gives switched-off connections the gradient they would have if on, when asked (for growing)", () => {
    const { c, x, exports } = growingCase();
    expectGrowingGradients(c, x, exports, run(c, x, "tanh", exports, { maskWeightGradient: false }));
  });

  it("gives the input no gradient when told nothing upstream needs it", () => {
    const { c, x, exports } = noInputGradientCase();
    expectNoInputGradient(run(c, x, "relu", exports, { inputNeedsGradient: false }));
  });
});

describe.each(["cpu", "wasm"] as const)("picking columns on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it("takes the named columns, repeats allowed, and adds the gradient back into each column taken", () => {
    expectPickedColumns(pickColumns());
  });
});

describe.runIf(nativeStatus().available)("the native graph kernel against graph.wat's", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });
  afterAll(() => useNativeDense(true));

  // 150 samples: padded to 160, two blocks of 64 samples and a tail, where the tests above fit in one block of 16.
  it.each(ACTIVATIONS)("gives the same outputs and gradients over blocks of samples (%s)", (activation) => {
    const c = randomCase(31, 9, 3);
    const random = createRandom(8);
    const x = Array.from({ length: 150 }, () => Array.from({ length: c.inputs }, () => random.uniform(-1.5, 1.5)));
    const exports = [0, 4, c.neurons - 1, c.neurons - 2];
    useNativeDense(true);
    const native = run(c, x, activation, exports);
    useNativeDense(false);
    const wat = run(c, x, activation, exports);
    const close = (a: readonly number[], b: readonly number[]): void => {
      expect(a.length).toBe(b.length);
      const worst = a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i]!) / (1 + Math.abs(b[i]!))), 0);
      expect(worst).toBeLessThanOrEqual(1e-5);
    };
    close(native.y.flat(), wat.y.flat());
    close(native.dx, wat.dx);
    native.dw.forEach((dw, k) => close(dw, wat.dw[k]!));
    native.db.forEach((db, k) => close(db, wat.db[k]!));
    expect(native.dx.some((v) => v !== 0)).toBe(true);
  });
});
