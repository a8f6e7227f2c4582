// A model's files are read only from inside its folder: index entries that climb out, shards and
// side files that link out, are refused before they are opened; errors never echo file contents.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs, { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { readModelHeader } from "../../src/io/model-header.js";
import { ModelFormatError } from "../../src/io/errors.js";
import { ModelWriter } from "../../src/io/model-writer.js";
import { f32Bytes, safetensorsBytes, tempDir } from "../io/build-safetensors.js";
import { mergelang, workspace } from "./support.js";

const SECRET = "root:x:0:0:SECRET-CONTENT-do-not-print:/root:/bin/bash\n";

/** A one-tensor safetensors file. */
function shard(name = "w"): Buffer {
  return safetensorsBytes([{ name, dtype: "F32", shape: [2], data: f32Bytes([1, 2]) }]);
}

function indexed(folder: string, shardName: string): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, "model.safetensors.index.json"), JSON.stringify({ weight_map: { w: shardName } }));
}

/** Every path the process opens while `fn` runs (fs's open calls, the ones every read goes through). */
function opened(fn: () => void): string[] {
  const paths: string[] = [];
  const saved = { openSync: fs.openSync, readFileSync: fs.readFileSync, copyFileSync: fs.copyFileSync };
  const record = (p: unknown): void => {
    if (typeof p === "string") paths.push(resolve(p));
  };
  type AnyFn = (...args: unknown[]) => unknown;
  const spy = (f: AnyFn): AnyFn => (...args) => (record(args[0]), f(...args));
  fs.openSync = spy(saved.openSync as AnyFn) as typeof fs.openSync;
  fs.readFileSync = spy(saved.readFileSync as AnyFn) as typeof fs.readFileSync;
  fs.copyFileSync = spy(saved.copyFileSync as AnyFn) as typeof fs.copyFileSync;
  syncBuiltinESMExports();
  try {
    fn();
  } catch {
    // the refusal itself is checked by the caller
  } finally {
    Object.assign(fs, saved);
    syncBuiltinESMExports();
  }
  return paths;
}

for (const [what, entry] of [
  ["a parent folder", "../outside.safetensors"],
  ["a system file", "../../../../../../../../etc/passwd"],
  ["an absolute path", "/etc/passwd"],
] as const) {
  test(`an index naming ${what} is refused without opening it`, () => {
    const root = tempDir();
    writeFileSync(join(root, "outside.safetensors"), shard());
    const folder = join(root, "m");
    indexed(folder, entry);
    assert.throws(() => readModelHeader(folder), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError);
      assert.equal(e.code, "outside-folder");
      assert.match(e.message, /model\.safetensors\.index\.json names ".*" for tensor "w", .*outside the model folder|an absolute path/);
      assert.equal(e.tensor, "w");
      return true;
    });
    const paths = opened(() => readModelHeader(folder));
    assert.ok(!paths.includes(join(root, "outside.safetensors")) && !paths.includes("/etc/passwd"), paths.join("\n"));
  });
}

test("a shard that is a symbolic link out of the folder is refused; the file it points to is never opened", () => {
  const root = tempDir();
  const secret = join(root, "secret.safetensors");
  writeFileSync(secret, shard());
  const folder = join(root, "m");
  indexed(folder, "model-00001-of-00001.safetensors");
  symlinkSync(secret, join(folder, "model-00001-of-00001.safetensors"));
  assert.throws(() => readModelHeader(folder), /is a link to .*secret\.safetensors, outside the model folder/);
  assert.ok(!opened(() => readModelHeader(folder)).includes(secret));
  // The same for a single model.safetensors and for config.json.
  const single = join(root, "single");
  mkdirSync(single);
  symlinkSync(secret, join(single, "model.safetensors"));
  assert.throws(() => readModelHeader(single), /outside-folder|outside the model folder/);
  const cfg = join(root, "cfg");
  mkdirSync(cfg);
  writeFileSync(join(cfg, "model.safetensors"), shard());
  writeFileSync(join(root, "passwd"), SECRET);
  symlinkSync(join(root, "passwd"), join(cfg, "config.json"));
  assert.throws(() => readModelHeader(cfg), /config\.json names "config\.json", which is a link to .*passwd/);
  assert.ok(!opened(() => readModelHeader(cfg)).includes(join(root, "passwd")));
});

test("links inside the folder are followed", () => {
  const folder = join(tempDir(), "m");
  mkdirSync(join(folder, "weights"), { recursive: true });
  writeFileSync(join(folder, "weights", "real.safetensors"), shard());
  indexed(folder, "model-00001-of-00001.safetensors");
  symlinkSync("weights/real.safetensors", join(folder, "model-00001-of-00001.safetensors"));
  assert.deepEqual([...readModelHeader(folder).tensors.keys()], ["w"]);
  // The spy the refusals are checked with does see the files that are read.
  assert.ok(opened(() => readModelHeader(folder)).includes(join(folder, "model-00001-of-00001.safetensors")));
});

test("the Hugging Face cache's snapshot links into the repository's blobs are followed, and only those", () => {
  const cache = tempDir();
  const repo = join(cache, "models--org--name");
  const snap = join(repo, "snapshots", "0123abcd");
  mkdirSync(join(repo, "blobs"), { recursive: true });
  mkdirSync(snap, { recursive: true });
  writeFileSync(join(repo, "blobs", "aaaa"), shard());
  writeFileSync(join(repo, "blobs", "bbbb"), '{"num_hidden_layers": 0}');
  symlinkSync("../../blobs/aaaa", join(snap, "model.safetensors"));
  symlinkSync("../../blobs/bbbb", join(snap, "config.json"));
  const h = readModelHeader(snap);
  assert.deepEqual([...h.tensors.keys()], ["w"]);
  assert.deepEqual(h.config, { num_hidden_layers: 0 });
  // Another repository's blobs are outside.
  const other = join(cache, "models--org--other", "blobs");
  mkdirSync(other, { recursive: true });
  writeFileSync(join(other, "cccc"), shard());
  const snap2 = join(cache, "models--org--third", "snapshots", "r");
  mkdirSync(snap2, { recursive: true });
  symlinkSync(join(other, "cccc"), join(snap2, "model.safetensors"));
  assert.throws(() => readModelHeader(snap2), /outside the model folder/);
});

test("tokenizer files that link out of the base folder are not copied into the output", async () => {
  const root = tempDir();
  const base = join(root, "base");
  mkdirSync(base);
  writeFileSync(join(root, "passwd"), SECRET);
  symlinkSync(join(root, "passwd"), join(base, "tokenizer.json"));
  const w = await ModelWriter.create({ path: join(root, "out"), dtype: "f32", shardSize: 1e9, tensors: [], metadata: {} });
  await assert.rejects(w.copyTokenizerFrom(base), /tokenizer\.json.*is a link to .*passwd, outside the model folder/);
});

test("errors about files that are not safetensors or not JSON never print their contents", () => {
  const root = tempDir();
  const file = join(root, "weights.safetensors");
  writeFileSync(file, SECRET);
  const folder = join(root, "m");
  mkdirSync(folder);
  copyFileSync(file, join(folder, "model.safetensors"));
  writeFileSync(join(folder, "config.json"), SECRET);
  const bad = join(root, "badjson");
  mkdirSync(bad);
  writeFileSync(join(bad, "model.safetensors"), shard());
  writeFileSync(join(bad, "config.json"), SECRET);
  const header = join(root, "header.safetensors");
  const json = Buffer.from(`{"w": ${SECRET}}`);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(header, Buffer.concat([len, json]));
  for (const path of [file, folder, bad, header]) {
    assert.throws(() => readModelHeader(path), (e: unknown) => {
      const message = (e as Error).message;
      assert.ok(!message.includes("SECRET") && !message.includes("root:x") && !/\d{12,}/.test(message), message);
      return e instanceof ModelFormatError;
    });
  }
});

test("check and run of a recipe whose model index points outside stop before reading a byte outside the folder", () => {
  // A FIFO outside the folder: opening it for reading would block the process until the test's timeout.
  const dir = workspace('base = model("models/base")\na = model("models/evil")\nsave(linear(a, base), "out")\n');
  const fifo = join(dir, "outside.safetensors");
  mkdirSync(join(dir, "models", "evil"));
  writeFileSync(join(dir, "models", "evil", "model.safetensors.index.json"), JSON.stringify({ weight_map: { "model.embed_tokens.weight": "../../outside.safetensors" } }));
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
  for (const cmd of ["check", "run"]) {
    const r = mergelang(dir, cmd, "r.merge");
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /r\.merge:2:11: error .*names "\.\.\/\.\.\/outside\.safetensors" for tensor "model\.embed_tokens\.weight", which is outside the model folder/);
  }
});
