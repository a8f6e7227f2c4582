/**
 * Chat templates: the named ones mergekit users pick (`chat_template: chatml`), Jinja text or a
 * `.jinja` file, and `auto` (the template most input models share). A template is checked by parsing
 * it and rendering a two-message conversation with @huggingface/jinja, the Hub's implementation.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { Template } from "@huggingface/jinja";
import { lazyRequire } from "../util/lazy-require.js";
import { CHAT_TEMPLATE_FILE } from "./tokenizer-output.js";
import { TOKENIZER_CONFIG, isObject, readJsonFile } from "./vocabulary.js";

/** The Hub's Jinja, loaded when a template is first checked. */
const jinja = lazyRequire<typeof import("@huggingface/jinja")>("@huggingface/jinja");

export const NAMED_TEMPLATES: Readonly<Record<string, string>> = {
  chatml:
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  llama3:
    "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
  alpaca:
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}" +
    "{% elif message['role'] == 'user' %}{{ '### Instruction:\\n' + message['content'] + '\\n\\n' }}" +
    "{% elif message['role'] == 'assistant' %}{{ '### Response:\\n' + message['content'] + eos_token + '\\n\\n' }}{% endif %}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '### Response:\\n' }}{% endif %}",
  mistral:
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}" +
    "{% elif message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}" +
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}",
  gemma:
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'assistant' %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}" +
    "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}",
  zephyr:
    "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token + '\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}",
};

export const TEMPLATE_NAMES = [...Object.keys(NAMED_TEMPLATES), "auto"];

export type TemplateSpec = { kind: "named"; name: string } | { kind: "auto" } | { kind: "text"; text: string } | { kind: "file"; path: string };

/** How a `chat_template:` string reads: a name, `auto`, a .jinja file (relative to `dir`), or Jinja text. */
export function templateSpec(value: string, dir: string): TemplateSpec | { kind: "invalid"; message: string } {
  if (value in NAMED_TEMPLATES) return { kind: "named", name: value };
  if (value === "auto") return { kind: "auto" };
  if (value.endsWith(".jinja") && !value.includes("{")) return { kind: "file", path: isAbsolute(value) ? value : resolve(dir, value) };
  if (value.includes("{%") || value.includes("{{")) return { kind: "text", text: value };
  return { kind: "invalid", message: `chat_template "${value}" is not a template: give one of ${TEMPLATE_NAMES.join(", ")}, a .jinja file, or Jinja text` };
}

export interface TemplateProblem {
  message: string;
  /** 1-based line in the template where it is known. */
  line: number | null;
}

const SAMPLE = {
  messages: [
    { role: "user", content: "What is 2 + 2?" },
    { role: "assistant", content: "4" },
  ],
  bos_token: "<s>",
  eos_token: "</s>",
  add_generation_prompt: true,
};

/** Parses and renders the template on a two-message conversation; null when it works. */
export function checkTemplate(text: string): TemplateProblem | null {
  let template: Template;
  try {
    template = new (jinja().Template)(text);
  } catch (e) {
    return { message: (e as Error).message, line: errorLine(text, (e as Error).message) };
  }
  try {
    const out = template.render(SAMPLE);
    if (!out.includes("What is 2 + 2?")) return { message: "rendering a conversation does not show the user's message", line: null };
  } catch (e) {
    return { message: `rendering a conversation failed: ${(e as Error).message}`, line: null };
  }
  return null;
}

/**
 * @huggingface/jinja's errors carry no position: the line is the first whose prefix of the template
 * already fails with the same error (a prefix cut before the mistake fails differently, if at all).
 */
function errorLine(text: string, message: string): number | null {
  const lines = text.split("\n");
  for (let n = 1; n <= lines.length; n++) {
    try {
      new (jinja().Template)(lines.slice(0, n).join("\n"));
    } catch (e) {
      if ((e as Error).message === message) return n;
    }
  }
  return null;
}

/** A model folder's own template: chat_template.jinja, else tokenizer_config.json's (its default when a list). */
export function modelTemplate(folder: string): string | null {
  const file = join(folder, CHAT_TEMPLATE_FILE);
  if (existsSync(file)) return readFileSync(file, "utf8");
  const cfgFile = join(folder, TOKENIZER_CONFIG);
  if (!existsSync(cfgFile)) return null;
  const cfg = readJsonFile(cfgFile);
  if (!isObject(cfg)) return null;
  const t = cfg.chat_template;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const def = t.find((x) => isObject(x) && x.name === "default");
    return isObject(def) && typeof def.template === "string" ? def.template : null;
  }
  return null;
}

/** The template text a spec stands for; `auto` picks the one most models share (null: none has one). */
export function templateText(spec: TemplateSpec, modelFolders: readonly string[]): string | null {
  switch (spec.kind) {
    case "named":
      return NAMED_TEMPLATES[spec.name]!;
    case "text":
      return spec.text;
    case "file":
      return readFileSync(spec.path, "utf8");
    case "auto": {
      const counts = new Map<string, number>();
      for (const f of modelFolders) {
        const t = modelTemplate(f)?.trim();
        if (t) counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      let best: string | null = null;
      for (const [t, n] of counts) if (best === null || n > counts.get(best)!) best = t;
      return best;
    }
  }
}
