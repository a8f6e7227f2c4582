/** `mergelang fetch ID... [--dry-run]`: download Hub models into the Hugging Face cache ahead of a merge. */
import { parseArgs } from "node:util";
import { hubSettings, parseHubId, type HubId } from "../../hub/hf-cache.js";
import { fetchModels } from "../hub-fetching.js";
import { UsageError, type Command } from "../command.js";

export const fetchCommand: Command = {
  name: "fetch",
  summary: "download Hugging Face models into the local cache (what a merge needs only)",
  usage: `usage: mergelang fetch ORG/NAME[@REVISION]... [--dry-run]

Downloads the files a merge reads (safetensors or pytorch_model.bin weights, config, tokenizer,
or a LoRA adapter's files) into the Hugging Face cache (HF_HUB_CACHE, else HF_HOME/hub, else
~/.cache/huggingface/hub), where huggingface-cli and transformers find them too. An interrupted
download resumes. HF_TOKEN is sent for gated and private models; HF_ENDPOINT picks the server.
  --dry-run   say what would be downloaded and how big it is, download nothing`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { "dry-run": { type: "boolean" } } });
    if (positionals.length === 0) throw new UsageError("fetch needs at least one Hub id (org/name)\n" + this.usage);
    const ids: HubId[] = positionals.map((p) => {
      const id = parseHubId(p);
      if (!id) throw new UsageError(`'${p}' is not a Hub id: write org/name or org/name@revision`);
      return id;
    });
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once("SIGINT", onSigint);
    try {
      const failures = await fetchModels(ids, hubSettings(), { dryRun: values["dry-run"] === true, signal: controller.signal });
      for (const f of failures) console.error(`mergelang fetch: ${f}`);
      return failures.length ? 1 : 0;
    } finally {
      process.off("SIGINT", onSigint);
    }
  },
};
