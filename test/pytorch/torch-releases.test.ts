/**
 * The generated Python on current torch releases, checked here where only
 * Debian's torch 1.13 installs: no API that torch 2.x removed, deprecated
 * or changed the default of (the list below, each with the release), read
 * off every module the examples and fixtures compile to; and the GPU path
 * run with torch.cuda faked (devices.py): cuda:LOCAL_RANK made current
 * before an NCCL process group starts, the network moved there, DDP handed
 * that device and every buffer to ignore on releases with and without its
 * private method, torch.distributed.launch's --local-rank understood.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyze, emitPytorch } from "../../src/index.js";
import { hasTorch, pytorchSources, runPython, SCRIPTS } from "./support.js";

interface Retired {
  /** What the generated code must not contain. */
  readonly pattern: RegExp;
  readonly api: string;
  /** The release that removed it, deprecated it or changed its default, and what replaces it. */
  readonly change: string;
  /** A line that uses it, which the pattern must catch. */
  readonly example: string;
}

const RETIRED: readonly Retired[] = [
  { pattern: /\btorch\.solve\(/, api: "torch.solve", change: "removed in 2.0 (pytorch#70986): torch.linalg.solve", example: "x = torch.solve(b, a)" },
  { pattern: /\btorch\.eig\(/, api: "torch.eig", change: "removed in 2.0 (pytorch#70982): torch.linalg.eig", example: "torch.eig(a)" },
  { pattern: /\btorch\.symeig\(/, api: "torch.symeig", change: "removed in 2.0 (pytorch#70988): torch.linalg.eigh", example: "torch.symeig(a)" },
  { pattern: /\btorch\.lstsq\(/, api: "torch.lstsq", change: "removed in 2.0 (pytorch#70980): torch.linalg.lstsq", example: "torch.lstsq(b, a)" },
  { pattern: /\btorch\.matrix_rank\(/, api: "torch.matrix_rank", change: "removed in 2.0 (pytorch#70981): torch.linalg.matrix_rank", example: "torch.matrix_rank(a)" },
  { pattern: /\btorch\._six\b/, api: "torch._six", change: "removed in 2.0: the standard library", example: "from torch._six import inf" },
  { pattern: /\btorch\.distributed\.launch\b/, api: "torch.distributed.launch", change: "deprecated in 2.0: torchrun", example: "python -m torch.distributed.launch" },
  {
    pattern: /\btorch\.(cuda|cpu)\.amp\b/,
    api: "torch.cuda.amp, torch.cpu.amp",
    change: 'deprecated in 2.4: torch.amp.autocast("cuda"), torch.amp.GradScaler',
    example: "with torch.cuda.amp.autocast():",
  },
  {
    pattern: /\btorch\.load\((?![^)]*weights_only)/,
    api: "torch.load without weights_only",
    change: "default weights_only=True in 2.6: pass it",
    example: "state = torch.load(path)",
  },
  {
    pattern: /\bnn\.utils\.weight_norm\b/,
    api: "torch.nn.utils.weight_norm",
    change: "deprecated in 2.1: torch.nn.utils.parametrizations.weight_norm",
    example: "nn.utils.weight_norm(layer)",
  },
  {
    pattern: /\bset_default_tensor_type\b/,
    api: "torch.set_default_tensor_type",
    change: "deprecated in 2.1: set_default_dtype, set_default_device",
    example: "torch.set_default_tensor_type(t)",
  },
  { pattern: /\.storage\(\)|\bTypedStorage\b/, api: "Tensor.storage, TypedStorage", change: "deprecated in 2.0: untyped_storage", example: "w.storage()" },
  {
    pattern: /\b_all_gather_base\b|\b_reduce_scatter_base\b/,
    api: "dist._all_gather_base, _reduce_scatter_base",
    change: "deprecated in 2.x: all_gather_into_tensor, reduce_scatter_tensor",
    example: "dist._all_gather_base(out, x)",
  },
  {
    pattern: /(?<!TORCH_)\bNCCL_(BLOCKING_WAIT|ASYNC_ERROR_HANDLING|DESYNC_DEBUG)\b/,
    api: "NCCL_BLOCKING_WAIT and kin",
    change: "renamed in 2.2: TORCH_NCCL_BLOCKING_WAIT, …",
    example: "os.environ['NCCL_BLOCKING_WAIT'] = '1'",
  },
  {
    pattern: /\.zero_grad\((?!set_to_none=)/,
    api: "zero_grad() without set_to_none",
    change: "default set_to_none=True in 2.0 (False in 1.13): pass it",
    example: "optimizer.zero_grad()",
  },
  { pattern: /\btorch\.norm\(/, api: "torch.norm", change: "deprecated (pytorch#57986): torch.linalg.vector_norm", example: "torch.norm(g)" },
];

/** Every .ds file the PyTorch tests compile: the examples and test/pytorch/fixtures. */
async function modules(): Promise<{ name: string; text: string }[]> {
  const files = [...(await pytorchSources("examples")), ...(await pytorchSources("test/pytorch/fixtures"))];
  return Promise.all(
    files.map(async (file) => {
      const { plans } = analyze(await readFile(file, "utf8"), { fileName: file });
      return { name: file, text: emitPytorch(plans!, { sourceName: file }) };
    }),
  );
}

describe("the generated Python on torch 2.x", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("uses nothing torch 2.x removed, deprecated or changed the default of", async () => {
    const all = await modules();
    expect(all.length).toBeGreaterThan(20);
    for (const { name, text } of all) {
      for (const { pattern, api, change } of RETIRED) {
        // Code, not comments: a comment may name what it avoids.
        const line = text.split("\n").findIndex((l) => pattern.test(l.replace(/#.*$/, "")));
        expect(line, `${basename(name, ".ds")}.py line ${line + 1} uses ${api} (${change})`).toBe(-1);
      }
    }
  });

  it("the list catches what it names", () => {
    // Each pattern catches a line that uses its API, so a pattern that matches nothing cannot pass the test above.
    for (const { pattern, api, example } of RETIRED) expect(pattern.test(example), api).toBe(true);
    const allowed = ["torch.load(path, weights_only=True)", "os.environ['TORCH_NCCL_BLOCKING_WAIT'] = '1'", "optimizer.zero_grad(set_to_none=False)"];
    for (const line of allowed)
      expect(
        RETIRED.filter(({ pattern }) => pattern.test(line)).map((r) => r.api),
        line,
      ).toEqual([]);
  });

  it.skipIf(!hasTorch)("places each process on cuda:LOCAL_RANK under NCCL, with torch.cuda faked", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ds-pytorch-devices-"));
    dirs.push(dir);
    const source = "network Small { input 6\n dense 5\n output 3\n prune gradual(initial=0, final=0.5, start=1, end=4, every=1) }\n";
    const module = join(dir, "small.py");
    await writeFile(module, emitPytorch(analyze(source).plans!));
    const [x, y] = [join(dir, "x.bin"), join(dir, "y.bin")];
    await writeFile(x, new Uint8Array(new Float32Array(4 * 6).buffer));
    await writeFile(y, new Uint8Array(new Int32Array([0, 1, 2, 0]).buffer));
    const result = JSON.parse(runPython([join(SCRIPTS, "devices.py"), module, x, y, "Small"])) as {
      start: { calls: string[][]; world: number; device: string };
      ddp: { kwargs: Record<string, unknown>[]; methodIgnoresEveryBuffer: boolean; attributeIgnoresEveryBuffer: boolean; buffers: number };
      localRank: (string | null)[];
    };
    // The GPU made current before the process group starts (NCCL binds to it), then the network moved there.
    expect(result.start.calls).toEqual([
      ["set_device", "cuda:1"],
      ["init_process_group", "nccl"],
      ["to", "cuda:1"],
    ]);
    expect([result.start.world, result.start.device]).toEqual([2, "cuda:1"]);
    // DDP on that GPU, buffers (masks, index buffers) left out of its syncing, with or without its private method.
    expect(result.ddp.kwargs).toEqual([{ broadcast_buffers: false, device_ids: [1] }, { broadcast_buffers: false, device_ids: [1] }, { broadcast_buffers: false }]);
    expect(result.ddp.buffers).toBeGreaterThan(0);
    expect([result.ddp.methodIgnoresEveryBuffer, result.ddp.attributeIgnoresEveryBuffer]).toEqual([true, true]);
    // torch.distributed.launch's flag in both spellings; torchrun's LOCAL_RANK, when set, wins.
    expect(result.localRank).toEqual(["3", "3", "0"]);
  });
});
