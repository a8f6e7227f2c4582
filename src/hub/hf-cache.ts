/**
 * The Hugging Face cache as `huggingface_hub` lays it out, with the environment variables its tools
 * read: <cache>/models--ORG--NAME/{refs/REVISION (a commit hash), snapshots/COMMIT/FILE (symlinks),
 * blobs/ETAG}. A model downloaded by huggingface-cli or transformers is found here as it is.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface HubSettings {
  /** The hub cache folder (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub). */
  cacheDir: string;
  /** HF_HUB_OFFLINE: never make a request. */
  offline: boolean;
  /** HF_TOKEN, else the token file huggingface-cli login writes. */
  token: string | null;
  /** HF_ENDPOINT (default https://huggingface.co), without a trailing slash. */
  endpoint: string;
}

const TRUE = new Set(["1", "on", "yes", "true"]);

export function hubSettings(env: NodeJS.ProcessEnv = process.env): HubSettings {
  const home = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "huggingface");
  const cacheDir = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE || join(home, "hub");
  let token = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || null;
  if (!token) {
    const file = env.HF_TOKEN_PATH || join(home, "token");
    try {
      token = readFileSync(file, "utf8").trim() || null;
    } catch {
      token = null;
    }
  }
  return {
    cacheDir,
    offline: TRUE.has((env.HF_HUB_OFFLINE ?? "").toLowerCase()),
    token,
    endpoint: (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, ""),
  };
}

/** A model repository on the Hub at a revision (branch, tag or commit). */
export interface HubId {
  repo: string;
  revision: string;
}

/** `org/name` or `org/name@revision`: what a reference must look like to be taken as a Hub id. */
const HUB_ID = /^([A-Za-z0-9][\w.-]*\/[\w.-]*[\w])(?:@([\w./-]+))?$/;

export function parseHubId(text: string): HubId | null {
  const m = HUB_ID.exec(text);
  if (!m || m[1]!.includes("..") || m[1]!.includes("--")) return null;
  return { repo: m[1]!, revision: m[2] ?? "main" };
}

export function hubIdText(id: HubId): string {
  return id.revision === "main" ? id.repo : `${id.repo}@${id.revision}`;
}

/** <cache>/models--ORG--NAME */
export function repoFolder(cacheDir: string, repo: string): string {
  return join(cacheDir, `models--${repo.split("/").join("--")}`);
}

export const isCommitHash = (s: string): boolean => /^[0-9a-f]{40}$/.test(s);

/** The commit a revision names in the cache (refs/REVISION), or the revision itself when it is a commit. */
export function cachedCommit(cacheDir: string, id: HubId): string | null {
  if (isCommitHash(id.revision)) return id.revision;
  try {
    const commit = readFileSync(join(repoFolder(cacheDir, id.repo), "refs", id.revision), "utf8").trim();
    return isCommitHash(commit) ? commit : null;
  } catch {
    return null;
  }
}

/** The snapshot folder of a cached revision, when it exists. */
export function cachedSnapshot(cacheDir: string, id: HubId): { commit: string; folder: string } | null {
  const commit = cachedCommit(cacheDir, id);
  if (!commit) return null;
  const folder = join(repoFolder(cacheDir, id.repo), "snapshots", commit);
  return existsSync(folder) && statSync(folder).isDirectory() ? { commit, folder } : null;
}
