/**
 * Every diagnostic the compiler can report, in one table: a stable code, its
 * severity and a message template whose `{0}`, `{1}`… are filled by the pass
 * that reports it. Codes never change meaning; retired codes are not reused.
 * Each code has a test that triggers it (test/diagnostics/table.test.ts).
 */
export const diagnosticTable = {
  // 1xxx: reading the text
  DS1001: { severity: "error", template: "unexpected character '{0}'" },
  DS1002: { severity: "error", template: "expected {0} but found {1}" },
  DS1003: { severity: "error", template: "{0} cannot start here; expected {1}" },
  DS1004: { severity: "error", template: "unterminated string" },
  DS1005: { severity: "error", template: "brackets nest deeper than {0} levels" },
  DS1006: { severity: "error", template: "the number {0} is too large" },
  DS1010: { severity: "error", template: "syntax error in the expression: {0}" },

  // 2xxx: checking names, kinds and ranges
  DS2001: { severity: "error", template: "'{0}' is declared more than once" },
  DS2002: { severity: "error", template: "unknown graph generator '{0}'" },
  DS2003: { severity: "error", template: "unknown graph '{0}'" },
  DS2004: { severity: "error", template: "unknown setting '{0}' in network '{1}'" },
  DS2005: { severity: "error", template: "'{0}' expects {1}, but got {2}" },
  DS2006: { severity: "error", template: "'{0}' must be {1}, but is {2}" },
  DS2007: { severity: "error", template: "'{0}' is missing the argument '{1}'" },
  DS2008: { severity: "error", template: "'{0}' has no argument named '{1}'" },
  DS2009: { severity: "error", template: "argument '{0}' is given more than once" },
  DS2010: { severity: "error", template: "'{0}' takes {1} arguments, but {2} were given" },
  DS2011: { severity: "error", template: "a positional argument cannot follow a named one" },
  DS2012: { severity: "error", template: "network '{0}' has no input" },
  DS2013: { severity: "error", template: "network '{0}' has no output" },
  DS2014: { severity: "error", template: "setting '{0}' is given more than once in network '{1}'" },
  DS2015: { severity: "error", template: "graph '{0}' is empty" },
  DS2016: { severity: "error", template: "graph '{0}' mixes directed (->) and undirected (--) edges" },
  DS2017: { severity: "error", template: "unknown activation '{0}'" },
  DS2019: { severity: "error", template: "graph '{0}' has a self-loop at vertex {1}" },
  DS2020: { severity: "warning", template: "edge {0} is listed more than once in graph '{1}'" },
  DS2021: { severity: "error", template: "{0} would have {1} vertices; the limit is {2}" },
  DS2022: { severity: "error", template: "cannot read file '{0}': {1}" },
  DS2023: { severity: "error", template: "file '{0}' is malformed: {1}" },
  DS2024: { severity: "error", template: "graph file '{0}' has an edge to unknown node '{1}'" },
  DS2025: { severity: "error", template: "'{0}' needs an undirected graph, but {1} is directed" },
  DS2027: { severity: "error", template: "network '{0}' has no layer '{1}'" },
  DS2026: { severity: "error", template: "{0} would have {1} edges; the limit is {2}" },
  DS2028: { severity: "error", template: "{0} would draw {1} vertex pairs; the limit is {2}" },
  DS2029: { severity: "error", template: "{0} would have {1} neurons; the limit is {2}" },
  DS2030: { severity: "error", template: "{0} would have {1} connections; the limit is {2}" },
  DS2031: { severity: "error", template: "{0} would have {1} parameters; the limit is {2}" },
  DS2032: { severity: "error", template: "{0} would have {1} layers; the limit is {2}" },
  DS2033: { severity: "error", template: "{0} would have {1} connection blocks; the limit is {2}" },
  DS2034: { severity: "error", template: "{0} would list {1} connections and neurons one by one; the limit is {2}" },
  DS2035: { severity: "error", template: "vertex id {0} is too large; ids go up to {1}" },

  // 204x: data declarations and their expressions
  DS2040: { severity: "error", template: "unknown dataset '{0}'" },
  DS2041: { severity: "error", template: "unknown name '{0}' in the expression" },
  DS2042: { severity: "error", template: "the expression is not finite at sample {0} ({1}): '{2}' is {3}" },
  DS2043: { severity: "error", template: "input '{0}' is listed more than once" },
  DS2044: { severity: "error", template: "'{0}' cannot name an input: it is {1} of the expression language" },
  DS2045: { severity: "error", template: "'{0}' is {1}, not a function" },
  DS2046: { severity: "error", template: "function '{0}' needs its argument in parentheses, e.g. {0}(x)" },

  // 205x: convolutional feature layers
  DS2050: { severity: "error", template: "unknown feature layer '{0}'" },
  DS2051: { severity: "error", template: "'features' must come before the dense layers and structures of network '{0}'" },
  DS2052: { severity: "error", template: "{0} does not fit its input: {1}" },
  DS2053: { severity: "error", template: "{0} makes a shape that reaches zero: {1}" },
  DS2054: { severity: "error", template: "feature layers need an input [channels, height, width], but network '{0}' has input {1}" },
  DS2055: { severity: "error", template: "flatten() must be the last feature layer" },
  // DS2056 (a policy that did not reach conv or recurrent weights yet) is retired: every policy reaches them.
  DS2057: { severity: "error", template: "unknown recurrent layer kind '{0}'; kinds are rnn, gru, lstm" },
  DS2058: { severity: "error", template: "recurrent layers need an input [steps, features], but network '{0}' has input {1}" },
  DS2059: { severity: "error", template: "'recurrent' must come before the dense layers and structures of network '{0}'" },
  DS2060: { severity: "error", template: "network '{0}' has both feature layers and recurrent layers; a network takes one of them" },
  DS2061: { severity: "error", template: "graph '{0}' has no vertices, so it cannot be a recurrent layer" },
  DS2062: { severity: "error", template: "graph '{0}' is a scalable family (several neurons per vertex), which a recurrent layer cannot take as its connectivity" },
  DS2063: {
    severity: "error",
    template: "padded recurrent layers read a real-step flag as the last feature of each step, so network '{0}' needs at least 2 features per step, but has input {1}",
  },

  // 207x: cell networks (cell declarations, `cells` and `head`)
  DS2070: { severity: "error", template: "a cell cannot hold {0}: its maps go on to other cells" },
  DS2071: { severity: "error", template: "cell '{0}' has no conv layer, so its output channels would depend on its inputs" },
  DS2072: { severity: "error", template: "unknown cell '{0}'" },
  DS2073: { severity: "error", template: "'cells' in network '{0}' needs exactly one structure, written before any dense layer" },
  DS2074: { severity: "error", template: "'head' sets the channels of a cell network's head, but network '{0}' has no 'cells'" },
  DS2075: { severity: "error", template: "{0} of cell '{1}' at vertex {2} of '{3}' does not fit its input: {4}" },

  // 3xxx: building and layering graphs
  DS3001: { severity: "error", template: "graph '{0}' has a cycle: {1}" },
  DS3002: { severity: "warning", template: "layer norm over depth {0} of '{1}' is skipped: it has a single neuron" },

  // 9xxx: the compiler itself
  DS9001: { severity: "error", template: "internal compiler error: {0}" },
} as const satisfies Record<string, { severity: "error" | "warning"; template: string }>;

export type DiagnosticCode = keyof typeof diagnosticTable;
