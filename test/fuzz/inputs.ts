import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";

/**
 * Inputs for fuzzing the compiler, three kinds mixed: programs made from the
 * grammar (names, arguments and settings drawn from the ones the language
 * knows, some of them wrong), the examples with random edits, and nasty text
 * (deep brackets, line breaks of every kind, unicode, long runs).
 */

const generators = ["balanced_tree", "grid_2d", "watts_strogatz", "newman_watts_strogatz", "erdos_renyi", "barabasi_albert", "complete", "path", "star", "ladder", "random_dag"];
const operations = ["file", "orient", "scalable", "append", "dirichlet"];
const settings = ["input", "dense", "structure", "output", "activation", "layer_norm", "execution", "mask", "prune", "grow"];
const words = ["relu", "tanh", "linear", "uniform", "index", "bfs", "random", "auto", "sparse", "dense", "global", "magnitude", "none", "init", "cosine", "erk"];
const policies = ["random", "dense", "learnable", "file", "one_shot", "iterative", "gradual", "rigl", "set"];
const parameters = [
  "n",
  "k",
  "p",
  "m",
  "r",
  "h",
  "rows",
  "cols",
  "seed",
  "scale",
  "proportions",
  "alpha",
  "density",
  "layers",
  "percent",
  "keep",
  "directed",
  "fast",
  "periodic",
  "rule",
  "roots",
];
const paths = [
  "/dev/zero",
  "/proc/self/status",
  "/",
  "test/fixtures/graphs/networkx-ws30.graphml",
  "test/fixtures/graphs/broken.graphml",
  "examples/graphs/motif.json",
  "missing.json",
  "x.gexf",
];

/** Mostly small numbers, sometimes ones past every limit or not integers or not finite. */
const number: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 12 }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: -3, max: 400 }).map(String) },
  { weight: 1, arbitrary: fc.double({ min: -2, max: 2, noNaN: true }).map((x) => String(Number(x.toFixed(3)))) },
  { weight: 1, arbitrary: fc.constantFrom("1e9", "1e308", "1e400", "-1e400", "2147483648", "1e-400", ".5", "0.0", "1000000", "99999999999999999999") },
);

const name = fc.oneof(fc.constantFrom("g", "h", "t", "N", "M", "dense1", "output"), fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/));

const value: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    number,
    fc.constantFrom("true", "false"),
    fc.constantFrom(...words, ...generators),
    name,
    fc.constantFrom(...paths).map((p) => JSON.stringify(p)),
    fc.array(tie("value"), { maxLength: 4 }).map((items) => `[${items.join(", ")}]`),
    fc
      .tuple(
        fc.constantFrom(...generators, ...operations, ...policies),
        fc.array(fc.tuple(fc.option(fc.constantFrom(...parameters), { nil: undefined }), tie("value")), { maxLength: 4 }),
      )
      .map(([callee, args]) => `${callee}(${args.map(([key, v]) => (key === undefined ? v : `${key}=${v}`)).join(", ")})`),
  ),
})).value;

const edgeList = fc
  .array(fc.tuple(number, fc.constantFrom("->", "--"), number), { minLength: 0, maxLength: 8 })
  .map((edges) => `edges { ${edges.map(([a, op, b]) => `${a} ${op} ${b}`).join(", ")} }`);

/** Expressions for `data … = function("…")`: well-formed, broken and deeply nested. */
const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("x", "y", "pi", "e", "z", "1e400", "0", "-1", "sin", ""),
    number,
    fc.tuple(tie("e"), fc.constantFrom("+", "-", "*", "/", "^", " ", "**"), tie("e")).map(([a, op, b]) => `${a}${op}${b}`),
    fc.tuple(fc.constantFrom("sin", "log", "sqrt", "exp", "abs", "tanh", "foo", ""), tie("e")).map(([f, a]) => `${f}(${a})`),
  ),
})).e;
const dataDeclaration = fc.oneof(
  fc
    .tuple(
      name,
      fc.oneof(
        expression,
        fc.integer({ min: 1, max: 3000 }).map((n) => `${"(".repeat(n)}x${")".repeat(n)}`),
      ),
      fc.array(value, { maxLength: 3 }),
    )
    .map(([n, e, rest]) => `data ${n} = function(${JSON.stringify(e)}, inputs=[x, y], domain=[-1, 1], samples=20${rest.map((v) => `, ${v}`).join("")})`),
  fc
    .tuple(
      name,
      fc.constantFrom("moons", "spirals", "blobs", "function", "circles"),
      fc.array(fc.tuple(fc.constantFrom("samples", "noise", "seed", "arms", "turns", "centers", "features", "std", "box"), value), { maxLength: 3 }),
    )
    .map(([n, kind, args]) => `data ${n} = ${kind}(${args.map(([k, v]) => `${k}=${v}`).join(", ")})`),
);

const graphDeclaration = fc.tuple(name, fc.oneof(value, edgeList)).map(([n, v]) => `graph ${n} = ${v}`);
const setting = fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...settings) }, { weight: 1, arbitrary: name }), value).map(([key, v]) => `  ${key} ${v}`);
/** A network with an input and an output most of the time, so that more programs get past check. */
const networkDeclaration = fc
  .tuple(name, fc.integer({ min: 1, max: 20 }), fc.array(setting, { maxLength: 6 }), fc.integer({ min: 1, max: 5 }), fc.boolean())
  .map(([n, input, body, output, complete]) => `network ${n} {\n${complete ? `  input ${input}\n` : ""}${body.join("\n")}\n${complete ? `  output ${output}\n` : ""}}`);

export const grammarProgram: fc.Arbitrary<string> = fc
  .array(fc.oneof(graphDeclaration, networkDeclaration, dataDeclaration), { minLength: 1, maxLength: 5 })
  .map((declarations) => declarations.join("\n"));

const small = (max: number): fc.Arbitrary<number> => fc.integer({ min: 1, max });
/** Generator calls whose arguments are all in range, so that programs reach elaborate, lower, fuse and emit. */
const validGenerator: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(small(3), fc.integer({ min: 0, max: 4 })).map(([r, h]) => `balanced_tree(${r}, ${h})`),
  fc.tuple(small(6), small(6), fc.boolean()).map(([r, c, p]) => `grid_2d(${r}, ${c}, periodic=${p})`),
  fc
    .tuple(fc.integer({ min: 5, max: 60 }), fc.integer({ min: 0, max: 4 }), fc.double({ min: 0, max: 1, noNaN: true }), small(99))
    .map(([n, k, p, seed]) => `watts_strogatz(${n}, ${k}, ${p.toFixed(2)}, seed=${seed})`),
  fc.tuple(small(40), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), fc.boolean()).map(([n, p, d, f]) => `erdos_renyi(${n}, ${p.toFixed(2)}, directed=${d}, fast=${f})`),
  fc.tuple(fc.integer({ min: 3, max: 40 }), small(2)).map(([n, m]) => `barabasi_albert(${n}, ${m})`),
  fc.tuple(fc.constantFrom("complete", "path", "star", "ladder"), small(12)).map(([g, n]) => `${g}(${n})`),
  fc.tuple(fc.integer({ min: 4, max: 30 }), small(4), fc.double({ min: 0, max: 1, noNaN: true })).map(([n, l, p]) => `random_dag(${n}, ${l}, ${p.toFixed(2)})`),
);
const validGraph: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: validGenerator },
  { weight: 1, arbitrary: fc.tuple(validGenerator, small(40)).map(([g, scale]) => `scalable(${g}, scale=${scale})`) },
  { weight: 1, arbitrary: fc.tuple(validGenerator, validGenerator).map(([a, b]) => `append(${a}, ${b})`) },
  { weight: 1, arbitrary: fc.tuple(validGenerator, fc.constantFrom("index", "bfs", "random")).map(([g, rule]) => `orient(${g}, ${rule})`) },
);
const validSetting = fc.oneof(
  small(16).map((n) => `dense ${n}`),
  fc.constantFrom(
    "activation tanh",
    "layer_norm true",
    "execution sparse",
    "execution dense",
    "mask random(density=0.5, seed=2)",
    "mask learnable(keep=0.8)",
    "prune one_shot(percent=10)",
    "grow set(sparsity=0.5, stop=10)",
  ),
);
/** Well-typed programs: graphs in range and networks that use them. */
export const wellTypedProgram: fc.Arbitrary<string> = fc
  .tuple(fc.array(validGraph, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(small(20), fc.array(validSetting, { maxLength: 3 }), small(5)), { minLength: 1, maxLength: 3 }))
  .map(([graphs, networks]) =>
    [
      ...graphs.map((g, i) => `graph g${i} = ${g}`),
      ...networks.map(
        ([input, body, output], i) => `network N${i} {\n  input ${input}\n${[...body, `structure g${i % graphs.length}`].map((b) => `  ${b}`).join("\n")}\n  output ${output}\n}`,
      ),
    ].join("\n"),
  );

const examples: readonly string[] = readdirSync(join(import.meta.dirname, "../../examples"))
  .filter((f) => f.endsWith(".ds"))
  .sort()
  .map((f) => readFileSync(join(import.meta.dirname, "../../examples", f), "utf8"));

const fragment = fc.oneof(
  fc.constantFrom("(", ")", "[", "]", "{", "}", ",", "=", "->", "--", '"', "\\", "#", "//", "/*", "*/", "\r", "\n", "\r\n", "\t", "\uFEFF", "😀", "é", "\u0000"),
  number,
  value,
);

/** One edit: delete, duplicate or replace a stretch, or insert a fragment, at positions drawn as fractions of the text. */
const edit = fc.tuple(fc.constantFrom("delete", "duplicate", "insert", "replace"), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 40 }), fragment);

export const mutatedExample: fc.Arbitrary<string> = fc.tuple(fc.constantFrom(...examples), fc.array(edit, { minLength: 1, maxLength: 6 })).map(([text, edits]) =>
  edits.reduce((t, [kind, where, length, inserted]) => {
    const at = Math.floor(where * t.length);
    const end = Math.min(t.length, at + length);
    if (kind === "delete") return t.slice(0, at) + t.slice(end);
    if (kind === "duplicate") return t.slice(0, end) + t.slice(at, end) + t.slice(end);
    if (kind === "insert") return t.slice(0, at) + inserted + t.slice(at);
    return t.slice(0, at) + inserted + t.slice(end);
  }, text),
);

export const nastyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.array(fragment, { maxLength: 60 }).map((parts) => parts.join(" ")),
  fc
    .tuple(fc.constantFrom("(", "[", "{", "append(", "orient(", "[0, "), fc.integer({ min: 1, max: 5000 }), fc.constantFrom("graph g = ", "network N { input ", ""))
    .map(([open, n, prefix]) => prefix + open.repeat(n)),
  fc
    .tuple(fc.constantFrom("\r", "\n", "\r\n", "\t", "# c\r", "/* x\r*/"), fc.integer({ min: 1, max: 200 }), grammarProgram)
    .map(([brk, n, p]) => brk.repeat(n) + p.replace(/\n/g, brk)),
);

/** Every kind of input, weighted towards programs that reach the later passes. */
export const fuzzInput: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: wellTypedProgram },
  { weight: 3, arbitrary: grammarProgram },
  { weight: 3, arbitrary: mutatedExample },
  { weight: 2, arbitrary: nastyText },
);
