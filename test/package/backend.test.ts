import { describe, expect, it, vi } from "vitest";
import { autoOrder, useBackend } from "../../runtime/backend.js";
import { tf } from "../../runtime/index.js";

// Node: no GPU backends; the native one is used when an optional peer is installed, and is not here.
describe("backend selection in Node", () => {
  it("tries the native TensorFlow backend, then WASM, then CPU", () => {
    expect(autoOrder()).toEqual(["tensorflow", "wasm", "cpu"]);
  });

  it("falls back from the missing native backend to WASM, without a warning", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      expect(await useBackend("auto")).toBe("wasm");
      expect(tf.getBackend()).toBe("wasm");
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it("names both native packages and why when 'tensorflow' is asked for and neither is installed", async () => {
    await expect(useBackend("tensorflow")).rejects.toThrow(/the 'tensorflow' backend could not be initialised: .*@tensorflow\/tfjs-node-gpu.*@tensorflow\/tfjs-node/);
  });

  it("refuses the GPU backends outside a browser, saying why", async () => {
    await expect(useBackend("webgpu")).rejects.toThrow("the 'webgpu' backend could not be initialised: WebGPU is not available here (no navigator.gpu)");
    await expect(useBackend("webgl")).rejects.toThrow("the 'webgl' backend could not be initialised: WebGL needs a browser canvas");
  });

  it("refuses an unknown name, listing the known ones", async () => {
    await expect(useBackend("metal" as never)).rejects.toThrow('unknown backend \'metal\'; expected one of "webgpu", "webgl", "wasm", "cpu", "tensorflow", "auto"');
  });
});
