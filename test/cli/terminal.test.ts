/**
 * What dsc train shows in a real terminal (tmux): epoch lines never glued to
 * a progress bar, no stale bars left behind, and after Ctrl-C the cursor and
 * line wrapping are back. Skipped where tmux is missing (CI installs it).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadModel, loadTrainingState } from "../../runtime/files.js";
import { createRandom } from "../../runtime/random.js";

const ROOT = join(import.meta.dirname, "..", "..");
const hasTmux = (() => {
  try {
    execFileSync("tmux", ["-V"]);
    return true;
  } catch {
    return false;
  }
})();
const SOCKET = `dsc-test-${process.pid}`;
const tmux = (...args: string[]): string => execFileSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" });
const screen = (): string[] => tmux("capture-pane", "-p", "-J", "-S", "-200").split("\n");

async function waitFor(what: (lines: string[]) => boolean, timeout = 60_000): Promise<string[]> {
  const until = Date.now() + timeout;
  for (;;) {
    const lines = screen();
    if (what(lines)) return lines;
    if (Date.now() > until) throw new Error(`timed out; the terminal shows:\n${lines.join("\n")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const dir = mkdtempSync(join(tmpdir(), "dsc-terminal-"));
writeFileSync(join(dir, "net.ds"), "network Quadrants { input 2  dense 16  output 2 }\n");
{
  const random = createRandom(3);
  const rows = ["x,y,label"];
  for (let i = 0; i < 2000; i++) {
    const [x, y] = [random.uniform(-1, 1), random.uniform(-1, 1)];
    rows.push(`${x.toFixed(4)},${y.toFixed(4)},${x * y > 0 ? 1 : 0}`);
  }
  writeFileSync(join(dir, "data.csv"), rows.join("\n"));
}
// Steps of a few hundred milliseconds, so a second Ctrl-C lands while a batch is still in flight.
writeFileSync(join(dir, "slow.ds"), "network Slow { input 2  dense [400, 400]  output 2 }\n");
const command = (epochs: number, out: string, network = "net.ds", batchSize = 4): string =>
  `cd ${ROOT} && node --import tsx test/support/dsc-child.ts train ${dir}/${network} --data ${dir}/data.csv --epochs ${epochs} --batch-size ${batchSize} --backend cpu --out ${dir}/${out}; echo "exit $?"; sleep 60`;
const EPOCH_LINE = /^epoch \d+\/\d+ {2}loss \d+\.\d{4} {2}accuracy \d+\.\d\d% {2}held-out \d+\.\d\d% {2}live \d+ \(sparsity \d+\.\d\d%\) {2}\d+\.\d s$/;

describe.skipIf(!hasTmux)("dsc train in a terminal", () => {
  afterAll(() => {
    if (hasTmux) execFileSync("tmux", ["-L", SOCKET, "kill-server"], { stdio: "ignore" });
  });

  it("prints whole epoch lines with the bar cleared before each, and leaves no bar behind", async () => {
    tmux("new-session", "-d", "-x", "160", "-y", "50", command(2, "run"));
    tmux("set-option", "remain-on-exit", "on");
    const lines = await waitFor((l) => l.some((line) => line.startsWith("exit ")));
    expect(lines.find((l) => l.startsWith("exit "))).toBe("exit 0");
    const epochLines = lines.filter((l) => l.includes("epoch ") && !l.startsWith("|"));
    expect(epochLines).toHaveLength(2);
    for (const line of epochLines) expect(line).toMatch(EPOCH_LINE);
    expect(lines.filter((l) => l.includes("batches"))).toEqual([]);
    tmux("kill-server");
  }, 120_000);

  it("after Ctrl-C gives the cursor and line wrapping back, and says how to continue", async () => {
    tmux("new-session", "-d", "-x", "160", "-y", "50", command(50, "interrupted"));
    tmux("set-option", "remain-on-exit", "on");
    await waitFor((l) => l.some((line) => line.startsWith("epoch 1/50")));
    // Mid-epoch, while the bar is drawn: it hid the cursor and turned wrapping off.
    await waitFor((l) => l.some((line) => line.includes("batches")));
    expect(tmux("display", "-p", "#{cursor_flag} #{wrap_flag}").trim()).toBe("0 0");
    tmux("send-keys", "C-c");
    const lines = await waitFor((l) => l.some((line) => line.startsWith("exit ")));
    expect(lines.find((l) => l.startsWith("exit "))).toBe("exit 130");
    expect(lines.join("\n")).toContain(`dsc: continue with: dsc train --resume ${dir}/interrupted`);
    expect(tmux("display", "-p", "#{cursor_flag} #{wrap_flag}").trim()).toBe("1 1");
    for (const line of lines.filter((l) => l.startsWith("epoch "))) expect(line).toMatch(EPOCH_LINE);
    tmux("kill-server");
  }, 120_000);

  it("a second Ctrl-C quits at once, with the terminal restored and the last completed epoch kept", async () => {
    tmux("new-session", "-d", "-x", "160", "-y", "50", command(50, "quit", "slow.ds", 256));
    tmux("set-option", "remain-on-exit", "on");
    await waitFor((l) => l.some((line) => line.startsWith("epoch 1/50")));
    await waitFor((l) => l.some((line) => line.includes("batches")));
    tmux("send-keys", "C-c");
    await new Promise((r) => setTimeout(r, 30));
    tmux("send-keys", "C-c");
    const lines = await waitFor((l) => l.some((line) => line.startsWith("exit ")));
    expect(lines.find((l) => l.startsWith("exit "))).toBe("exit 130");
    expect(lines.join("\n")).toContain("dsc: interrupted again; quitting now");
    expect(tmux("display", "-p", "#{cursor_flag} #{wrap_flag}").trim()).toBe("1 1");
    const model = await loadModel(`${dir}/quit`, { backend: "cpu" });
    expect((await loadTrainingState(`${dir}/quit`)).epochsCompleted).toBeGreaterThanOrEqual(1);
    model.dispose();
  }, 120_000);
});
