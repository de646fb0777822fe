import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Generated modules import the runtime by the package's name; in tests that name
// points at the TypeScript sources so no build is needed first.
export default defineConfig({
  resolve: {
    alias: {
      // The more specific entry first: aliases match by prefix, in order.
      "@deepstruct/runtime/files": fileURLToPath(new URL("./runtime/files.ts", import.meta.url)),
      "@deepstruct/runtime": fileURLToPath(new URL("./runtime/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
  },
});
