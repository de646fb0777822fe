import type { Value } from "../parse/ast.js";

/** How a value reads in a message: "1.5", "true", "a list", "the name 'relu'". */
export function describeValue(value: Value): string {
  switch (value.kind) {
    case "NumberLiteral":
      return value.raw;
    case "BooleanLiteral":
      return String(value.value);
    case "StringLiteral":
      return "a string";
    case "NameReference":
      return `the name '${value.name}'`;
    case "ListLiteral":
      return "a list";
    case "Call":
      return `a call to ${value.callee.name}(...)`;
  }
}

/** The kinds of value a parameter or setting accepts. */
export type ValueKind = "integer" | "number" | "boolean";

export const kindDescription: Record<ValueKind, string> = {
  integer: "an integer",
  number: "a number",
  boolean: "true or false",
};
