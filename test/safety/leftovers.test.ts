// A run killed while replacing an output leaves hidden folders; the next save to that folder cleans
// them up: temporary folders of dead runs go, and a moved-aside previous output comes back when the
// new one never arrived (or goes once a complete output is in place).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { HEAD, mergelang, workspace } from "./support.js";

/** Does what a save does just before its rename, then dies by SIGKILL: the previous output is moved aside. */
function killMidReplace(parent: string, name: string): void {
  const script = `
    const { mkdirSync, renameSync, writeFileSync } = require("node:fs");
    const tmp = ${JSON.stringify(parent)} + "/.${name}.tmp-" + process.pid + "-0000beef";
    mkdirSync(tmp);
    writeFileSync(tmp + "/model.safetensors", "half of a new output");
    renameSync(${JSON.stringify(join(parent, name))}, ${JSON.stringify(parent)} + "/.${name}.old-" + process.pid + "-0000cafe");
    process.kill(process.pid, "SIGKILL");`;
  const r = spawnSync(process.execPath, ["-e", script]);
  assert.equal(r.signal, "SIGKILL");
}

const hidden = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith("."));

test("the moved-aside output of a dead run is restored when the output is missing, removed when it is there", () => {
  const dir = workspace(`${HEAD}save(m, "out")\n`);
  assert.equal(mergelang(dir, "run", "r.merge").status, 0);
  const previous = readFileSync(join(dir, "out", "model.safetensors"));
  killMidReplace(dir, "out");
  // A run whose save fails at run time (NaN in an input) starts by recovering the old output.
  const nan = Buffer.from(readFileSync(join(dir, "models", "task_a", "model.safetensors")));
  const at = nan.length - 4;
  nan.writeUInt32LE(0x7fc00000, at);
  writeFileSync(join(dir, "models", "task_a", "model.safetensors"), nan);
  const failed = mergelang(dir, "run", "r.merge");
  assert.equal(failed.status, 1, failed.out);
  assert.match(failed.out, /NaN or ±Inf/);
  assert.ok(readFileSync(join(dir, "out", "model.safetensors")).equals(previous), "the previous output is back");
  assert.deepEqual(hidden(dir), []);
  // Killed again, then a complete run: the new output replaces it and nothing hidden is left.
  killMidReplace(dir, "out");
  const ok = mergelang(dir, "run", "--allow-nonfinite", "r.merge");
  assert.equal(ok.status, 0, ok.out);
  assert.deepEqual(hidden(dir), []);
  assert.ok(existsSync(join(dir, "out", "model.safetensors")));
});

test("moved-aside and temporary folders of a dead run go once the output is there; a live run's are kept", () => {
  const dir = workspace(`${HEAD}save(m, "out")\n`);
  assert.equal(mergelang(dir, "run", "r.merge").status, 0);
  const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
  for (const n of [`.out.old-${dead}-00000001`, `.out.tmp-${dead}-00000002`, `.out.tmp-${process.pid}-00000003`]) mkdirSync(join(dir, n));
  assert.equal(mergelang(dir, "run", "r.merge").status, 0);
  assert.deepEqual(hidden(dir), [`.out.tmp-${process.pid}-00000003`]);
});
