/**
 * The tokenizer files of a saved model: the tokenizer source's files, with the tokens a union adds
 * appended as added tokens (tokenizer.json's `added_tokens`, tokenizer_config.json's
 * `added_tokens_decoder`, added_tokens.json when the source has one) and the chat template written
 * to chat_template.jinja and tokenizer_config.json; config.json's vocab_size and special token ids
 * made to agree with them.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ModelWriter } from "../io/index.js";
import { ADDED_TOKENS_JSON, TOKENIZER_CONFIG, TOKENIZER_JSON, isObject, readJsonFile, readVocabulary, tokensById } from "./vocabulary.js";
import type { VocabPlan } from "./vocab-plan.js";

export const CHAT_TEMPLATE_FILE = "chat_template.jinja";

const json = (v: unknown): string => JSON.stringify(v, null, 2) + "\n";

/** Copies the source's tokenizer files into the output, adding the plan's new tokens and the template. */
export async function writeTokenizer(writer: ModelWriter, folder: string | null, plan: VocabPlan | null, chatTemplate: string | null): Promise<void> {
  if (folder === null) {
    if (chatTemplate !== null) await writer.writeText(CHAT_TEMPLATE_FILE, chatTemplate);
    return;
  }
  await writer.copyTokenizerFrom(folder);
  const added = plan?.added ?? [];
  const tokJson = join(folder, TOKENIZER_JSON);
  if (added.length && existsSync(tokJson)) {
    const tok = readJsonFile(tokJson) as Record<string, unknown>;
    const list = Array.isArray(tok.added_tokens) ? tok.added_tokens : [];
    tok.added_tokens = [...list, ...added.map((a) => ({ id: a.id, ...addedDefaults, ...a.settings }))];
    await writer.writeText(TOKENIZER_JSON, JSON.stringify(tok));
  }
  const cfgFile = join(folder, TOKENIZER_CONFIG);
  if (existsSync(cfgFile) && (added.length || chatTemplate !== null)) {
    const cfg = readJsonFile(cfgFile);
    if (isObject(cfg)) {
      if (added.length) {
        const decoder = isObject(cfg.added_tokens_decoder) ? cfg.added_tokens_decoder : {};
        for (const a of added) decoder[String(a.id)] = { ...addedDefaults, ...a.settings };
        cfg.added_tokens_decoder = decoder;
      }
      if (chatTemplate !== null) cfg.chat_template = chatTemplate;
      await writer.writeText(TOKENIZER_CONFIG, json(cfg));
    }
  }
  const extraFile = join(folder, ADDED_TOKENS_JSON);
  if (added.length && existsSync(extraFile)) {
    const extra = readJsonFile(extraFile);
    const out = isObject(extra) ? extra : {};
    for (const a of added) out[a.settings.content] = a.id;
    await writer.writeText(ADDED_TOKENS_JSON, json(out));
  }
  if (chatTemplate !== null) await writer.writeText(CHAT_TEMPLATE_FILE, chatTemplate);
}

const addedDefaults = { single_word: false, lstrip: false, rstrip: false, normalized: false, special: false };

/** config.json keys holding token ids that must name the same tokens in the output vocabulary. */
const TOKEN_ID_KEYS = ["bos_token_id", "eos_token_id", "pad_token_id", "unk_token_id", "sep_token_id", "decoder_start_token_id"];

/**
 * The config.json entries of a saved model whose vocabulary the plan decides: `vocab_size`, and the
 * special token ids of `config` (written against `configFolder`'s vocabulary) moved to where those
 * tokens are in the output; ids of tokens the output lacks are taken from `sourceConfig`.
 */
export function vocabConfigOverrides(
  plan: VocabPlan,
  config: Record<string, unknown> | null,
  configFolder: string,
  sourceConfig: Record<string, unknown> | null,
): Record<string, unknown> {
  const out: Record<string, unknown> = { vocab_size: plan.size };
  if (!config || plan.tokens.length === 0) return out;
  let byId: (string | undefined)[] | null = null;
  try {
    byId = tokensById(readVocabulary(configFolder));
  } catch {
    byId = null; // no vocabulary beside the config: its ids stay as they are
  }
  const outIds = new Map<string, number>();
  plan.tokens.forEach((t, i) => t !== undefined && !outIds.has(t) && outIds.set(t, i));
  const move = (id: unknown, key: string): unknown => {
    if (typeof id !== "number") return id;
    const tok = byId?.[id];
    const moved = tok === undefined ? undefined : outIds.get(tok);
    return moved ?? sourceConfig?.[key] ?? id;
  };
  for (const key of TOKEN_ID_KEYS) {
    const v = config[key];
    if (v === undefined || v === null) continue;
    const moved = Array.isArray(v) ? v.map((x) => move(x, key)) : move(v, key);
    if (JSON.stringify(moved) !== JSON.stringify(v)) out[key] = moved;
  }
  return out;
}
