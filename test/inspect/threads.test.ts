/** Exact mode on worker threads gives the report of one thread, and keeps the errors' file and tensor. */
import assert from "node:assert/strict";
import { readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ModelFormatError } from "../../src/io/errors.js";
import { HeaderCache } from "../../src/io/header-cache.js";
import { inspectInterference } from "../../src/inspect/inspect.js";
import { fixturesDir } from "../support/paths.js";
import { tempDir } from "../support/temp-dir.js";

const models = fixturesDir("reference", "models", "tiny_f32");
const options = {
  models: ["task_a", "task_b", "task_c"].map((m) => join(models, m)),
  base: join(models, "base"),
  density: 0.3,
  pcb: { ratio: 0.2 },
};

test("exact mode: the same report on one thread and on three", async () => {
  const one = await inspectInterference({ ...options, threads: 1 });
  const three = await inspectInterference({ ...options, threads: 3 });
  assert.ok(one.groups.length > 1);
  assert.deepEqual({ ...three, elapsedMs: 0 }, { ...one, elapsedMs: 0 });
});

test("exact mode on threads: a damaged model is a ModelFormatError naming its file", async () => {
  const dir = tempDir("mergelang-inspect-threads-");
  const file = join(dir, "model.safetensors");
  const bytes = readFileSync(join(models, "task_b", "model.safetensors"));
  writeFileSync(file, bytes.subarray(0, bytes.length - 64)); // the last tensor is cut short
  await assert.rejects(
    inspectInterference({ ...options, models: [options.models[0]!, dir], threads: 2 }),
    (e: unknown) => e instanceof ModelFormatError && e.file === file,
  );
});

test("exact mode on threads: a model damaged after its header was read fails in the worker, naming its file", async () => {
  const dir = tempDir("mergelang-inspect-threads-");
  const file = join(dir, "model.safetensors");
  const bytes = readFileSync(join(models, "task_b", "model.safetensors"));
  writeFileSync(file, bytes);
  const stamp = new Date(1_700_000_000_000); // whole seconds: restored exactly below
  utimesSync(file, stamp, stamp);
  const headers = new HeaderCache();
  headers.get(dir);
  // Same size and modification time, so the cache keeps the good header (the calling thread never
  // notices); only the workers, which read the file themselves, find the damage.
  const damaged = Buffer.from(bytes);
  damaged[8] = "x".charCodeAt(0); // the header's opening brace
  writeFileSync(file, damaged);
  utimesSync(file, stamp, stamp);
  await assert.rejects(
    inspectInterference({ ...options, models: [options.models[0]!, dir], headers, threads: 2 }),
    (e: unknown) => e instanceof ModelFormatError && e.file === file,
  );
  // On the calling thread the cached header is used and the data is read as it is: no error.
  await inspectInterference({ ...options, models: [options.models[0]!, dir], headers, threads: 1 });
});
