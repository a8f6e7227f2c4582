// PyTorch .bin checkpoints written by Debian's python3-torch in the set-up (zip and legacy formats),
// read lazily per tensor; a pickle that calls os.system is refused without running anything.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { isFloatDType, openModel, readModelHeader } from "../../src/io/index.js";
import { TORCH, skipUnless } from "../support/requirements.js";
import { formatError } from "./format-error.js";

const SET_UP = String.raw`
import collections, json, os, sys, torch
out = sys.argv[1]
torch.manual_seed(0)
sd = collections.OrderedDict()
sd["model.layers.0.mlp.weight"] = torch.randn(4, 3)
backing = torch.randn(10)
sd["model.layers.0.norm.weight"] = backing[2:6]          # a view: its data starts inside a shared storage
sd["model.embed.weight"] = torch.randn(5, 2).to(torch.bfloat16)
sd["model.head.weight"] = torch.randn(2, 2).to(torch.float16)
sd["model.ids"] = torch.tensor([[7, -3]], dtype=torch.int64)
expected = {k: v.float().flatten().tolist() if v.is_floating_point() else v.flatten().tolist() for k, v in sd.items()}
json.dump(expected, open(os.path.join(out, "expected.json"), "w"))
for fmt, new in (("zip", True), ("legacy", False)):
    os.makedirs(os.path.join(out, fmt))
    torch.save(sd, os.path.join(out, fmt, "pytorch_model.bin"), _use_new_zipfile_serialization=new)
# A sharded folder: the index and two shards, and a module's own state dict (with _metadata).
sharded = os.path.join(out, "sharded")
os.makedirs(sharded)
names = list(sd)
shards = {"pytorch_model-00001-of-00002.bin": names[:2], "pytorch_model-00002-of-00002.bin": names[2:]}
for f, keys in shards.items():
    torch.save(collections.OrderedDict((k, sd[k]) for k in keys), os.path.join(sharded, f))
json.dump({"weight_map": {k: f for f, keys in shards.items() for k in keys}}, open(os.path.join(sharded, "pytorch_model.bin.index.json"), "w"))
torch.save(torch.nn.Linear(3, 2).state_dict(), os.path.join(out, "linear.bin"))
# Malicious: unpickling would run os.system and create the marker file.
class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + os.path.join(out, "PWNED"),))
torch.save({"w": torch.zeros(2), "x": Evil()}, os.path.join(out, "evil-zip.bin"))
torch.save({"w": torch.zeros(2), "x": Evil()}, os.path.join(out, "evil-legacy.bin"), _use_new_zipfile_serialization=False)
`;
import { tempDir } from "../support/temp-dir.js";

const skip = skipUnless(TORCH);
let dir = "";
let expected: Record<string, number[]> = {};


function valuesOf(path: string): Record<string, number[]> {
  const r = openModel(path);
  try {
    const out: Record<string, number[]> = {};
    for (const [name, t] of r.header.tensors) {
      if (isFloatDType(t.dtype)) out[name] = Array.from(r.readF32Sync(name));
      else out[name] = Array.from(new BigInt64Array(r.readRawSync(name).slice().buffer), Number);
    }
    return out;
  } finally {
    r.close();
  }
}

describe("PyTorch .bin checkpoints", { skip }, () => {
  before(() => {
    dir = tempDir("mergelang-torch-");
    const r = spawnSync("/usr/bin/python3", ["-c", SET_UP, dir], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Record<string, number[]>;
  });

  for (const format of ["zip", "legacy", "sharded"]) {
    test(`a ${format} folder reads every tensor with torch's values, dtypes and shapes`, () => {
      const h = readModelHeader(join(dir, format));
      assert.deepEqual([...h.tensors.keys()].sort(), Object.keys(expected).sort());
      assert.equal(h.tensors.get("model.embed.weight")!.dtype, "BF16");
      assert.equal(h.tensors.get("model.head.weight")!.dtype, "F16");
      assert.deepEqual(h.tensors.get("model.layers.0.mlp.weight")!.shape, [4, 3]);
      assert.equal(h.layerCount, 1);
      const got = valuesOf(join(dir, format));
      for (const [name, want] of Object.entries(expected)) {
        assert.equal(got[name]!.length, want.length, name);
        got[name]!.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-6 * Math.max(1, Math.abs(want[i]!)), `${name}[${i}]: ${v} vs ${want[i]}`));
      }
    });
  }

  test("a module's state dict (OrderedDict with _metadata) reads as its tensors", () => {
    const h = readModelHeader(join(dir, "linear.bin"));
    assert.deepEqual([...h.tensors.keys()], ["weight", "bias"]);
    assert.deepEqual(h.tensors.get("weight")!.shape, [2, 3]);
  });

  for (const format of ["zip", "legacy"]) {
    test(`a ${format} pickle calling os.system is refused by name and nothing runs`, () => {
      const file = join(dir, `evil-${format}.bin`);
      const e = formatError(() => readModelHeader(file));
      assert.equal(e.code, "pickle-refused");
      assert.match(e.message, /posix\.system|os\.system/);
      assert.match(e.message, new RegExp(`evil-${format}\\.bin`));
      assert.ok(!existsSync(join(dir, "PWNED")), "the command did not run");
    });
  }

  test("a .bin folder merges like safetensors (streamed through the engine)", () => {
    const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
    writeFileSync(join(dir, "r.merge"), 'a = model("zip")\nb = model("sharded")\nsave(linear(a, b, weights: [0.25, 0.75]), "out", dtype: "f32")\n');
    const r = spawnSync(process.execPath, [cli, "run", "r.merge", "--threads", "2"], { encoding: "utf8", cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const merged = valuesOf(join(dir, "out"));
    const want = expected["model.layers.0.mlp.weight"]!;
    merged["model.layers.0.mlp.weight"]!.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6));
    assert.deepEqual(merged["model.ids"], [7, -3]);
  });
});
