/**
 * Hugging Face test doubles: a cache tree in huggingface_hub's real layout (refs, snapshots of
 * symlinks, blobs named by their hash) and a Hub on 127.0.0.1 serving the revision and resolve
 * endpoints from memory, with Range requests, a token check and a switch that cuts a download short.
 */
import { createHash } from "node:crypto";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, relative } from "node:path";

export type RepoFiles = Record<string, Uint8Array | string>;

const bytesOf = (v: Uint8Array | string): Buffer => (typeof v === "string" ? Buffer.from(v, "utf8") : Buffer.from(v));
export const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
export const commitOf = (seed: string): string => createHash("sha1").update(seed).digest("hex");

/** Writes a repository at `commit` into the cache: blobs by hash, snapshot symlinks, and the given refs. */
export function cacheRepo(cacheDir: string, repo: string, commit: string, files: RepoFiles, refs: string[] = ["main"]): string {
  const repoDir = join(cacheDir, `models--${repo.replace("/", "--")}`);
  const snapshot = join(repoDir, "snapshots", commit);
  for (const [name, value] of Object.entries(files)) {
    const b = bytesOf(value);
    const blob = join(repoDir, "blobs", sha256(b));
    mkdirSync(dirname(blob), { recursive: true });
    writeFileSync(blob, b);
    const link = join(snapshot, name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), blob), link);
  }
  for (const ref of refs) {
    mkdirSync(dirname(join(repoDir, "refs", ref)), { recursive: true });
    writeFileSync(join(repoDir, "refs", ref), commit);
  }
  return snapshot;
}

export interface HubRepo {
  commit: string;
  files: RepoFiles;
  /** Requests without `Authorization: Bearer <token>` get 401. */
  token?: string;
}

export interface SeenRequest {
  method: string;
  url: string;
  range: string | undefined;
}

export class FakeHub {
  readonly requests: SeenRequest[] = [];
  /** When set, the next full or ranged download of this file stops after this many body bytes. */
  cutAfter: { file: string; bytes: number } | null = null;
  private server: Server | null = null;

  constructor(readonly repos: Record<string, HubRepo>) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = decodeURIComponent((req.url ?? "").split("?")[0]!);
    this.requests.push({ method: req.method ?? "GET", url, range: req.headers.range });
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(url);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
    const repo = this.repos[(api ?? resolve)?.[1] ?? ""];
    if (!repo) return this.json(res, 404, { error: "Repository not found" });
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) return this.json(res, 401, { error: "Access to this model is restricted. You must be authenticated." });
    const revision = (api ?? resolve)![2]!;
    if (revision !== "main" && revision !== repo.commit) return this.json(res, 404, { error: "Revision not found" });
    if (api) return this.json(res, 200, { _id: "x", id: api[1], sha: repo.commit, siblings: Object.keys(repo.files).map((rfilename) => ({ rfilename })) });
    const value = repo.files[resolve![3]!];
    if (value === undefined) {
      res.writeHead(404, { "X-Error-Code": "EntryNotFound" });
      return void res.end();
    }
    const body = bytesOf(value);
    const headers = { ETag: `"${sha256(body)}"`, "X-Repo-Commit": repo.commit, "Accept-Ranges": "bytes" };
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = m ? Number(m[1]) : 0;
    const end = m && m[2] ? Number(m[2]) : body.length - 1;
    const part = body.subarray(start, end + 1);
    res.writeHead(m ? 206 : 200, { ...headers, "Content-Length": String(part.length), ...(m ? { "Content-Range": `bytes ${start}-${end}/${body.length}` } : {}) });
    const cut = this.cutAfter;
    if (cut && cut.file === resolve![3] && part.length > 1) {
      this.cutAfter = null;
      res.write(part.subarray(0, cut.bytes), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    res.end(part);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  }
}
