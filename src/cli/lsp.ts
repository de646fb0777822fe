import { createConnection, ProposedFeatures, StreamMessageReader, StreamMessageWriter } from "vscode-languageserver/node";
import { startServer } from "../lsp/index.js";

/**
 * `dsc lsp`: the language server on standard input and output. It runs until
 * the client sends `exit`, which ends the process (vscode-languageserver
 * exits 0 after a `shutdown`, 1 without one), so the returned promise only
 * settles if the input closes first.
 */
export async function lspCommand(): Promise<number> {
  const connection = createConnection(ProposedFeatures.all, new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
  startServer(connection);
  connection.listen();
  return await new Promise<number>((resolve) => process.stdin.on("end", () => resolve(0)));
}
