import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { format } from "../../src/index.js";

const ROOT = join(import.meta.dirname, "..", "..");
const CHILD = join(ROOT, "test", "support", "dsc-child.ts");
const URI = pathToFileURL(join(ROOT, "test", "lsp", "session.ds")).href;

interface Range {
  start: { line: number; character: number };
  end: { line: number; character: number };
}
interface PublishedDiagnostics {
  uri: string;
  diagnostics: { code: string; range: Range; message: string }[];
}

// An unknown setting on line 3 (0-based) after an astral character and CRLF line ends, so positions are counted as LSP counts them.
const SOURCE = ["# 🙂 a tree", "graph tree = balanced_tree(r=2, h=3)", "network Net {", "  input 4  /* 🙂 */ activaton relu", "  structure tree", "  output 2", "}", ""].join(
  "\r\n",
);

/** A real client: dsc lsp in its own process, spoken to over stdio with Content-Length framing. */
describe("dsc lsp, in a session over stdio", () => {
  let child: ChildProcessWithoutNullStreams;
  let client: MessageConnection;
  const published: PublishedDiagnostics[] = [];
  let notify: (() => void) | undefined;

  beforeAll(() => {
    child = spawn(process.execPath, ["--import", "tsx", CHILD, "lsp"], { cwd: ROOT });
    client = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    client.onNotification("textDocument/publishDiagnostics", (params: PublishedDiagnostics) => {
      published.push(params);
      notify?.();
    });
    client.listen();
  });
  afterAll(() => child.kill());

  const diagnosticsAfter = async (send: () => Promise<void>, count: number): Promise<PublishedDiagnostics> => {
    const arrived = new Promise<void>((resolve) => (notify = () => published.length >= count && resolve()));
    await send();
    await arrived;
    return published.at(-1)!;
  };
  const at = (line: number, character: number) => ({ textDocument: { uri: URI }, position: { line, character } });
  const labels = (items: { label: string }[]): string[] => items.map((i) => i.label);

  it("initializes and announces its capabilities", async () => {
    const result = await client.sendRequest<{ capabilities: Record<string, unknown> }>("initialize", { processId: null, rootUri: null, capabilities: {} });
    expect(result.capabilities).toMatchObject({ textDocumentSync: 1, hoverProvider: true, definitionProvider: true, documentFormattingProvider: true });
    expect(result.capabilities["completionProvider"]).toBeDefined();
    await client.sendNotification("initialized", {});
  }, 15_000);

  it("publishes the compiler's diagnostic for a document with an error, at its 0-based UTF-16 range", async () => {
    const open = () => client.sendNotification("textDocument/didOpen", { textDocument: { uri: URI, languageId: "ds", version: 1, text: SOURCE } });
    const { diagnostics } = await diagnosticsAfter(open, 1);
    expect(diagnostics.map((d) => d.code)).toEqual(["DS2004"]);
    // "  input 4  /* 🙂 */ " is 20 UTF-16 units: the emoji counts two.
    expect(diagnostics[0]!.range).toEqual({ start: { line: 3, character: 20 }, end: { line: 3, character: 29 } });
  });

  it("sends fresh diagnostics after a change; the fixed document has none", async () => {
    const fixed = SOURCE.replace("activaton", "activation");
    const change = () => client.sendNotification("textDocument/didChange", { textDocument: { uri: URI, version: 2 }, contentChanges: [{ text: fixed }] });
    expect((await diagnosticsAfter(change, 2)).diagnostics).toEqual([]);
  });

  it("hovers a graph name with its counts and layer sizes", async () => {
    const hover = await client.sendRequest<{ contents: { value: string }; range: Range }>("textDocument/hover", at(4, 13));
    expect(hover.contents.value).toContain("15 vertices, 14 edges, 4 layers");
    expect(hover.contents.value).toContain("layer sizes: 1, 2, 4, 8");
    expect(hover.range).toEqual({ start: { line: 4, character: 12 }, end: { line: 4, character: 16 } });
  });

  it("hovers a setting with its documentation", async () => {
    const hover = await client.sendRequest<{ contents: { value: string } }>("textDocument/hover", at(5, 3));
    expect(hover.contents.value).toContain("the number of outputs");
  });

  it("completes setting names inside a network body", async () => {
    const items = await client.sendRequest<{ label: string }[]>("textDocument/completion", at(5, 0));
    expect(labels(items)).toEqual(expect.arrayContaining(["input", "dense", "structure", "output", "activation", "layer_norm", "mask", "prune"]));
  });

  it("completes the argument names a call has not been given yet", async () => {
    // Line 1: "graph tree = balanced_tree(r=2, h=3)"; the cursor after "r=2, ".
    const items = await client.sendRequest<{ label: string; insertText: string }[]>("textDocument/completion", at(1, 32));
    expect(labels(items)).toEqual(["h"]);
    const first = await client.sendRequest<{ label: string }[]>("textDocument/completion", at(1, 27));
    expect(labels(first)).toEqual(["r", "h"]);
  });

  it("goes from a structure's graph name to the graph's declaration", async () => {
    const location = await client.sendRequest<{ uri: string; range: Range }>("textDocument/definition", at(4, 14));
    expect(location).toEqual({ uri: URI, range: { start: { line: 1, character: 6 }, end: { line: 1, character: 10 } } });
  });

  it("formats the whole document as format() does", async () => {
    const messy = "graph   t=path( 3 )\nnetwork N{input 2\noutput 1 structure t}\n";
    await client.sendNotification("textDocument/didChange", { textDocument: { uri: URI, version: 3 }, contentChanges: [{ text: messy }] });
    const edits = await client.sendRequest<{ range: Range; newText: string }[]>("textDocument/formatting", {
      textDocument: { uri: URI },
      options: { tabSize: 2, insertSpaces: true },
    });
    expect(edits).toEqual([{ range: { start: { line: 0, character: 0 }, end: { line: 3, character: 0 } }, newText: format(messy).text }]);
    expect(edits[0]!.newText).not.toBe(messy);
  });

  it("shuts down and exits with status 0", async () => {
    await client.sendRequest("shutdown");
    const exited = new Promise<number | null>((resolve) => child.on("exit", (status) => resolve(status)));
    await client.sendNotification("exit");
    expect(await exited).toBe(0);
  });
});
