/**
 * A model's vocabulary as its folder ships it: `tokenizer.json` (BPE, WordPiece and WordLevel keep a
 * token → id object, Unigram — sentencepiece — a list of [piece, score]), else the slow tokenizer's
 * `vocab.json` with `added_tokens.json`; the added tokens and their settings from `added_tokens`,
 * `tokenizer_config.json`'s `added_tokens_decoder` or `added_tokens.json`.
 */
import { confinedOwnFile } from "../io/confine.js";
import { jsonErrorWhere } from "../io/json-error.js";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { VocabError } from "./errors.js";

/** An added token's settings as tokenizer.json writes them (content, special, lstrip, ...). */
export type AddedTokenSettings = Record<string, unknown> & { content: string };

export interface Vocabulary {
  /** The folder it was read from. */
  folder: string;
  /** Token → id, the added tokens included. */
  ids: Map<string, number>;
  /** Added tokens in id order, with their settings. */
  added: { id: number; settings: AddedTokenSettings }[];
  /** The file the base vocabulary came from, for messages. */
  file: string;
}

export const TOKENIZER_JSON = "tokenizer.json";
export const TOKENIZER_CONFIG = "tokenizer_config.json";
export const ADDED_TOKENS_JSON = "added_tokens.json";
export const VOCAB_JSON = "vocab.json";

/** Reads a JSON file, or a VocabError naming it. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new VocabError(file, `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new VocabError(file, `${file} is not valid JSON (${jsonErrorWhere(e, text)})`);
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Whether a folder ships a vocabulary mergelang can read. */
export function hasVocabulary(folder: string): boolean {
  return existsSync(join(folder, TOKENIZER_JSON)) || existsSync(join(folder, VOCAB_JSON));
}

export function readVocabulary(folder: string): Vocabulary {
  const tokJson = confinedOwnFile(folder, TOKENIZER_JSON);
  if (existsSync(tokJson)) return fromTokenizerJson(folder, tokJson);
  const vocabJson = confinedOwnFile(folder, VOCAB_JSON);
  if (existsSync(vocabJson)) return fromVocabJson(folder, vocabJson);
  const only = existsSync(join(folder, "tokenizer.model")) ? " (it has only tokenizer.model, sentencepiece's binary file: add its tokenizer.json)" : "";
  throw new VocabError(folder, `${folder} has no tokenizer.json or vocab.json${only}: mergelang needs the vocabulary to align embedding rows`);
}

function fromTokenizerJson(folder: string, file: string): Vocabulary {
  const json = readJsonFile(file);
  if (!isObject(json) || !isObject(json.model)) throw new VocabError(file, `${file} has no "model" object: is it a Hugging Face tokenizer.json?`);
  const model = json.model;
  const ids = new Map<string, number>();
  if (Array.isArray(model.vocab)) {
    // Unigram (sentencepiece): the id is the position.
    model.vocab.forEach((entry, i) => {
      const piece = Array.isArray(entry) ? entry[0] : undefined;
      if (typeof piece !== "string") throw new VocabError(file, `${file}: model.vocab[${i}] is not a [piece, score] pair`);
      if (!ids.has(piece)) ids.set(piece, i);
    });
  } else if (isObject(model.vocab)) {
    for (const [tok, id] of Object.entries(model.vocab)) {
      if (!Number.isSafeInteger(id) || (id as number) < 0) throw new VocabError(file, `${file}: token ${JSON.stringify(tok)} has id ${JSON.stringify(id)}, not a non-negative integer`);
      ids.set(tok, id as number);
    }
  } else throw new VocabError(file, `${file}: model.vocab is missing (model type ${JSON.stringify(model.type ?? null)})`);
  const added: Vocabulary["added"] = [];
  const list = Array.isArray(json.added_tokens) ? json.added_tokens : [];
  list.forEach((entry, i) => {
    if (!isObject(entry) || typeof entry.content !== "string" || !Number.isSafeInteger(entry.id)) {
      throw new VocabError(file, `${file}: added_tokens[${i}] needs a string "content" and an integer "id"`);
    }
    const { id, ...settings } = entry;
    added.push({ id: id as number, settings: settings as AddedTokenSettings });
    ids.set(entry.content, id as number);
  });
  added.sort((a, b) => a.id - b.id);
  return { folder, ids, added, file };
}

function fromVocabJson(folder: string, file: string): Vocabulary {
  const json = readJsonFile(file);
  if (!isObject(json)) throw new VocabError(file, `${file} is not a token → id object`);
  const ids = new Map<string, number>();
  for (const [tok, id] of Object.entries(json)) {
    if (!Number.isSafeInteger(id)) throw new VocabError(file, `${file}: token ${JSON.stringify(tok)} has id ${JSON.stringify(id)}, not an integer`);
    ids.set(tok, id as number);
  }
  const added = new Map<number, AddedTokenSettings>();
  const cfgFile = join(folder, TOKENIZER_CONFIG);
  const cfg = existsSync(cfgFile) ? readJsonFile(cfgFile) : null;
  if (isObject(cfg) && isObject(cfg.added_tokens_decoder)) {
    for (const [id, s] of Object.entries(cfg.added_tokens_decoder)) {
      if (isObject(s) && typeof s.content === "string") added.set(Number(id), s as AddedTokenSettings);
    }
  }
  const extraFile = join(folder, ADDED_TOKENS_JSON);
  const extra = existsSync(extraFile) ? readJsonFile(extraFile) : null;
  if (isObject(extra)) {
    for (const [tok, id] of Object.entries(extra)) {
      if (Number.isSafeInteger(id) && !added.has(id as number)) added.set(id as number, { content: tok, special: false });
    }
  }
  for (const [id, s] of added) ids.set(s.content, id);
  return { folder, ids, added: [...added].sort((a, b) => a[0] - b[0]).map(([id, settings]) => ({ id, settings })), file };
}

/** Token strings by id (holes for ids no token has). */
export function tokensById(v: Vocabulary): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  for (const [tok, id] of v.ids) if (out[id] === undefined) out[id] = tok;
  return out;
}
