import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// Cross-origin isolation (COOP + COEP) lets TensorFlow.js's WASM backend run
// threaded (SharedArrayBuffer). Serve your own build with the same headers;
// set ISOLATED=0 to try the single-threaded build.
const isolated = process.env.ISOLATED !== "0";
const headers = isolated ? { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" } : {};

// The repository's test builds the page against the runtime's sources
// (DEEPSTRUCT_RUNTIME=source), not packages/runtime/dist, which other tests rebuild meanwhile.
const alias = process.env.DEEPSTRUCT_RUNTIME === "source" ? { "@deepstruct/runtime": fileURLToPath(new URL("../../runtime/index.ts", import.meta.url)) } : {};

export default defineConfig({
  resolve: { alias },
  server: { headers },
  preview: { headers },
  build: { target: "es2022" },
});
