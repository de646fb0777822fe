import type { Span } from "../diagnostics/span.js";
import type { Argument, Call, Declaration, NameReference, Program, Setting, Value } from "../parse/ast.js";
import { callee, innerContext, settingWord, type CallContext } from "./vocabulary.js";

/** The named thing of the syntax tree under an offset: what hover and go-to-definition ask about. */
export type Located =
  | { readonly kind: "declaration"; readonly declaration: Declaration }
  | { readonly kind: "setting"; readonly setting: Setting }
  | { readonly kind: "callee"; readonly call: Call; readonly context?: CallContext; readonly declaration?: Declaration }
  | { readonly kind: "argument"; readonly call: Call; readonly argument: Argument; readonly context?: CallContext }
  | { readonly kind: "reference"; readonly reference: NameReference };

export function locate(program: Program, offset: number): Located | undefined {
  for (const declaration of program.declarations) {
    if (!within(declaration.span, offset)) continue;
    if (within(declaration.name.span, offset)) return { kind: "declaration", declaration };
    if (declaration.kind === "NetworkDeclaration") return locateSettings(declaration.settings, offset);
    if (declaration.value.kind === "EdgeList") return undefined;
    // A cell's layers are feature layers, described as the `features` setting's are.
    if (declaration.value.kind === "ListLiteral") return locateValue(declaration.value, "features", offset);
    const context = declaration.kind === "DataDeclaration" ? "data" : "graph";
    if (within(declaration.value.callee.span, offset)) return { kind: "callee", call: declaration.value, context, declaration };
    return locateValue(declaration.value, context, offset);
  }
  return undefined;
}

function locateSettings(settings: readonly Setting[], offset: number): Located | undefined {
  const setting = settings.find((s) => within(s.span, offset));
  if (setting === undefined) return undefined;
  if (within(setting.key.span, offset)) return { kind: "setting", setting };
  const values = settingWord(setting.key.name)?.values;
  return locateValue(setting.value, typeof values === "string" && values !== "graphs" ? values : undefined, offset);
}

function locateValue(value: Value, context: CallContext | undefined, offset: number): Located | undefined {
  if (!within(value.span, offset)) return undefined;
  if (value.kind === "NameReference") return { kind: "reference", reference: value };
  if (value.kind === "ListLiteral") return firstFound(value.items, (item) => locateValue(item, context, offset));
  if (value.kind !== "Call") return undefined;
  if (within(value.callee.span, offset)) return { kind: "callee", call: value, ...(context === undefined ? {} : { context }) };
  const parameters = context === undefined ? [] : (callee(context, value.callee.name)?.parameters ?? []);
  return firstFound(value.args, (argument, i) => {
    if (argument.name !== undefined && within(argument.name.span, offset)) return { kind: "argument", call: value, argument, ...(context === undefined ? {} : { context }) };
    const parameter = argument.name?.name ?? parameters[i];
    return locateValue(argument.value, context === undefined ? undefined : innerContext(context, parameter), offset);
  });
}

function firstFound<T>(items: readonly T[], find: (item: T, index: number) => Located | undefined): Located | undefined {
  for (const [i, item] of items.entries()) {
    const found = find(item, i);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A span holds an offset from its start up to and including its end, so a cursor just after a word still finds it. */
function within(span: Span, offset: number): boolean {
  return span.start.offset <= offset && offset <= span.end.offset;
}

/** Every name a declaration gives, with where it is declared: what go-to-definition jumps to. */
export function declarations(program: Program): Map<string, Declaration> {
  const found = new Map<string, Declaration>();
  for (const declaration of program.declarations) if (!found.has(declaration.name.name)) found.set(declaration.name.name, declaration);
  return found;
}
