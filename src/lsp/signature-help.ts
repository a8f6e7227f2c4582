/** Signature help: the signature of the call around the cursor, with the argument being written. */
import { MarkupKind, type ParameterInformation, type SignatureHelp } from "vscode-languageserver/node";
import { paramFacts, signatureOf, type FunctionSpec } from "../language/catalog.js";
import { cursorContext } from "./cursor-context.js";

/** Each parameter's [start, end) in `signatureOf(f)`, in declaration order. */
export function parameterSpans(f: FunctionSpec): [number, number][] | null {
  const label = signatureOf(f);
  const open = f.name.length + 1;
  const parts = label.slice(open, -1).split(", ");
  if (parts.length !== f.params.length || (f.params.length === 0 && parts[0] !== "")) return null;
  const spans: [number, number][] = [];
  let at = open;
  for (const part of parts) {
    spans.push([at, at + part.length]);
    at += part.length + 2;
  }
  return spans;
}

export function signatureHelp(text: string, offset: number): SignatureHelp | null {
  const ctx = cursorContext(text, offset);
  const call = ctx.call;
  if (!call?.spec || ctx.scenario.kind === "comment") return null;
  const spec = call.spec;
  const spans = parameterSpans(spec);
  const parameters: ParameterInformation[] = spec.params.map((p, i) => ({
    label: spans ? spans[i]! : p.name,
    documentation: { kind: MarkupKind.Markdown, value: `\`${p.name}\`${paramFacts(p)}: ${p.doc}` },
  }));
  let active: number;
  if (call.argName !== null) active = spec.params.findIndex((p) => p.name === call.argName);
  else if (ctx.scenario.kind === "argument-value" && ctx.scenario.param) active = spec.params.indexOf(ctx.scenario.param);
  else {
    const positional = spec.params.filter((p) => p.positional);
    const p = positional[call.positionalIndex] ?? positional.find((q) => q.variadic);
    active = p ? spec.params.indexOf(p) : -1;
  }
  return {
    signatures: [
      {
        label: signatureOf(spec),
        documentation: { kind: MarkupKind.Markdown, value: spec.summary + (spec.formula ? `\n\n\`${spec.formula}\`` : "") },
        parameters,
      },
    ],
    activeSignature: 0,
    activeParameter: active >= 0 ? active : null,
  };
}
