// Downloads from a Hub on 127.0.0.1 (set through HF_ENDPOINT) into the Hugging Face cache: only the
// files a merge needs, resumed after an interruption, the token error on 401, and no request at all
// when HF_HUB_OFFLINE is set.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type HubSettings } from "../../src/hub/hf-cache.js";
import { HubFetchError, fetchIntoCache, planFetch } from "../../src/hub/hub-download.js";
import { randomFloats, safetensorsBytes, tempDir } from "../io/build-safetensors.js";
import { FakeHub, commitOf, sha256 } from "./hub-fixtures.js";

const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

function weights(seed: number): Buffer {
  const v = randomFloats(600, seed);
  return safetensorsBytes([{ name: "model.layers.0.mlp.weight", dtype: "F32", shape: [20, 30], data: new Uint8Array(v.buffer) }]);
}

const MODEL = weights(1);
const hub = new FakeHub({
  "org/model": {
    commit: commitOf("model"),
    files: {
      "model.safetensors": MODEL,
      "config.json": JSON.stringify({ num_hidden_layers: 1 }),
      "tokenizer.json": "{}",
      "README.md": "# card",
      "original/consolidated.safetensors": "not needed",
      "onnx/model.onnx": "not needed",
    },
  },
  "org/other": { commit: commitOf("other"), files: { "model.safetensors": weights(2), "config.json": "{}" } },
  "org/gated": { commit: commitOf("gated"), files: { "model.safetensors": weights(3) }, token: "hf_secret" },
});
let endpoint = "";

before(async () => {
  endpoint = await hub.start();
});
after(() => hub.stop());

function settings(cacheDir: string, extra: Partial<HubSettings> = {}): HubSettings {
  return { cacheDir, offline: false, token: null, endpoint, ...extra };
}

function cli$(cwd: string, env: Record<string, string>, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...process.env, HF_TOKEN: "", HF_HUB_OFFLINE: "", HF_ENDPOINT: endpoint, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => res({ status, stdout, stderr }));
  });
}

test("mergelang fetch downloads only what a merge reads, in the cache's layout", async () => {
  const dir = tempDir("mergelang-hub-");
  const cache = join(dir, "cache");
  const r = await cli$(dir, { HF_HUB_CACHE: cache, HF_HOME: join(dir, "home") }, "fetch", "org/model");
  assert.equal(r.status, 0, r.stderr);
  const repoDir = join(cache, "models--org--model");
  const commit = commitOf("model");
  assert.equal(readFileSync(join(repoDir, "refs", "main"), "utf8"), commit);
  const link = join(repoDir, "snapshots", commit, "model.safetensors");
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(resolve(join(repoDir, "snapshots", commit), readlinkSync(link)), join(repoDir, "blobs", sha256(MODEL)));
  assert.deepEqual(readFileSync(link), MODEL);
  for (const f of ["config.json", "tokenizer.json"]) assert.ok(existsSync(join(repoDir, "snapshots", commit, f)), f);
  for (const f of ["README.md", "original", "onnx"]) assert.ok(!existsSync(join(repoDir, "snapshots", commit, f)), `${f} is not fetched`);
  // Then a recipe naming the id checks and runs from the cache without a request.
  writeFileSync(join(dir, "r.merge"), 'a = model("org/model")\nsave(linear(a, a), "out", dtype: "f32")\n');
  const seen = hub.requests.length;
  const run = await cli$(dir, { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: "1" }, "run", "r.merge");
  assert.equal(run.status, 0, run.stderr);
  assert.equal(hub.requests.length, seen, "no request once cached");
  assert.ok(existsSync(join(dir, "out", "model.safetensors")));
});

test("an interrupted download resumes from the bytes it has", async () => {
  const dir = tempDir("mergelang-hub-");
  const s = settings(join(dir, "cache"));
  const plan = await planFetch({ repo: "org/model", revision: "main" }, s);
  assert.equal(plan.bytesToFetch, plan.files.reduce((a, f) => a + f.size, 0));
  hub.cutAfter = { file: "model.safetensors", bytes: 1000 };
  await assert.rejects(fetchIntoCache(plan, s), (e: unknown) => e instanceof HubFetchError && /interrupted after \d+ of \d+ bytes.*resume/.test(e.message));
  const partial = join(dir, "cache", "models--org--model", "blobs", `${sha256(MODEL)}.incomplete`);
  const kept = statSync(partial).size;
  assert.ok(kept > 0 && kept < MODEL.length, `kept ${kept} bytes`);
  assert.equal((await planFetch({ repo: "org/model", revision: "main" }, s)).bytesToFetch, plan.bytesToFetch - kept);
  const from = hub.requests.length;
  const folder = await fetchIntoCache(plan, s);
  const ranged = hub.requests.slice(from).filter((q) => q.url.endsWith("/model.safetensors") && q.range !== "bytes=0-0");
  assert.deepEqual(ranged.map((q) => q.range), [`bytes=${kept}-${MODEL.length - 1}`]);
  assert.deepEqual(readFileSync(join(folder, "model.safetensors")), MODEL);
  assert.ok(!existsSync(partial));
});

test("a gated repository without a token says to set HF_TOKEN; with one it downloads", async () => {
  const dir = tempDir("mergelang-hub-");
  await assert.rejects(planFetch({ repo: "org/gated", revision: "main" }, settings(join(dir, "cache"))), (e: unknown) =>
    e instanceof HubFetchError && /org\/gated is gated or private \(HTTP 401\): set HF_TOKEN/.test(e.message));
  const r = await cli$(dir, { HF_HUB_CACHE: join(dir, "cache"), HF_TOKEN: "hf_secret" }, "fetch", "org/gated");
  assert.equal(r.status, 0, r.stderr);
});

test("offline, run and check name the id, the cache folder and the fetch command, and make no request", async () => {
  const dir = tempDir("mergelang-hub-");
  const cache = join(dir, "cache");
  writeFileSync(join(dir, "r.merge"), 'a = model("org/other")\nsave(linear(a, a), "out")\n');
  const seen = hub.requests.length;
  for (const command of ["run", "check"]) {
    const r = await cli$(dir, { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: "1" }, command, "r.merge");
    assert.equal(r.status, 1);
    const text = r.stdout + r.stderr;
    assert.match(text, /r\.merge:1:11: error model-not-found: 'org\/other' is not a local folder \(no .*\) and not in the Hugging Face cache/);
    assert.ok(text.includes(join(cache, "models--org--other")), text);
    assert.match(text, /mergelang fetch org\/other/);
  }
  assert.equal(hub.requests.length, seen, "offline: no request");
});

test("run --dry-run lists what it would fetch with sizes and downloads nothing; run downloads then merges", async () => {
  const dir = tempDir("mergelang-hub-");
  const cache = join(dir, "cache");
  writeFileSync(join(dir, "r.merge"), 'a = model("org/other")\nsave(linear(a, a), "out")\n');
  const dry = await cli$(dir, { HF_HUB_CACHE: cache }, "run", "--dry-run", "r.merge");
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stderr, /would fetch org\/other \(commit [0-9a-f]{12}\): 2 files, .*to download/);
  assert.match(dry.stderr, /model\.safetensors\s+\d/);
  assert.ok(!existsSync(join(cache, "models--org--other", "blobs")), "nothing downloaded");
  const run = await cli$(dir, { HF_HUB_CACHE: cache }, "run", "r.merge");
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /wrote out: 1 tensors/);
});
