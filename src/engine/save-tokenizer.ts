/**
 * config.json and the tokenizer files of a saved model. Both come from the reference model (the
 * base, else the first), or, where its folder has none (a single .safetensors file), from the first
 * other model that has them. With `tokenizer:` the output vocabulary's tokens, vocab_size and
 * special token ids are written; `chat_template:` is checked and written.
 */
import type { LoadNode, SaveEffect } from "../graph/graph.js";
import { CONFIG_FILE, type ModelWriter } from "../io/index.js";
import { checkTemplate, templateSpec, templateText } from "../vocab/chat-templates.js";
import { VocabError } from "../vocab/errors.js";
import { vocabConfigOverrides, writeTokenizer } from "../vocab/tokenizer-output.js";
import { TOKENIZER_CONFIG, TOKENIZER_JSON, VOCAB_JSON, isObject, readJsonFile } from "../vocab/vocabulary.js";
import { EngineError, atOrigin } from "./errors.js";
import type { ModelSet } from "./model-set.js";
import { type VocabAlignment, folderWith, modelFolder } from "./vocab-alignment.js";
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";

export async function writeConfigAndTokenizer(
  writer: ModelWriter,
  effect: SaveEffect,
  models: ModelSet,
  reference: LoadNode,
  loads: readonly LoadNode[],
  vocab: VocabAlignment | null,
  overrides: Record<string, unknown>,
): Promise<void> {
  try {
    const cfgFolder = folderWith(CONFIG_FILE, models, reference, loads);
    if (cfgFolder) {
      const vocabOverrides =
        vocab && effect.tokenizer ? vocabConfigOverrides(vocab.plan, jsonObject(join(cfgFolder, CONFIG_FILE)), cfgFolder, vocab.tokenizerFolder ? jsonObject(join(vocab.tokenizerFolder, CONFIG_FILE)) : null) : {};
      await writer.copyConfigFrom(cfgFolder, { ...overrides, ...vocabOverrides });
    }
    if (!effect.copyTokenizer && !effect.tokenizer && !effect.chatTemplate) return;
    const folder = vocab?.tokenizerFolder ?? tokenizerFolder(models, reference, loads);
    const template = effect.chatTemplate === null ? null : chatTemplate(effect, loads.map((l) => modelFolder(models.storedHeader(l))));
    await writeTokenizer(writer, folder, effect.tokenizer ? (vocab?.plan ?? null) : null, template);
  } catch (e) {
    if (e instanceof VocabError) throw new EngineError(atOrigin(effect.origin, e.message), effect.origin);
    throw e;
  }
}

function jsonObject(file: string): Record<string, unknown> | null {
  if (!existsSync(file)) return null;
  const v = readJsonFile(file);
  return isObject(v) ? v : null;
}

/** The first of the reference and the other models whose folder has tokenizer files. */
function tokenizerFolder(models: ModelSet, reference: LoadNode, loads: readonly LoadNode[]): string | null {
  for (const file of [TOKENIZER_JSON, TOKENIZER_CONFIG, "tokenizer.model", VOCAB_JSON]) {
    const folder = folderWith(file, models, reference, loads);
    if (folder) return folder;
  }
  return null;
}

/** The template text, checked; `auto` with no model template writes none. */
function chatTemplate(effect: SaveEffect, folders: string[]): string | null {
  const spec = templateSpec(effect.chatTemplate!, dirname(effect.recipe.file));
  if (spec.kind === "invalid") throw new VocabError(effect.recipe.file, spec.message);
  let text: string | null;
  try {
    text = templateText(spec, folders);
  } catch (e) {
    throw new VocabError(effect.recipe.file, `chat_template: ${(e as Error).message}`);
  }
  if (text === null) return null;
  const problem = checkTemplate(text);
  if (problem) throw new VocabError(effect.recipe.file, `chat_template${problem.line ? ` line ${problem.line}` : ""}: ${problem.message}`);
  return text;
}
