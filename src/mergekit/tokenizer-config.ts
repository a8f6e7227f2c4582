/**
 * mergekit's tokenizer settings: `tokenizer_source` (base, union or a model), the `tokenizer:`
 * section (source, tokens, pad_to_multiple_of) and `chat_template`, read with their YAML ranges.
 */
import type { Range } from "../language/ast.js";
import type { Located } from "./config.js";
import { describeYaml, type YamlEntry, type YamlFile, type YamlValue } from "./yaml-doc.js";

export type TokenSourceDef =
  | { kind: "model"; ref: Located<string>; tokenId: number | null; token: string | null }
  | { kind: "zero" }
  | null;

export interface TokenDef {
  token: string;
  range: Range;
  source: TokenSourceDef;
  force: boolean;
}

export interface TokenizerDef {
  /** "base", "union" or a model reference; the tokenizer: section's default is union. */
  source: Located<string>;
  tokens: TokenDef[];
  padToMultipleOf: number | null;
  range: Range;
}

const lookup = (v: YamlValue & { kind: "map" }, key: string): YamlEntry | undefined => v.entries.find((e) => e.key === key);

export class TokenizerConfigReader {
  constructor(private readonly yaml: YamlFile) {}

  /** tokenizer_source: and tokenizer: (mergekit refuses both at once). */
  read(sourceEntry: YamlEntry | undefined, section: YamlEntry | undefined): TokenizerDef | null {
    if (sourceEntry && section) {
      this.yaml.error(section.keyRange, "give tokenizer_source: or a tokenizer: section, not both (as mergekit requires)");
      return null;
    }
    if (sourceEntry) {
      const s = this.name(sourceEntry);
      return s ? { source: s, tokens: [], padToMultipleOf: null, range: sourceEntry.keyRange } : null;
    }
    // An empty `tokenizer:` is mergekit's None: no tokenizer settings at all.
    if (!section || (section.value.kind === "scalar" && section.value.value === null)) return null;
    const v = section.value;
    if (v.kind !== "map") {
      this.yaml.error(v.range, `tokenizer: is a mapping with source:, tokens: and pad_to_multiple_of:, not ${describeYaml(v)}`);
      return null;
    }
    for (const e of v.entries) {
      if (!["source", "tokens", "pad_to_multiple_of"].includes(e.key)) this.yaml.error(e.keyRange, `'${e.key}' is not a key of tokenizer: (it takes source, tokens, pad_to_multiple_of)`);
    }
    const src = lookup(v, "source");
    const source = src ? this.name(src) : { value: "union", range: section.keyRange };
    if (!source) return null;
    const pad = lookup(v, "pad_to_multiple_of");
    let padToMultipleOf: number | null = null;
    if (pad) {
      if (pad.value.kind === "scalar" && Number.isInteger(pad.value.value) && (pad.value.value as number) >= 1) padToMultipleOf = pad.value.value as number;
      else this.yaml.error(pad.value.range, `pad_to_multiple_of takes a whole number from 1, not ${describeYaml(pad.value)}`);
    }
    const tokensEntry = lookup(v, "tokens");
    const tokens = tokensEntry ? this.tokens(tokensEntry) : [];
    return { source, tokens, padToMultipleOf, range: section.keyRange };
  }

  chatTemplate(e: YamlEntry | undefined): Located<string> | null {
    return e ? this.name(e) : null;
  }

  private tokens(e: YamlEntry): TokenDef[] {
    if (e.value.kind !== "map") {
      this.yaml.error(e.value.range, `tokens: maps each token to its settings (source:, force:), not ${describeYaml(e.value)}`);
      return [];
    }
    const out: TokenDef[] = [];
    for (const t of e.value.entries) {
      if (t.value.kind !== "map") {
        this.yaml.error(t.value.range, `the settings of token '${t.key}' are a mapping with source: and force:, not ${describeYaml(t.value)}`);
        continue;
      }
      const force = lookup(t.value, "force");
      const forced = force?.value.kind === "scalar" && force.value.value === true;
      if (force && !(force.value.kind === "scalar" && typeof force.value.value === "boolean")) this.yaml.error(force.value.range, "force takes true or false");
      const src = lookup(t.value, "source");
      const source = src ? this.tokenSource(src) : null;
      if (source === undefined) continue;
      out.push({ token: t.key, range: t.keyRange, source, force: forced });
    }
    return out;
  }

  /** A model reference, {kind: zero}, or {kind: model_token, model, token_id | token}; undefined after an error. */
  private tokenSource(e: YamlEntry): TokenSourceDef | undefined {
    const v = e.value;
    if (v.kind === "scalar") {
      const ref = this.name(e);
      return ref ? { kind: "model", ref, tokenId: null, token: null } : undefined;
    }
    if (v.kind !== "map") {
      this.yaml.error(v.range, `source takes a model, {kind: zero} or {kind: model_token, model: ..., token_id: ...}, not ${describeYaml(v)}`);
      return undefined;
    }
    const kind = lookup(v, "kind");
    const k = kind?.value.kind === "scalar" ? kind.value.value : null;
    if (k === "zero") return { kind: "zero" };
    if (k !== "model_token") {
      this.yaml.error(kind?.value.range ?? v.range, "source's kind is zero or model_token");
      return undefined;
    }
    const model = lookup(v, "model");
    const ref = model ? this.name(model) : null;
    if (!ref) {
      if (!model) this.yaml.error(v.range, "a model_token source needs model:");
      return undefined;
    }
    const id = lookup(v, "token_id");
    const tok = lookup(v, "token");
    if ((id === undefined) === (tok === undefined)) {
      this.yaml.error(v.range, "a model_token source takes token_id: or token:, exactly one of them");
      return undefined;
    }
    if (id && !(id.value.kind === "scalar" && Number.isInteger(id.value.value) && (id.value.value as number) >= 0)) {
      this.yaml.error(id.value.range, "token_id takes a whole number from 0");
      return undefined;
    }
    return {
      kind: "model",
      ref,
      tokenId: id && id.value.kind === "scalar" ? (id.value.value as number) : null,
      token: tok && tok.value.kind === "scalar" ? String(tok.value.value) : null,
    };
  }

  private name(e: YamlEntry): Located<string> | null {
    if (e.value.kind === "scalar" && typeof e.value.value === "string") return { value: e.value.value, range: e.value.range };
    this.yaml.error(e.value.range, `${e.key} takes a name, not ${describeYaml(e.value)}`);
    return null;
  }
}
