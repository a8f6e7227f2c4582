// Saves never destroy an input, never replace a folder mergelang did not write, never write one
// folder twice: refused by `check`, before anything runs, naming the statement and the input.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { HEAD, mergelang, workspace } from "./support.js";

function modelBytes(dir: string, name: string): Buffer {
  return readFileSync(join(dir, "models", name, "model.safetensors"));
}

for (const [what, target, words] of [
  ["over", "models/task_a", "over the input"],
  ["into", "models/task_a/merged", "into the folder of the input"],
  ["above", "models", "over a folder that holds the input"],
] as const) {
  test(`save ${what} an input folder is an error from check and run; the input is untouched`, () => {
    const dir = workspace(`${HEAD}save(m, "${target}")\n`);
    const before = modelBytes(dir, "task_a");
    for (const cmd of ["check", "run"]) {
      const r = mergelang(dir, cmd, "r.merge");
      assert.equal(r.status, 1, r.out);
      // The save's path string, and the input's model(...) call.
      assert.match(r.out, new RegExp(`r\\.merge:5:9: error save-over-input: this save would write ${words} model\\("models/task_a"\\)`));
      assert.match(r.out, /the input .*task_a is read here/);
    }
    assert.ok(modelBytes(dir, "task_a").equals(before));
    assert.deepEqual(readdirSync(join(dir, "models")).sort(), ["base", "task_a", "task_b", "task_c"]);
  });
}

test("a save through a symbolic link to an input folder is caught too", () => {
  const dir = workspace(`${HEAD}save(m, "link")\n`);
  symlinkSync(join(dir, "models", "task_b"), join(dir, "link"));
  const r = mergelang(dir, "check", "r.merge");
  assert.equal(r.status, 1);
  assert.match(r.out, /save-over-input: this save would write over the input model\("models\/task_b"\)/);
});

test("overwrite: true does not make saving over an input allowed", () => {
  const dir = workspace(`${HEAD}save(m, "models/base", overwrite: true)\n`);
  const r = mergelang(dir, "run", "--overwrite", "r.merge");
  assert.equal(r.status, 1);
  assert.match(r.out, /save-over-input/);
});

test("two saves to one folder: the second is an error pointing at the first", () => {
  const dir = workspace(`${HEAD}save(m, "out/x")\nsave(a, "out/./x")\n`);
  const r = mergelang(dir, "check", "r.merge");
  assert.equal(r.status, 1);
  assert.match(r.out, /r\.merge:6:9: error save-twice: this save writes the same folder as the save on line 5/);
});

const FOREIGN: [string, (d: string) => void][] = [
  ["a data file", (d) => writeFileSync(join(d, "mydata.safetensors"), "not a model")],
  ["notes", (d) => writeFileSync(join(d, "notes.json"), '{"keep": true}')],
  ["a LoRA adapter", (d) => {
    writeFileSync(join(d, "adapter_config.json"), '{"r": 8}');
    writeFileSync(join(d, "adapter_model.safetensors"), "adapter");
  }],
  ["another model's tokenizer", (d) => writeFileSync(join(d, "tokenizer.json"), "{}")],
];

for (const [what, fill] of FOREIGN) {
  test(`an existing folder holding ${what} is never replaced unless overwrite is given`, () => {
    const dir = workspace(`${HEAD}save(m, "out")\n`);
    const out = join(dir, "out");
    mkdirSync(out);
    fill(out);
    const before = readdirSync(out).sort();
    for (const cmd of ["check", "run"]) {
      const r = mergelang(dir, cmd, "r.merge");
      assert.equal(r.status, 1, r.out);
      assert.match(r.out, /output-exists: cannot save to .*out: the folder exists and was not written by mergelang \(it holds /);
      for (const name of before) assert.ok(r.out.includes(`"${name}"`), `lists ${name}`);
    }
    assert.deepEqual(readdirSync(out).sort(), before);
    // The user says so: replaced, atomically.
    const r = mergelang(dir, "run", "--overwrite", "r.merge");
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(readdirSync(out).sort(), ["README.md", "config.json", "model.safetensors", "tokenizer_config.json"]);
  });
}

test("overwrite: true in the recipe replaces a foreign folder; mergelang's own output is replaced without it", () => {
  const dir = workspace(`${HEAD}save(m, "out", overwrite: true)\nsave(a, "again")\n`);
  mkdirSync(join(dir, "out"));
  writeFileSync(join(dir, "out", "notes.json"), "{}");
  let r = mergelang(dir, "run", "r.merge");
  assert.equal(r.status, 0, r.out);
  assert.ok(!readdirSync(join(dir, "out")).includes("notes.json"));
  // A second run replaces both outputs: they carry mergelang's metadata now.
  r = mergelang(dir, "run", "r.merge");
  assert.equal(r.status, 0, r.out);
  writeFileSync(join(dir, "r.merge"), `${HEAD}save(m, "again")\n`);
  r = mergelang(dir, "check", "r.merge");
  assert.equal(r.status, 0, r.out);
});

test("a folder with a subfolder is refused and listed even when its model files are mergelang's", () => {
  const dir = workspace(`${HEAD}save(m, "out")\n`);
  assert.equal(mergelang(dir, "run", "r.merge").status, 0);
  mkdirSync(join(dir, "out", "checkpoints"));
  const r = mergelang(dir, "check", "r.merge");
  assert.equal(r.status, 1);
  assert.match(r.out, /holds the subfolder "checkpoints"/);
});
