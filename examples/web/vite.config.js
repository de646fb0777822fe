import { defineConfig } from "vite";

// Cross-origin isolation (COOP + COEP) lets TensorFlow.js's WASM backend run
// threaded (SharedArrayBuffer). Serve your own build with the same headers;
// set ISOLATED=0 to try the single-threaded build.
const isolated = process.env.ISOLATED !== "0";
const headers = isolated ? { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" } : {};

export default defineConfig({
  server: { headers },
  preview: { headers },
  build: { target: "es2022" },
});
