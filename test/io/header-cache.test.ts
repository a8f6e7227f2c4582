import { test } from "node:test";
import assert from "node:assert/strict";
import { utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HeaderCache } from "../../src/io/header-cache.js";
import { f32Bytes, safetensorsBytes, tempDir, writeFile } from "./build-safetensors.js";

function oneTensor(name: string, n: number): Buffer {
  return safetensorsBytes([{ name, dtype: "F32", shape: [n], data: f32Bytes(new Array<number>(n).fill(1)) }]);
}

test("HeaderCache reuses a header until the file changes, then re-reads it", () => {
  const dir = tempDir();
  const file = writeFile(dir, "model.safetensors", oneTensor("a", 4));
  const past = new Date(Date.now() - 60_000);
  utimesSync(file, past, past);
  const cache = new HeaderCache();
  const first = cache.get(dir);
  assert.equal(cache.get(dir), first, "unchanged files give the cached header");
  assert.equal(cache.get(dir + "/"), first, "the same folder spelled differently hits the cache");

  // Same size, new content and a new mtime.
  writeFileSync(file, oneTensor("b", 4));
  const second = cache.get(dir);
  assert.notEqual(second, first);
  assert.deepEqual([...second.tensors.keys()], ["b"]);
  assert.notEqual(second.mtimeKey, first.mtimeKey);
  assert.equal(cache.get(dir), second);
});

test("HeaderCache notices a new config.json in a folder", () => {
  const dir = tempDir();
  writeFile(dir, "model.safetensors", oneTensor("model.layers.0.x", 2));
  const cache = new HeaderCache();
  const first = cache.get(dir);
  assert.equal(first.config, null);
  assert.equal(first.layerCount, 1);
  writeFileSync(join(dir, "config.json"), JSON.stringify({ num_hidden_layers: 12 }));
  const second = cache.get(dir);
  assert.equal(second.layerCount, 12);
});

test("HeaderCache re-reads a single file whose size changed", () => {
  const dir = tempDir();
  const file = writeFile(dir, "x.safetensors", oneTensor("a", 4));
  const cache = new HeaderCache();
  const first = cache.get(file);
  writeFileSync(file, oneTensor("a", 8));
  const second = cache.get(file);
  assert.equal(second.tensors.get("a")!.numel, 8);
  assert.notEqual(second, first);
});
