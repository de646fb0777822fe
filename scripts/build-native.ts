/**
 * `npm run build:native`: builds the optional native part — native/dense.c (the
 * dense products on OpenBLAS), graph.c and graph-napi.c (the graph kernel),
 * adam.c (the fused Adam step), finite.c (the input check), conv.c (the
 * convolution as im2col × weight) — against OpenBLAS
 * (Debian: `apt-get install -y libopenblas-dev`), into
 * native/build/Release/deepstruct_native.node, where
 * runtime/kernels/native/load.ts looks for it.
 *
 * The same file, transpiled to native/build.js, is the packaged runtime's
 * install script (packages/runtime/copy-assets.js): there `..` is the
 * package's folder, which holds native/*.c beside it, and `--optional` keeps a
 * failed build from failing the app's install.
 *
 * It calls the C compiler directly with the headers of the Node that runs it
 * (Node-API only, so the addon loads in any later Node too) rather than
 * node-gyp, which would download those headers first. native/binding.gyp
 * describes the same build for node-gyp where that works.
 *
 * Missing compiler, headers or BLAS: it says which in one message and exits
 * 1; the runtime then runs on WASM as everywhere else. `--optional` exits 0
 * instead (for installs that must not fail for want of the native part).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const sources = ["dense.c", "pool.c", "graph.c", "graph-napi.c", "adam.c", "finite.c", "conv.c", "select.c"].map((file) => join(root, "native", file));
const output = join(root, "native/build/Release/deepstruct_native.node");
const optional = process.argv.includes("--optional");

function stop(message: string): never {
  console.error(`build:native: ${message}${optional ? " (optional: the runtime uses WASM)" : ""}`);
  process.exit(optional ? 0 : 1);
}

function compile(): void {
  const missing = sources.filter((file) => !existsSync(file));
  if (missing.length > 0) stop(`no sources ${missing.join(", ")}`);
  const headers = [join(dirname(process.execPath), "../include/node"), "/usr/include/node", "/usr/local/include/node"].find((d) => existsSync(join(d, "node_api.h")));
  if (headers === undefined) stop(`no node_api.h beside ${process.execPath} nor in /usr/include/node (Debian: apt-get install -y nodejs's headers, libnode-dev)`);
  const cc = process.env.CC ?? "cc";
  mkdirSync(dirname(output), { recursive: true });
  const args = [
    "-O3",
    "-fno-math-errno",
    "-shared",
    "-fPIC",
    "-Wall",
    "-Wextra",
    // Warnings fail the repository's build (they are ours to fix), not a user's install with another compiler.
    ...(optional ? [] : ["-Werror"]),
    `-I${headers}`,
    "-DNODE_GYP_MODULE_NAME=deepstruct_native",
    ...sources,
    "-lopenblas",
    "-lm",
    "-o",
    output,
  ];
  const result = spawnSync(cc, args, { encoding: "utf8" });
  if (result.error !== undefined) stop(`could not run the C compiler '${cc}': ${result.error.message}`);
  if (result.status !== 0) {
    const text = result.stderr.trim();
    const hint = /cblas\.h|lopenblas/.test(text) ? " — OpenBLAS is missing (Debian: apt-get install -y libopenblas-dev)" : "";
    stop(`${cc} ${args.join(" ")} failed${hint}:\n${text}`);
  }
  // Load it once here, so a build that cannot load says so now rather than at the first product.
  const check = spawnSync(process.execPath, ["-e", `const m = require(${JSON.stringify(output)}); console.log(m.describe(), "threads:", m.threads())`], { encoding: "utf8" });
  if (check.status !== 0) stop(`built ${output} but it does not load:\n${check.stderr.trim()}`);
  console.log(`build:native: wrote ${output} — ${check.stdout.trim()}`);
}

try {
  compile();
} catch (error) {
  // An unforeseen failure (a read-only folder, say) is one message too, never a failed install.
  stop(error instanceof Error ? error.message : String(error));
}
