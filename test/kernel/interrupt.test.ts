/** Interrupting a running merge, by SIGINT (Jupyter's default) and by interrupt_request. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe } from "node:test";
import { writeBigFamily } from "./big-models.js";
import { answered, drive, tempDir, type DriverRun, type StepRecord } from "./support.js";
import { JUPYTER, requiring } from "../support/requirements.js";

const { before, test } = requiring(JUPYTER);

const DECLARE = 'base = model("base")\na = model("task_a")\nb = model("task_b")';

describe("interrupting a running save", () => {
  let run: DriverRun;
  let dir: string;
  before(async () => {
    dir = tempDir("kernel-big");
    await writeBigFamily(dir, { layers: 16 });
    run = await drive(
      [
        { op: "execute", code: DECLARE },
        { op: "interrupt", code: 'save(ties(a, b, base: base), "out/by-signal")', mode: "signal" },
        { op: "execute", code: "1 + 1" },
        { op: "interrupt", code: 'save(pcb(a, b, base: base), "out/by-message")', mode: "message" },
        { op: "execute", code: "2 + 2" },
      ],
      { cwd: dir },
    );
  });

  const check = (record: StepRecord, folder: string): void => {
    assert.equal(record.interrupt_sent, true);
    assert.equal(record.reply.content["status"], "error");
    assert.equal(record.reply.content["ename"], "KeyboardInterrupt");
    const errors = record.iopub.filter((m) => m.msg_type === "error");
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]!.content["evalue"]), /no output folder was written/);
    assert.ok(!existsSync(join(dir, "out", folder)), "nothing is left behind");
  };

  test("SIGINT stops the merge cleanly and the kernel carries on", () => {
    check(answered(run.records[1], "interrupt by signal"), "by-signal");
    const next = answered(run.records[2], "next cell");
    assert.equal(next.reply.content["status"], "ok");
    const result = next.iopub.find((m) => m.msg_type === "execute_result")!;
    assert.deepEqual(result.content["data"], { "text/plain": "2" });
  });

  test("interrupt_request on the control channel does the same", () => {
    check(answered(run.records[3], "interrupt by message"), "by-message");
    assert.equal(answered(run.records[4], "next cell").reply.content["status"], "ok");
  });
});
