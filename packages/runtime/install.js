// The package's install script: builds the native addon for this machine with
// native/build.js (scripts/build-native.ts, copied in with the C sources when
// the package is packed), `--optional` so that a failed build is one message
// and the runtime runs on WASM. In the repository's own workspace, before the
// package is built, there is nothing here to build (`npm run build:native`
// builds the repository's addon).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("native/build.js", import.meta.url));
if (existsSync(script)) spawnSync(process.execPath, [script, "--optional"], { stdio: "inherit" });
