/**
 * `--backend`: the names useBackend accepts that run in Node; `tensorflow`
 * only with its optional native package installed (this machine has none:
 * @tensorflow/tfjs-node downloads libtensorflow at install, which fails here),
 * `webgpu` and `webgl` refused as browser-only; each refusal says why.
 */
import { describe, expect, it } from "vitest";
import { backendOption, installedNativePackage } from "../../src/cli/backend-option.js";
import { main } from "../../src/cli/main.js";
import { capture } from "../support/cli.js";

const resolvesOnly =
  (installed: string) =>
  (specifier: string): string => {
    if (specifier !== installed) throw new Error(`Cannot find module '${specifier}'`);
    return `/node_modules/${specifier}/index.js`;
  };

describe("--backend", () => {
  it("takes auto (the default), wasm and cpu", () => {
    expect([backendOption(undefined), backendOption("auto"), backendOption("wasm"), backendOption("cpu")]).toEqual(["auto", "auto", "wasm", "cpu"]);
  });

  it("takes tensorflow where either native package resolves, GPU build first", () => {
    expect(backendOption("tensorflow", resolvesOnly("@tensorflow/tfjs-node"))).toBe("tensorflow");
    expect(installedNativePackage(resolvesOnly("@tensorflow/tfjs-node-gpu"))).toBe("@tensorflow/tfjs-node-gpu");
  });

  it("refuses tensorflow without its package, saying what to install", () => {
    expect(() => backendOption("tensorflow", resolvesOnly("nothing"))).toThrow(
      "--backend tensorflow needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, and neither is installed (optional: npm install @tensorflow/tfjs-node)",
    );
  });

  it("refuses the browser backends and unknown names as a wrong command line (exit 2)", async () => {
    const io = capture();
    expect(await main(["predict", "run", "--data", "x.csv", "--backend", "webgl"], io)).toBe(2);
    expect(io.stderr.join("\n")).toContain("--backend webgl runs only in a browser; in Node use 'auto', 'wasm', 'cpu', 'tensorflow'");
    const other = capture();
    expect(await main(["evaluate", "run", "--data", "mnist", "--backend", "gpu"], other)).toBe(2);
    expect(other.stderr.join("\n")).toContain("--backend must be 'auto', 'wasm', 'cpu', 'tensorflow', got 'gpu'");
  });

  it.skipIf(installedNativePackage() !== undefined)("dsc train --backend tensorflow here (no native package) stops before training, exit 1", async () => {
    const io = capture();
    expect(await main(["train", "net.ds", "--data", "mnist", "--epochs", "1", "--backend", "tensorflow"], io)).toBe(1);
    expect(io.stderr.join("\n")).toContain("neither is installed");
  });
});
