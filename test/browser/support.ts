/**
 * What the browser tests need: headless Chromium (Debian's
 * chromium-headless-shell or chromium, driven by playwright-core with its
 * executablePath; no browser download), a page bundle made with esbuild from
 * the runtime's sources, and a tiny static server for it that can send the
 * cross-origin-isolation headers (COOP/COEP) the threaded WASM build needs.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";

const CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium-headless-shell", "/usr/bin/chromium", "/usr/bin/chromium-browser"];
export const chromiumPath = CANDIDATES.find((path): path is string => path !== undefined && path !== "" && existsSync(path));

/** SwiftShader gives headless Chromium WebGL2 and WebGPU without a GPU: correct, not fast. */
export const CHROMIUM_FLAGS = ["--enable-unsafe-swiftshader", "--enable-unsafe-webgpu", "--use-angle=swiftshader", "--enable-features=Vulkan"];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath!, headless: true, args: CHROMIUM_FLAGS });
}

const ROOT = new URL("../../", import.meta.url);
const WASM_DIR = new URL("node_modules/@tensorflow/tfjs-backend-wasm/dist/", ROOT);

/**
 * Bundles `entry` (module source, resolved from test/browser) for the browser,
 * the runtime taken from its sources as its package name; minified, as an
 * app ships it. (esbuild's minifier happens to leave the threaded WASM glue
 * working; Vite's does not, which web-example.test.ts covers.)
 */
export async function bundle(entry: string): Promise<string> {
  const result = await build({
    stdin: { contents: entry, resolveDir: fileURLToPath(new URL("test/browser/", ROOT)), loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    alias: { "@deepstruct/runtime": fileURLToPath(new URL("runtime/index.ts", ROOT)) },
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

export interface PageServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `/` (a page that loads the bundle), `/bundle.js` and the WASM
 * backend's binaries under `/wasm/`. With `isolated`, every response carries
 * COOP `same-origin` and COEP `require-corp`, so the page is cross-origin
 * isolated and TensorFlow.js picks its threaded WASM build.
 */
export async function servePage(script: string, options: { readonly isolated: boolean }): Promise<PageServer> {
  const html = `<!doctype html><html><head><meta charset="utf-8"></head><body><script type="module" src="/bundle.js"></script></body></html>`;
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    if (options.isolated) {
      response.setHeader("Cross-Origin-Opener-Policy", "same-origin");
      response.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
    }
    if (path === "/") return void response.writeHead(200, { "Content-Type": "text/html" }).end(html);
    if (path === "/bundle.js") return void response.writeHead(200, { "Content-Type": "text/javascript" }).end(script);
    const wasm = /^\/wasm\/(tfjs-backend-wasm[a-z-]*\.wasm)$/.exec(path);
    if (wasm !== null) return void response.writeHead(200, { "Content-Type": "application/wasm" }).end(readFileSync(new URL(wasm[1]!, WASM_DIR)));
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".bin": "application/octet-stream",
  ".css": "text/css",
};

/** Serves the files of a built site (e.g. a Vite `dist` folder), `/` as its index.html; with `isolated`, as {@link servePage}. */
export async function serveDirectory(root: string, options: { readonly isolated: boolean }): Promise<PageServer> {
  const server: Server = createServer((request, response) => {
    if (options.isolated) {
      response.setHeader("Cross-Origin-Opener-Policy", "same-origin");
      response.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
    }
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const file = join(root, normalize(path === "/" ? "/index.html" : path));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) return void response.writeHead(404).end();
    response.writeHead(200, { "Content-Type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
