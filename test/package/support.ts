import { execFileSync } from "node:child_process";
import { lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Runs a command; on failure the error carries its output, so a test says what went wrong. */
export function run(command: string, args: readonly string[], cwd: string, timeout = 240_000, env: Readonly<Record<string, string>> = {}): string {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", timeout, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} (in ${cwd}) failed: ${failed.message}\n${failed.stdout ?? ""}\n${failed.stderr ?? ""}`);
  }
}

/** Packs a workspace of this repository into `destination` (its `prepack` builds it first); returns the tarball's path. */
export function packWorkspace(workspace: string, destination: string): string {
  const output = run("npm", ["pack", "--workspace", workspace, "--pack-destination", destination, "--silent"], repoRoot);
  const name = output.trim().split("\n").at(-1)!;
  return join(destination, name);
}

/** Writes an app's package.json with these dependencies and installs them from the registry (and the npm cache). */
export function installApp(dir: string, dependencies: Readonly<Record<string, string>>): void {
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true, type: "module", dependencies }, null, 2));
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], dir);
}

/** Bytes of every file under `dir` (symbolic links not followed). */
export function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += treeBytes(path);
    else total += lstatSync(path).size;
  }
  return total;
}

/** The names of the packages installed in an app's node_modules (scoped ones as `@scope/name`). */
export function installedPackages(dir: string): string[] {
  const modules = join(dir, "node_modules");
  return readdirSync(modules)
    .filter((name) => !name.startsWith("."))
    .flatMap((name) => (name.startsWith("@") ? readdirSync(join(modules, name)).map((inner) => `${name}/${inner}`) : [name]))
    .sort();
}

export function installedVersion(dir: string, name: string): string {
  return (JSON.parse(readFileSync(join(dir, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}
