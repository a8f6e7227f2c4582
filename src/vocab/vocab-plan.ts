/**
 * The output vocabulary of a save and, for every model, where each output token's embedding row
 * comes from (mergekit's rules). Ids of the tokenizer source's tokens are kept; `union` appends, in
 * model order, the ordinary tokens other models have and then their added tokens. A model lacking a
 * token gets the row of the only model that has it, else the base's, else the mean of the models
 * that have it, else zeros; `tokens` overrides name the source of single tokens.
 */
import { VocabError } from "./errors.js";
import { type AddedTokenSettings, type Vocabulary, tokensById } from "./vocabulary.js";

/** One model of the merge: its vocabulary (null: none shipped, taken to be the base's) and embedding rows. */
export interface VocabModel {
  key: string;
  vocab: Vocabulary | null;
  rows: number;
}

export type TokenizerSource = { kind: "base" } | { kind: "union" } | { kind: "model"; key: string };

/** Where a token's row comes from when a model lacks it (or `force` replaces the model's own). */
export type RowSource = { kind: "model"; key: string; token?: string; tokenId?: number } | { kind: "zero" };

export interface TokenOverride {
  token: string;
  source: RowSource;
  force: boolean;
}

export type RowFill = { kind: "row"; key: string; row: number } | { kind: "mean"; rows: { key: string; row: number }[] } | { kind: "zero" };

export interface VocabPlan {
  /** Output tokens by id; undefined for rows no token uses (holes, padding). */
  tokens: (string | undefined)[];
  /** Output rows: the token count rounded up to `padToMultipleOf`. */
  size: number;
  /** Per model key: the model's own row for each output row, or -1. */
  rowOf: Map<string, Int32Array>;
  /** The row a model without its own (or with a forced one) gets, per output row. */
  fill: RowFill[];
  forced: Set<number>;
  /** Tokens the output adds to the tokenizer source's vocabulary, in id order, with their settings. */
  added: { id: number; settings: AddedTokenSettings }[];
}

export interface VocabPlanInput {
  source: TokenizerSource;
  /** The base (else first) model: its vocabulary stands in for models that ship none. */
  base: VocabModel;
  models: VocabModel[];
  overrides?: TokenOverride[];
  padToMultipleOf?: number | null;
}

export function planVocabulary(input: VocabPlanInput): VocabPlan {
  const { base, models } = input;
  const baseVocab = base.vocab;
  if (!baseVocab) throw new VocabError(base.key, `${base.key} ships no tokenizer.json or vocab.json: the output vocabulary needs the base model's`);
  const vocabOf = (m: VocabModel): Vocabulary => m.vocab ?? baseVocab;
  const { tokens, added } = outputTokens(input, vocabOf);
  const size = padded(tokens.length, input.padToMultipleOf ?? null);
  const outIds = new Map<string, number>();
  tokens.forEach((t, i) => t !== undefined && !outIds.has(t) && outIds.set(t, i));
  const rowOf = new Map<string, Int32Array>();
  for (const m of models) {
    const own = new Int32Array(size).fill(-1);
    const ids = vocabOf(m).ids;
    tokens.forEach((t, i) => {
      const id = t === undefined ? undefined : ids.get(t);
      if (id !== undefined && id < m.rows) own[i] = id;
    });
    rowOf.set(m.key, own);
  }
  const { fill, forced } = fills(input, tokens, size, rowOf, outIds, vocabOf);
  return { tokens, size, rowOf, fill, forced, added };
}

/** Rows for models whose vocabularies differ only in padding: the reference's rows, each model's own where it has them. */
export function planPadding(reference: VocabModel, models: VocabModel[]): VocabPlan {
  const size = reference.rows;
  const rowOf = new Map<string, Int32Array>();
  for (const m of models) rowOf.set(m.key, Int32Array.from({ length: size }, (_, i) => (i < m.rows ? i : -1)));
  const fill = Array.from({ length: size }, (_, i) => defaultFill(i, models, rowOf, reference.key));
  return { tokens: [], size, rowOf, fill, forced: new Set(), added: [] };
}

function padded(n: number, multiple: number | null): number {
  if (!multiple || n % multiple === 0) return n;
  return n + multiple - (n % multiple);
}

/** The tokens of the tokenizer source (ids below its rows), then what a union adds. */
function outputTokens(input: VocabPlanInput, vocabOf: (m: VocabModel) => Vocabulary): Pick<VocabPlan, "tokens" | "added"> {
  const { source, base, models } = input;
  const first = source.kind === "model" ? models.find((m) => m.key === source.key) : base;
  if (!first) throw new VocabError(source.kind === "model" ? source.key : base.key, `the tokenizer source is not one of the merged models`);
  const own = tokensById(vocabOf(first));
  // Tokens at ids the model has no embedding row for are padding of its tokenizer, not vocabulary.
  const tokens = source.kind === "union" ? own.slice(0, Math.min(own.length, first.rows)) : own;
  if (source.kind !== "union") return { tokens, added: [] };
  const present = new Set(tokens.filter((t): t is string => t !== undefined));
  const added: VocabPlan["added"] = [];
  const append = (tok: string, settings: AddedTokenSettings): void => {
    if (present.has(tok)) return;
    present.add(tok);
    added.push({ id: tokens.length, settings });
    tokens.push(tok);
  };
  const ordered = [base, ...models.filter((m) => m.key !== base.key)];
  // mergekit's order: every model's ordinary tokens first, then the added tokens.
  for (const m of ordered) {
    const v = vocabOf(m);
    const addedIds = new Set(v.added.map((a) => a.id));
    const byId = tokensById(v);
    byId.forEach((tok, id) => {
      if (tok !== undefined && id < m.rows && !addedIds.has(id)) append(tok, { content: tok, single_word: false, lstrip: false, rstrip: false, normalized: true, special: false });
    });
  }
  for (const m of ordered) for (const a of vocabOf(m).added) if (a.id < m.rows) append(a.settings.content, a.settings);
  return { tokens, added };
}

function fills(
  input: VocabPlanInput,
  tokens: (string | undefined)[],
  size: number,
  rowOf: Map<string, Int32Array>,
  outIds: Map<string, number>,
  vocabOf: (m: VocabModel) => Vocabulary,
): Pick<VocabPlan, "fill" | "forced"> {
  const fill = Array.from({ length: size }, (_, i) => defaultFill(i, input.models, rowOf, input.base.key));
  const forced = new Set<number>();
  for (const o of input.overrides ?? []) {
    const i = outIds.get(o.token);
    if (i === undefined) throw new VocabError(input.base.key, `tokenizer token ${JSON.stringify(o.token)} is not in the output vocabulary (${tokens.length} tokens)`);
    if (o.force) forced.add(i);
    if (o.source.kind === "zero") {
      fill[i] = { kind: "zero" };
      continue;
    }
    const src = o.source;
    const model = input.models.find((m) => m.key === src.key);
    if (!model) throw new VocabError(src.key, `tokenizer token ${JSON.stringify(o.token)}: ${src.key} is not one of the merged models`);
    let row = rowOf.get(model.key)![i]!;
    if (src.tokenId !== undefined) row = src.tokenId;
    else if (src.token !== undefined) row = vocabOf(model).ids.get(src.token) ?? -1;
    if (row < 0 || row >= model.rows) {
      const what = src.tokenId !== undefined ? `row ${src.tokenId}` : `token ${JSON.stringify(src.token ?? o.token)}`;
      throw new VocabError(model.key, `tokenizer token ${JSON.stringify(o.token)}: ${model.key} has no ${what} (it has ${model.rows} embedding rows)`);
    }
    fill[i] = { kind: "row", key: model.key, row };
  }
  return { fill, forced };
}

/** mergekit's rule for a row a model lacks: the one model that has it, else the base's, else the mean, else zeros. */
function defaultFill(i: number, models: VocabModel[], rowOf: Map<string, Int32Array>, baseKey: string): RowFill {
  const have = models.filter((m) => rowOf.get(m.key)![i]! >= 0).map((m) => ({ key: m.key, row: rowOf.get(m.key)![i]! }));
  if (have.length === 0) return { kind: "zero" };
  if (have.length === 1) return { kind: "row", ...have[0]! };
  const fromBase = have.find((h) => h.key === baseKey);
  if (fromBase) return { kind: "row", ...fromBase };
  return { kind: "mean", rows: have };
}
