/**
 * Downloading a Hub model into the Hugging Face cache through `@huggingface/hub`, the Hub's own JS
 * library: only the files a merge needs (weights, config, tokenizer, adapter), each into
 * blobs/ETAG via blobs/ETAG.incomplete (an interrupted download resumes from there, as
 * huggingface_hub's does), then linked from snapshots/COMMIT/FILE and named by refs/REVISION.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { HubApiError, downloadFile, fileDownloadInfo, modelInfo } from "@huggingface/hub";
import { type HubId, type HubSettings, hubIdText, isCommitHash, repoFolder } from "./hf-cache.js";

/** Files a merge reads besides the weights (config and tokenizer, copied into the output). */
const SIDE_FILES = [
  "config.json", "generation_config.json", "adapter_config.json",
  "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt", "added_tokens.json",
];

export interface PlannedFile {
  path: string;
  size: number;
  etag: string;
}

export interface FetchPlan {
  id: HubId;
  commit: string;
  files: PlannedFile[];
  /** Bytes still to download (files already complete in the cache count 0, partial ones their rest). */
  bytesToFetch: number;
}

export interface FetchProgress {
  file: string;
  bytesDone: number;
  bytesTotal: number;
}

/** A failure to show as one message: gated or private repos, unknown ids, network errors. */
export class HubFetchError extends Error {
  override readonly name = "HubFetchError";
}

const stripEtag = (e: string): string => e.replace(/^W\//, "").replace(/^"|"$/g, "");

function explain(e: unknown, id: HubId, settings: HubSettings): HubFetchError {
  const text = hubIdText(id);
  if (e instanceof HubApiError) {
    if (e.statusCode === 401 || e.statusCode === 403) {
      return new HubFetchError(
        settings.token
          ? `${text} is gated or private and the token in HF_TOKEN has no access to it (HTTP ${e.statusCode}): accept its terms on the Hub, or use a token that can read it`
          : `${text} is gated or private (HTTP ${e.statusCode}): set HF_TOKEN to an access token from https://huggingface.co/settings/tokens (or run huggingface-cli login)`,
      );
    }
    if (e.statusCode === 404) return new HubFetchError(`${text} was not found on ${settings.endpoint} (no such repository or revision)`);
    return new HubFetchError(`${text}: the Hub answered ${e.statusCode}: ${e.message}`);
  }
  if (e instanceof TypeError && /access token/.test(e.message)) return new HubFetchError(`${text}: HF_TOKEN is not a Hugging Face token (they start with hf_)`);
  const cause = (e as { cause?: { message?: string } }).cause?.message;
  return new HubFetchError(`${text}: cannot reach ${settings.endpoint}: ${(e as Error).message}${cause ? ` (${cause})` : ""}`);
}

/** Which of a repository's files a merge needs: one weights format (safetensors first), the adapter, config, tokenizer. */
async function neededFiles(all: string[], read: (path: string) => Promise<string>): Promise<string[]> {
  const top = new Set(all.filter((f) => !f.includes("/")));
  const weights: string[] = [];
  for (const [index, single] of [["model.safetensors.index.json", "model.safetensors"], ["pytorch_model.bin.index.json", "pytorch_model.bin"]] as const) {
    if (top.has(index)) {
      const map = (JSON.parse(await read(index)) as { weight_map?: Record<string, string> }).weight_map ?? {};
      weights.push(index, ...new Set(Object.values(map)));
      break;
    }
    if (top.has(single)) {
      weights.push(single);
      break;
    }
  }
  if (weights.length === 0 && top.has("adapter_model.safetensors")) weights.push("adapter_model.safetensors");
  else if (weights.length === 0 && top.has("adapter_model.bin")) weights.push("adapter_model.bin");
  else if (weights.length === 0) {
    const st = [...top].filter((f) => f.endsWith(".safetensors"));
    if (st.length === 1) weights.push(st[0]!);
  }
  return [...weights, ...SIDE_FILES.filter((f) => top.has(f))];
}

/** What `fetch` would download: the commit the revision names now, the files and their sizes. Downloads nothing. */
export async function planFetch(id: HubId, settings: HubSettings): Promise<FetchPlan> {
  if (settings.offline) throw new HubFetchError(`${hubIdText(id)} is not in the cache and HF_HUB_OFFLINE is set: nothing is downloaded`);
  const credentials = settings.token ? { accessToken: settings.token } : {};
  try {
    const info = await modelInfo({ name: id.repo, revision: id.revision, hubUrl: settings.endpoint, additionalFields: ["sha", "filePaths"], ...credentials });
    const commit = String((info as { sha?: unknown }).sha ?? "");
    if (!isCommitHash(commit)) throw new HubFetchError(`${hubIdText(id)}: the Hub did not say which commit ${id.revision} is`);
    const read = async (path: string): Promise<string> => {
      const blob = await downloadFile({ repo: id.repo, path, revision: commit, hubUrl: settings.endpoint, ...credentials });
      if (!blob) throw new HubFetchError(`${hubIdText(id)}: ${path} is listed but cannot be downloaded`);
      return blob.text();
    };
    const names = await neededFiles((info as { filePaths?: string[] }).filePaths ?? [], read);
    if (!names.some((n) => /\.(safetensors|bin)$/.test(n))) {
      throw new HubFetchError(`${hubIdText(id)} has no safetensors or pytorch_model.bin weights at its top level: it cannot be merged`);
    }
    const files: PlannedFile[] = [];
    let bytesToFetch = 0;
    for (const path of names) {
      const d = await fileDownloadInfo({ repo: id.repo, path, revision: commit, hubUrl: settings.endpoint, ...credentials });
      if (!d) throw new HubFetchError(`${hubIdText(id)}: ${path} is listed but the Hub has no such file`);
      const file = { path, size: d.size, etag: stripEtag(d.etag) };
      files.push(file);
      bytesToFetch += file.size - cachedBytes(settings.cacheDir, id.repo, file);
    }
    return { id, commit, files, bytesToFetch };
  } catch (e) {
    if (e instanceof HubFetchError) throw e;
    throw explain(e, id, settings);
  }
}

/** Bytes of a file already in the cache: all of a complete blob, or what an interrupted download left. */
function cachedBytes(cacheDir: string, repo: string, f: PlannedFile): number {
  const blob = join(repoFolder(cacheDir, repo), "blobs", f.etag);
  if (existsSync(blob)) return f.size;
  const partial = statSync(`${blob}.incomplete`, { throwIfNoEntry: false });
  return partial ? Math.min(partial.size, f.size) : 0;
}

/** Downloads what `plan` lists into the cache; returns the snapshot folder. */
export async function fetchIntoCache(plan: FetchPlan, settings: HubSettings, onProgress?: (p: FetchProgress) => void, signal?: AbortSignal): Promise<string> {
  const repoDir = repoFolder(settings.cacheDir, plan.id.repo);
  const snapshot = join(repoDir, "snapshots", plan.commit);
  const credentials = settings.token ? { accessToken: settings.token } : {};
  const total = plan.files.reduce((a, f) => a + f.size, 0);
  let before = 0;
  for (const f of plan.files) {
    const blob = join(repoDir, "blobs", f.etag);
    mkdirSync(dirname(blob), { recursive: true });
    if (!existsSync(blob)) {
      const partial = `${blob}.incomplete`;
      let offset = statSync(partial, { throwIfNoEntry: false })?.size ?? 0;
      if (offset > f.size) {
        rmSync(partial);
        offset = 0;
      }
      try {
        if (offset < f.size) {
          const remote = await downloadFile({ repo: plan.id.repo, path: f.path, revision: plan.commit, hubUrl: settings.endpoint, ...credentials });
          if (!remote) throw new HubFetchError(`${hubIdText(plan.id)}: ${f.path} disappeared from the Hub`);
          const out = createWriteStream(partial, { flags: "a" });
          let done = offset;
          try {
            for await (const chunk of remote.slice(offset).stream() as unknown as AsyncIterable<Uint8Array>) {
              if (signal?.aborted) throw new HubFetchError("download cancelled (what was downloaded is kept and resumed next time)");
              if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
              done += chunk.length;
              onProgress?.({ file: f.path, bytesDone: before + done, bytesTotal: total });
            }
          } catch (e) {
            if (e instanceof HubFetchError || e instanceof HubApiError) throw e;
            throw new HubFetchError(
              `${hubIdText(plan.id)}: the download of ${f.path} was interrupted after ${done} of ${f.size} bytes (${(e as Error).message}); ` +
                "run the command again to resume from there",
            );
          } finally {
            await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
          }
        }
      } catch (e) {
        if (e instanceof HubFetchError) throw e;
        throw explain(e, plan.id, settings);
      }
      const got = statSync(partial).size;
      if (got !== f.size) throw new HubFetchError(`${hubIdText(plan.id)}: ${f.path} arrived with ${got} of ${f.size} bytes; run the command again to resume`);
      renameSync(partial, blob);
    }
    before += f.size;
    onProgress?.({ file: f.path, bytesDone: before, bytesTotal: total });
  }
  // Linked only when every blob is complete: a snapshot with weights is a usable model.
  for (const f of plan.files) {
    const link = join(snapshot, f.path);
    mkdirSync(dirname(link), { recursive: true });
    rmSync(link, { force: true });
    symlinkSync(relative(dirname(link), join(repoDir, "blobs", f.etag)), link);
  }
  if (!isCommitHash(plan.id.revision)) {
    mkdirSync(join(repoDir, "refs", dirname(plan.id.revision)), { recursive: true });
    writeFileSync(join(repoDir, "refs", plan.id.revision), plan.commit);
  }
  return snapshot;
}
