// Models in a Hugging Face cache built here in the real layout (refs, snapshots of symlinks, blobs):
// found by id, @revision (a ref or a commit) with no copy and no request, in recipes, in hovers and
// in mergekit configs with +lora, which run unchanged.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { hubSettings } from "../../src/hub/hf-cache.js";
import { ModelResolver } from "../../src/hub/model-resolver.js";
import { HeaderCache, openModel } from "../../src/io/index.js";
import { checkRecipe } from "../../src/language/service.js";
import { HoverProvider } from "../../src/lsp/hover.js";
import { randomFloats, safetensorsBytes, tempDir } from "../io/build-safetensors.js";
import { cacheRepo, commitOf } from "./hub-fixtures.js";

const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const W = "model.layers.0.self_attn.q_proj.weight";
const [ROWS, COLS, RANK] = [4, 3, 2];

const values = (seed: number, n = ROWS * COLS): Float32Array => randomFloats(n, seed);
const model = (v: Float32Array): Buffer => safetensorsBytes([{ name: W, dtype: "F32", shape: [ROWS, COLS], data: new Uint8Array(v.buffer) }]);

interface Cache {
  dir: string;
  cache: string;
  base: Float32Array;
  tuned: Float32Array;
  a: Float32Array;
  b: Float32Array;
}

function cacheTree(): Cache {
  const dir = tempDir("mergelang-cache-");
  const cache = join(dir, "hub");
  const base = values(1);
  const tuned = values(2);
  const a = values(3, RANK * COLS);
  const b = values(4, ROWS * RANK);
  cacheRepo(cache, "org/base", commitOf("base"), { "model.safetensors": model(base), "config.json": JSON.stringify({ num_hidden_layers: 1 }) });
  // org/tuned: main is an older commit; the tag v1 names the one to merge.
  cacheRepo(cache, "org/tuned", commitOf("tuned-old"), { "model.safetensors": model(values(9)) }, ["main"]);
  cacheRepo(cache, "org/tuned", commitOf("tuned"), { "model.safetensors": model(tuned) }, ["v1"]);
  cacheRepo(cache, "org/adapter", commitOf("adapter"), {
    "adapter_config.json": JSON.stringify({ peft_type: "LORA", r: RANK, lora_alpha: 8, target_modules: ["q_proj"] }),
    "adapter_model.safetensors": safetensorsBytes([
      { name: "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", dtype: "F32", shape: [RANK, COLS], data: new Uint8Array(a.buffer) },
      { name: "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", dtype: "F32", shape: [ROWS, RANK], data: new Uint8Array(b.buffer) },
    ]),
  });
  // Only a config, as transformers leaves after AutoConfig: not a usable model.
  cacheRepo(cache, "org/config-only", commitOf("config-only"), { "config.json": "{}" });
  return { dir, cache, base, tuned, a, b };
}

/** base + (8 / 2)·B·A, by the definition. */
function withLora(c: Cache): Float64Array {
  const out = Float64Array.from(c.base);
  for (let i = 0; i < ROWS; i++) for (let j = 0; j < COLS; j++) for (let k = 0; k < RANK; k++) out[i * COLS + j] += 4 * c.b[i * RANK + k]! * c.a[k * COLS + j]!;
  return out;
}

test("the settings follow the Hugging Face variables", () => {
  assert.equal(hubSettings({ HF_HUB_CACHE: "/c", HF_HOME: "/h" }).cacheDir, "/c");
  assert.equal(hubSettings({ HF_HOME: "/h" }).cacheDir, "/h/hub");
  assert.equal(hubSettings({ XDG_CACHE_HOME: "/x", HF_TOKEN_PATH: "/nonexistent" }).cacheDir, "/x/huggingface/hub");
  assert.equal(hubSettings({ HF_HUB_OFFLINE: "1", HF_HOME: "/h" }).offline, true);
  assert.equal(hubSettings({ HF_HUB_OFFLINE: "0", HF_HOME: "/h" }).offline, false);
  assert.equal(hubSettings({ HF_ENDPOINT: "http://127.0.0.1:9/", HF_HOME: "/h" }).endpoint, "http://127.0.0.1:9");
  const home = tempDir("mergelang-home-");
  writeFileSync(join(home, "token"), "hf_fromfile\n");
  assert.equal(hubSettings({ HF_HOME: home }).token, "hf_fromfile");
  assert.equal(hubSettings({ HF_HOME: home, HF_TOKEN: "hf_env" }).token, "hf_env");
});

test("ids resolve to their snapshot by ref, tag or commit; local folders come first; incomplete snapshots are missing", () => {
  const c = cacheTree();
  const r = new ModelResolver({ cacheDir: c.cache, offline: true, token: null, endpoint: "http://127.0.0.1:9" });
  const snapshot = (repo: string, commit: string): string => join(c.cache, `models--${repo.replace("/", "--")}`, "snapshots", commit);
  assert.equal(r.resolve("org/base", c.dir).path, snapshot("org/base", commitOf("base")));
  assert.equal(r.resolve("org/tuned", c.dir).path, snapshot("org/tuned", commitOf("tuned-old")));
  assert.equal(r.resolve("org/tuned@v1", c.dir).path, snapshot("org/tuned", commitOf("tuned")));
  assert.equal(r.resolve(`org/tuned@${commitOf("tuned")}`, c.dir).path, snapshot("org/tuned", commitOf("tuned")));
  const combined = r.resolveCombined("org/base+org/adapter", c.dir);
  assert.equal(combined.base.hub?.commit, commitOf("base"));
  assert.equal(combined.lora?.hub?.commit, commitOf("adapter"));
  assert.deepEqual(combined.missing, []);
  mkdirSync(join(c.dir, "org", "base"), { recursive: true });
  assert.equal(r.resolve("org/base", c.dir).path, join(c.dir, "org", "base"), "a local folder of that name wins");
  for (const id of ["org/config-only", "org/absent", "org/tuned@v2"]) {
    const m = r.resolve(id, tempDir()).missing;
    assert.equal(m.length, 1, id);
    assert.match(r.missingMessage(m[0]!), /not in the Hugging Face cache \(searched .*models--org--.*\); HF_HUB_OFFLINE is set.*mergelang fetch org\//);
  }
  assert.equal(r.missing.size, 3);
});

test("a recipe names Hub ids and adapters; the hover says where each resolved", () => {
  const c = cacheTree();
  const saved = process.env.HF_HUB_CACHE;
  process.env.HF_HUB_CACHE = c.cache;
  try {
    const text = 'base = model("org/base")\nft = model("org/base", lora: "org/adapter")\nsave(task_arithmetic(ft, base: base), "out")\n';
    const checked = checkRecipe(text, join(c.dir, "r.merge"));
    assert.deepEqual(checked.diagnostics.filter((d) => d.severity === "error"), []);
    const hover = new HoverProvider(new HeaderCache()).hover(checked, text.indexOf("org/adapter"));
    const shown = JSON.stringify(hover?.contents);
    assert.match(shown, /Hugging Face cache: org\/base at [0-9a-f]{12}/);
    assert.match(shown, /LoRA adapter Hugging Face cache: org\/adapter at/);
  } finally {
    if (saved === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = saved;
  }
});

test("a mergekit config copied from a model card (ids, @revision, +lora, a model mapping) runs unchanged from the cache", () => {
  const c = cacheTree();
  const yml = join(c.dir, "config.yml");
  writeFileSync(
    yml,
    [
      "merge_method: task_arithmetic",
      "base_model: org/base",
      "models:",
      "  - model: org/base+org/adapter",
      "    parameters: {weight: 1.0}",
      "  - model: {path: org/tuned, revision: v1}",
      "    parameters: {weight: 0.5}",
      "dtype: float32",
    ].join("\n"),
  );
  const env = { ...process.env, HF_HUB_CACHE: c.cache, HF_HUB_OFFLINE: "1", HF_TOKEN: "" };
  const imported = spawnSync(process.execPath, [cli, "import", yml], { encoding: "utf8", env });
  assert.equal(imported.status, 0, imported.stderr);
  assert.match(imported.stdout, /model\("org\/base", lora: "org\/adapter"\)/);
  assert.match(imported.stdout, /model\("org\/tuned@v1"\)/);
  const r = spawnSync(process.execPath, [cli, "run", yml, "--out", join(c.dir, "merged")], { encoding: "utf8", env });
  assert.equal(r.status, 0, r.stderr);
  const out = openModel(join(c.dir, "merged"));
  try {
    const got = out.readF32Sync(W);
    const lora = withLora(c);
    got.forEach((v, i) => {
      const want = c.base[i]! + (lora[i]! - c.base[i]!) + 0.5 * (c.tuned[i]! - c.base[i]!);
      assert.ok(Math.abs(v - want) < 1e-5, `${i}: ${v} vs ${want}`);
    });
  } finally {
    out.close();
  }
  assert.equal(JSON.parse(readFileSync(join(c.dir, "merged", "config.json"), "utf8")).num_hidden_layers, 1, "config from the base snapshot");
});
