import { TextDocuments, TextDocumentSyncKind, type Connection, type InitializeResult, type TextEdit } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { format } from "../format/index.js";
import { analyzeDocument, lspDiagnostics, type Analysis } from "./analysis.js";
import { completion } from "./completion.js";
import { definition } from "./definition.js";
import { hover } from "./hover.js";

/** Diagnostics wait for a pause this long in typing, so a burst of keystrokes is analysed once. */
const DEBOUNCE_MS = 150;

/**
 * `dsc lsp`: serves `.ds` documents on a connection — diagnostics as the text
 * changes, hover, completion, go-to-definition and formatting. Every request
 * answers for any text: a broken document still gets its diagnostics, and
 * the questions its recovered syntax tree can answer.
 */
export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const analyses = new Map<string, { version: number; analysis: Analysis }>();
  const timers = new Map<string, NodeJS.Timeout>();

  const analysisOf = (document: TextDocument): Analysis => {
    const cached = analyses.get(document.uri);
    if (cached?.version === document.version) return cached.analysis;
    const analysis = analyzeDocument(document.getText(), document.uri);
    analyses.set(document.uri, { version: document.version, analysis });
    return analysis;
  };
  const publish = (document: TextDocument): void => {
    void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: lspDiagnostics(analysisOf(document)) });
  };
  const schedule = (document: TextDocument): void => {
    clearTimeout(timers.get(document.uri));
    timers.set(
      document.uri,
      setTimeout(() => publish(document), DEBOUNCE_MS),
    );
  };

  connection.onInitialize((): InitializeResult => ({ capabilities: CAPABILITIES, serverInfo: { name: "dsc" } }));
  documents.onDidOpen(({ document }) => publish(document));
  documents.onDidChangeContent(({ document }) => schedule(document));
  documents.onDidClose(({ document }) => {
    clearTimeout(timers.get(document.uri));
    analyses.delete(document.uri);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
  });

  const withDocument = <T>(uri: string, fallback: T, answer: (analysis: Analysis) => T): T => {
    const document = documents.get(uri);
    return document === undefined ? fallback : answer(analysisOf(document));
  };
  connection.onHover(({ textDocument, position }) => withDocument(textDocument.uri, null, (a) => hover(a, a.lines.sourceOffset(position))));
  connection.onCompletion(({ textDocument, position }) => withDocument(textDocument.uri, [], (a) => completion(a, a.lines.sourceOffset(position))));
  connection.onDefinition(({ textDocument, position }) => withDocument(textDocument.uri, null, (a) => definition(a, textDocument.uri, a.lines.sourceOffset(position))));
  connection.onDocumentFormatting(({ textDocument }) => withDocument(textDocument.uri, [], (a) => formattingEdits(a)));

  documents.listen(connection);
}

const CAPABILITIES: InitializeResult["capabilities"] = {
  textDocumentSync: TextDocumentSyncKind.Full,
  hoverProvider: true,
  // Not a space: a list popping up after every word gets in the way of typing.
  completionProvider: { triggerCharacters: ["(", ",", "="] },
  definitionProvider: true,
  documentFormattingProvider: true,
};

/** The whole document replaced by `format()`'s layout; nothing for a document with syntax errors, which the formatter refuses. */
function formattingEdits(analysis: Analysis): TextEdit[] {
  const { text } = analysis.lines;
  const formatted = format(text);
  if (formatted.diagnostics.length > 0 || formatted.text === text) return [];
  return [{ range: { start: { line: 0, character: 0 }, end: analysis.lines.position(text.length) }, newText: formatted.text }];
}
