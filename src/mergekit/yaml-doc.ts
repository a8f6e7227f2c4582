/**
 * The mergekit YAML file as a tree of located values: every map, list and scalar keeps its source
 * range (line and column through `yaml`'s LineCounter), so that every diagnostic names the key and
 * line it is about. YAML 1.1, as PyYAML (mergekit) reads it: `yes`/`no` are booleans.
 */
import type { Node } from "yaml";
import { lazyRequire } from "../util/lazy-require.js";

/** `yaml`, loaded on first use: 30 ms that a recipe run (no YAML) should not pay at start-up. */
const yaml = lazyRequire<typeof import("yaml")>("yaml");
import type { Position, Range } from "../language/ast.js";
import { diagnostic, type Diagnostic, type DiagnosticCode, type Severity } from "../language/diagnostics.js";

export type YamlValue =
  | { kind: "map"; entries: YamlEntry[]; range: Range }
  | { kind: "list"; items: YamlValue[]; range: Range }
  | { kind: "scalar"; value: string | number | boolean | null; range: Range };

export interface YamlEntry {
  key: string;
  keyRange: Range;
  value: YamlValue;
}

export class YamlFile {
  readonly diagnostics: Diagnostic[] = [];
  private readonly lines = new (yaml().LineCounter)();
  readonly root: YamlValue | null;

  constructor(readonly text: string) {
    const doc = yaml().parseDocument(text, { lineCounter: this.lines, version: "1.1", uniqueKeys: true, prettyErrors: false });
    for (const e of doc.errors) {
      this.report("yaml-syntax", "error", this.rangeOf(e.pos[0], e.pos[1]), e.message.split("\n")[0]!);
    }
    this.root = doc.errors.length > 0 || doc.contents === null ? null : this.convert(doc.contents as Node);
  }

  report(code: DiagnosticCode, severity: Severity, range: Range, message: string): void {
    this.diagnostics.push(diagnostic(code, severity, range, message));
  }

  error(range: Range, message: string, code: DiagnosticCode = "mergekit-invalid"): void {
    this.report(code, "error", range, message);
  }

  position(offset: number): Position {
    const p = this.lines.linePos(offset);
    return { offset, line: p.line, column: p.col };
  }

  rangeOf(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(Math.max(start, end)) };
  }

  /** The start of the file, for problems that belong to no key. */
  get top(): Range {
    return this.rangeOf(0, 0);
  }

  private convert(node: Node): YamlValue {
    const [start, valueEnd] = node.range ?? [0, 0];
    const range = this.rangeOf(start, valueEnd);
    const { isMap, isScalar, isSeq } = yaml();
    if (isMap(node)) {
      const entries: YamlEntry[] = [];
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        const keyRange = key?.range ? this.rangeOf(key.range[0], key.range[1]) : range;
        const keyText = key && isScalar(key) ? String(key.value) : "";
        const value = pair.value ? this.convert(pair.value as Node) : { kind: "scalar" as const, value: null, range: keyRange };
        entries.push({ key: keyText, keyRange, value });
      }
      return { kind: "map", entries, range };
    }
    if (isSeq(node)) return { kind: "list", items: node.items.map((i) => this.convert(i as Node)), range };
    if (isScalar(node)) {
      const v = node.value;
      const value = typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? v : v === null || v === undefined ? null : String(v);
      return { kind: "scalar", value, range };
    }
    return { kind: "scalar", value: null, range };
  }
}

/** How a YAML value reads in a message. */
export function describeYaml(v: YamlValue): string {
  if (v.kind === "map") return "a mapping";
  if (v.kind === "list") return "a list";
  if (v.value === null) return "nothing";
  return typeof v.value === "string" ? `"${v.value}"` : String(v.value);
}
