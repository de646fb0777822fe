import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Argument, Call, Value } from "../parse/ast.js";
import { didYouMean } from "./suggest.js";
import { describeValue, kindDescription, type ValueKind } from "./values.js";

/** The kinds of argument a call takes: scalars, or kinds the caller checks itself (`custom`). */
export type ParameterKind = ValueKind | "string" | "integers" | "choice" | "custom";

/** A parameter: its kind, its allowed range or choices, and its default (absent: required). */
export interface ParameterRule {
  readonly name: string;
  readonly kind: ParameterKind;
  readonly min?: number;
  readonly max?: number;
  readonly choices?: readonly string[];
  readonly default?: number | boolean | string | readonly number[];
}

export type ArgumentValue = number | boolean | string | readonly number[] | Value;

/**
 * Matches positional and named arguments to a parameter list and checks each
 * one; `custom` parameters come back as their unchecked `Value` for the caller.
 * Reports every problem; returns undefined if there was any.
 */
export function resolveArguments(call: Call, rules: readonly ParameterRule[], bag: DiagnosticBag): Record<string, ArgumentValue> | undefined {
  const callee = call.callee.name;
  const given = new Map<string, Argument>();
  let ok = true;
  let sawNamed = false;
  call.args.forEach((argument, position) => {
    if (argument.name === undefined) {
      if (sawNamed) {
        bag.report("DS2011", argument.span, [], "name this argument too, e.g. p=0.5");
        ok = false;
        return;
      }
      const rule = rules[position];
      if (rule === undefined) {
        bag.report("DS2010", argument.span, [callee, `at most ${rules.length}`, call.args.length], `its parameters are ${rules.map((r) => r.name).join(", ")}`);
        ok = false;
        return;
      }
      given.set(rule.name, argument);
      return;
    }
    sawNamed = true;
    const name = argument.name.name;
    if (!rules.some((r) => r.name === name)) {
      bag.report(
        "DS2008",
        argument.name.span,
        [callee, name],
        didYouMean(
          name,
          rules.map((r) => r.name),
        ),
      );
      ok = false;
    } else if (given.has(name)) {
      bag.report("DS2009", argument.span, [name]);
      ok = false;
    } else {
      given.set(name, argument);
    }
  });

  const values: Record<string, ArgumentValue> = {};
  for (const rule of rules) {
    const argument = given.get(rule.name);
    if (argument === undefined) {
      if (rule.default === undefined) {
        bag.report("DS2007", call.span, [callee, rule.name], `write ${callee}(${rules.map((r) => `${r.name}=…`).join(", ")})`);
        ok = false;
      } else {
        values[rule.name] = rule.default;
      }
      continue;
    }
    const value = rule.kind === "custom" ? argument.value : checkValue(rule, argument.value, bag);
    if (value === undefined) ok = false;
    else values[rule.name] = value;
  }
  return ok ? values : undefined;
}

/** Checks a value against a (non-custom) rule; reports and returns undefined when it is wrong. */
export function checkValue(rule: ParameterRule, value: Value, bag: DiagnosticBag): ArgumentValue | undefined {
  switch (rule.kind) {
    case "string":
      if (value.kind === "StringLiteral") return value.value;
      bag.report("DS2005", value.span, [rule.name, "a string in double quotes", describeValue(value)]);
      return undefined;
    case "choice": {
      const choices = rule.choices ?? [];
      if (value.kind === "NameReference" && choices.includes(value.name)) return value.name;
      const hint = value.kind === "NameReference" ? didYouMean(value.name, choices) : undefined;
      bag.report("DS2005", value.span, [rule.name, `one of ${choices.join(", ")}`, describeValue(value)], hint);
      return undefined;
    }
    case "integers": {
      const items = value.kind === "ListLiteral" ? value.items : [value];
      const numbers: number[] = [];
      for (const item of items) {
        const n = checkScalar(rule.name, item, "integer", rule, bag);
        if (typeof n !== "number") return undefined;
        numbers.push(n);
      }
      return numbers;
    }
    case "custom":
      return value;
    default:
      return checkScalar(rule.name, value, rule.kind, rule, bag);
  }
}

export interface Range {
  readonly min?: number;
  readonly max?: number;
}

/** Checks one scalar value's kind and range; reports and returns undefined when it is wrong. */
export function checkScalar(name: string, value: Value, kind: ValueKind, range: Range, bag: DiagnosticBag): number | boolean | undefined {
  if (kind === "boolean") {
    if (value.kind === "BooleanLiteral") return value.value;
    bag.report("DS2005", value.span, [name, kindDescription.boolean, describeValue(value)]);
    return undefined;
  }
  if (value.kind !== "NumberLiteral" || (kind === "integer" && !Number.isInteger(value.value))) {
    bag.report("DS2005", value.span, [name, kindDescription[kind], describeValue(value)]);
    return undefined;
  }
  const { min, max } = range;
  const tooSmall = min !== undefined && value.value < min;
  const tooLarge = max !== undefined && value.value > max;
  if (tooSmall || tooLarge) {
    bag.report("DS2006", value.span, [name, describeRange(range), value.raw]);
    return undefined;
  }
  return value.value;
}

function describeRange({ min, max }: Range): string {
  if (min !== undefined && max !== undefined) return `between ${min} and ${max}`;
  if (min !== undefined) return min === 1 ? "positive" : `at least ${min}`;
  return `at most ${max}`;
}
