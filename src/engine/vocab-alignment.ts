/**
 * Aligning the vocabularies of a save's models before the merge: with `tokenizer:` the output
 * vocabulary is planned (base, union, or one model's) and every model's embedding and head rows are
 * re-indexed to it; without, models whose embedding rows differ only in padding (vocab_size rounded
 * up) are read at the reference's rows, and models whose vocabularies really differ are an error
 * that says to give `tokenizer:`.
 */
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import type { Graph, LoadNode, SaveEffect, TokenizerRequest } from "../graph/graph.js";
import { type ModelHeader, splitLoraPath } from "../io/index.js";
import { alignedHeader } from "../vocab/aligned-reader.js";
import { vocabTensors } from "../vocab/embedding-tensors.js";
import { VocabError } from "../vocab/errors.js";
import { type TokenOverride, type TokenizerSource, type VocabModel, type VocabPlan, planPadding, planVocabulary } from "../vocab/vocab-plan.js";
import { type Vocabulary, hasVocabulary, readVocabulary } from "../vocab/vocabulary.js";
import { EngineError, atOrigin } from "./errors.js";
import type { ModelSet } from "./model-set.js";

export interface VocabAlignment {
  plan: VocabPlan;
  /** The vocabulary-indexed tensors (the same names in every model). */
  names: ReadonlySet<string>;
  /** Aligned headers by load path. */
  headers: Map<string, ModelHeader>;
  /** Folder whose tokenizer files the output's are made from (null: the reference's, unchanged). */
  tokenizerFolder: string | null;
}

/**
 * The folder holding a model's config and tokenizer: the model's folder, the folder of a single
 * .safetensors file, or for a model with a LoRA adapter its base's.
 */
export function modelFolder(header: ModelHeader): string {
  const path = splitLoraPath(header.path)?.base ?? header.path;
  return header.kind === "folder" ? path : dirname(path);
}

export function alignVocabularies(graph: Graph, effect: SaveEffect, models: ModelSet, reference: LoadNode, loads: readonly LoadNode[]): VocabAlignment | null {
  const distinct = [...new Map([reference, ...loads].map((l) => [l.path, l])).values()];
  const info = distinct.map((load) => ({ load, header: models.storedHeader(load), tensors: vocabTensors(models.storedHeader(load)) }));
  if (info.some((i) => i.tensors === null)) {
    if (effect.tokenizer) throw new EngineError(atOrigin(effect.origin, `save: tokenizer: needs embedding tensors (embed_tokens, lm_head, ...), and ${info.find((i) => !i.tensors)!.load.path} has none`), effect.origin);
    return null;
  }
  const rows = (i: (typeof info)[number]): number => i.tensors!.rows;
  const sameRows = info.every((i) => rows(i) === rows(info[0]!));
  if (!effect.tokenizer && sameRows) return null;
  // Nothing to re-index: models of one shape, none of which ships vocabulary files (the base's
  // tokenizer files, if any, are copied as they are).
  const req = effect.tokenizer;
  const noVocabulary = req?.source === "base" ? !hasVocabulary(modelFolder(models.storedHeader(reference))) : info.every((i) => !hasVocabulary(modelFolder(i.header)));
  if (req && typeof req.source === "string" && sameRows && !req.tokens.length && !req.padToMultipleOf && noVocabulary) return null;
  try {
    const vocabModels: VocabModel[] = info.map((i) => {
      const folder = modelFolder(i.header);
      const needed = effect.tokenizer !== null && i.load.path === reference.path;
      return { key: i.load.path, rows: rows(i), vocab: needed || hasVocabulary(folder) ? readVocabulary(folder) : null };
    });
    const base = vocabModels.find((m) => m.key === reference.path)!;
    const plan = effect.tokenizer ? planVocabulary(planInput(graph, effect.tokenizer, base, vocabModels)) : paddingPlan(base, vocabModels);
    const names = new Set(info[0]!.tensors!.names);
    const headers = new Map(info.map((i) => [i.load.path, alignedHeader(i.header, i.tensors!.names, plan.size)]));
    return { plan, names, headers, tokenizerFolder: effect.tokenizer ? tokenizerFolder(graph, effect.tokenizer, models, reference) : null };
  } catch (e) {
    if (e instanceof VocabError) throw new EngineError(atOrigin(effect.origin, e.message), effect.origin);
    throw e;
  }
}

function planInput(graph: Graph, req: TokenizerRequest, base: VocabModel, models: VocabModel[]) {
  const pathOf = (id: number): string => {
    const node = graph.nodes[id];
    if (node?.kind !== "load") throw new VocabError("", `internal error: tokenizer source node ${id} is not a model`);
    if (!models.some((m) => m.key === node.path)) throw new VocabError(node.path, `tokenizer: ${node.path} is not one of the models this save merges`);
    return node.path;
  };
  const source: TokenizerSource = req.source === "base" || req.source === "union" ? { kind: req.source } : { kind: "model", key: pathOf(req.source) };
  const overrides: TokenOverride[] = req.tokens.map((t) => ({
    token: t.token,
    force: t.force,
    source:
      t.source === "zero"
        ? { kind: "zero" }
        : { kind: "model", key: pathOf(t.source), ...(t.row !== null ? { tokenId: t.row } : {}), ...(t.fromToken !== null ? { token: t.fromToken } : {}) },
  }));
  return { source, base, models, overrides, padToMultipleOf: req.padToMultipleOf };
}

/** Without tokenizer:, rows may differ only where a vocabulary is padded; real differences need tokenizer:. */
function paddingPlan(reference: VocabModel, models: VocabModel[]): VocabPlan {
  for (const m of models) {
    if (m === reference || !m.vocab || !reference.vocab) continue;
    // Rows that carry a token are vocabulary, whichever model has more of them; the rest is padding.
    const diff = firstDifference(reference.vocab, m.vocab, reference.rows) ?? firstDifference(m.vocab, reference.vocab, m.rows);
    if (diff) {
      throw new VocabError(
        m.key,
        `the models' vocabularies differ: ${diff} (${reference.key} has ${reference.rows} embedding rows, ${m.key} ${m.rows}); ` +
          `give save(..., tokenizer: "union") to merge over the union of their vocabularies, or tokenizer: "base" for the base's`,
      );
    }
  }
  return planPadding(reference, models);
}

/** A token of `a` with a row (id below `limit`) that `b` lacks or numbers differently, described; null when none. */
function firstDifference(a: Vocabulary, b: Vocabulary, limit: number): string | null {
  for (const [tok, id] of a.ids) {
    if (id >= limit) continue;
    const other = b.ids.get(tok);
    if (other === undefined) return `${JSON.stringify(tok)} (id ${id} in ${a.folder}) is not in ${b.folder}`;
    if (other !== id) return `${JSON.stringify(tok)} is id ${id} in ${a.folder} but ${other} in ${b.folder}`;
  }
  return null;
}

function tokenizerFolder(graph: Graph, req: TokenizerRequest, models: ModelSet, reference: LoadNode): string {
  const node = typeof req.source === "number" ? graph.nodes[req.source] : null;
  const load = node?.kind === "load" ? node : reference;
  return modelFolder(models.storedHeader(load));
}

/**
 * The folder a save takes `file` (config.json, tokenizer_config.json) from: the reference's, else
 * the first other model's that has one (a single .safetensors file has none beside it).
 */
export function folderWith(file: string, models: ModelSet, reference: LoadNode, loads: readonly LoadNode[]): string | null {
  for (const load of [reference, ...loads]) {
    const folder = modelFolder(models.storedHeader(load));
    if (existsSync(join(folder, file))) return folder;
  }
  return null;
}
