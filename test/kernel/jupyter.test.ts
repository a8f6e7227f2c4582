/**
 * The kernel through the real jupyter_client (Debian's python3-jupyter-client): one kernel runs a
 * notebook-like sequence of requests; the tests check each answer.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe } from "node:test";
import { answered, drive, modelsDir, outputs, type DriverRun, type JupyterMessage, type Step, type StepRecord } from "./support.js";
import { JUPYTER, requiring } from "../support/requirements.js";

const { before, test } = requiring(JUPYTER);

const DECLARE = 'base = model("models/tiny_f32/base")\na = model("models/tiny_f32/task_a")\nb = model("models/tiny_f32/task_b")';
const EMOJI_CODE = "# 🙂 models\nties(a, b, den";

const steps: Step[] = [
  { op: "kernel_info" }, // 0
  { op: "execute", code: DECLARE }, // 1 → In[1]
  { op: "execute", code: 'print("hello, world")\n1 + 2' }, // 2 → In[2]
  { op: "execute", code: "m = ties(a, b, base: base, density: 0.2)\nm" }, // 3 → In[3]
  { op: "execute", code: "interference(a, b, base: base)" }, // 4 → In[4]
  { op: "execute", code: 'save(m, "out/merged", dtype: "f32")' }, // 5 → In[5]
  { op: "execute", code: "x = 1\ny = tiess(a, b)" }, // 6 → In[6]
  { op: "execute", code: "x" }, // 7 → In[7]
  { op: "execute", code: "m - base" }, // 8 → In[8]
  { op: "complete", code: "ties(a, b, den", cursor_pos: 14 }, // 9
  { op: "complete", code: "ba", cursor_pos: 2 }, // 10
  { op: "complete", code: EMOJI_CODE, cursor_pos: [...EMOJI_CODE].length }, // 11
  { op: "inspect", code: "ties", cursor_pos: 2 }, // 12
  { op: "inspect", code: "a", cursor_pos: 1 }, // 13
  { op: "is_complete", code: "m = ties(a," }, // 14
  { op: "is_complete", code: "x = 1" }, // 15
  { op: "is_complete", code: "x = )" }, // 16
  { op: "history", args: { hist_access_type: "tail", n: 2, output: true, raw: true } }, // 17
  { op: "comm_info" }, // 18
  { op: "execute", code: "z = ties(a, b, base: base, density: 0)" }, // 19 → In[9]
  { op: "execute", code: "%nope" }, // 20 → In[10]
  { op: "execute", code: "%cache 1MB\n%cache" }, // 21 → In[11]
  { op: "execute", code: 'print("quiet")', silent: true }, // 22 (not counted)
  { op: "execute", code: "5" }, // 23 → In[12]
];

function ofType(record: StepRecord, type: string): JupyterMessage[] {
  return record.iopub.filter((m) => m.msg_type === type);
}

describe("the kernel under jupyter_client", () => {
  let run: DriverRun;
  let dir: string;
  let r: (i: number) => StepRecord;

  before(async () => {
    dir = modelsDir();
    run = await drive(steps, { cwd: dir });
    r = (i) => answered(run.records[i], `step ${i} (${steps[i]!.op})`);
    console.log(`kernel ready (start to kernel_info reply) in ${run.readySeconds.toFixed(2)} s`);
  });

  test("kernel_info says ok, mergelang, .merge", () => {
    const c = r(0).reply.content as { status: string; language_info: { name: string; file_extension: string }; protocol_version: string };
    assert.equal(r(0).reply.msg_type, "kernel_info_reply");
    assert.equal(c.status, "ok");
    assert.equal(c.language_info.name, "mergelang");
    assert.equal(c.language_info.file_extension, ".merge");
    assert.match(c.protocol_version, /^5\./);
  });

  test("every request is framed by busy and idle on iopub", () => {
    for (const record of run.records) {
      assert.equal(record.iopub[0]?.msg_type, "status");
      assert.equal(record.iopub[0]?.content["execution_state"], "busy");
      assert.equal(record.iopub[record.iopub.length - 1]?.content["execution_state"], "idle");
    }
  });

  test("execute publishes execute_input, stdout and an execute_result with the count", () => {
    const rec = r(2);
    assert.equal(rec.reply.content["status"], "ok");
    assert.equal(rec.reply.content["execution_count"], 2);
    const input = ofType(rec, "execute_input")[0]!;
    assert.equal(input.content["code"], 'print("hello, world")\n1 + 2');
    assert.equal(input.content["execution_count"], 2);
    assert.deepEqual(ofType(rec, "stream").map((m) => [m.content["name"], m.content["text"]]), [["stdout", "hello, world\n"]]);
    const result = ofType(rec, "execute_result")[0]!;
    assert.equal(result.content["execution_count"], 2);
    assert.deepEqual(result.content["data"], { "text/plain": "3" });
  });

  test("a model shows as a summary table in text and HTML, using bindings from earlier cells", () => {
    const data = ofType(r(3), "execute_result")[0]!.content["data"] as Record<string, string>;
    assert.match(data["text/plain"]!, /merged model \(ties\)/);
    assert.match(data["text/plain"]!, /models\s+a, b/);
    assert.match(data["text/html"]!, /<table/);
  });

  test("an interference report shows HTML, SVG and text", () => {
    const data = ofType(r(4), "execute_result")[0]!.content["data"] as Record<string, string>;
    assert.match(data["text/plain"]!, /sign conflict/);
    assert.match(data["image/svg+xml"]!, /^<svg/);
    assert.ok(data["text/html"]!.length > 200);
  });

  test("save shows progress in one display updated in place, ending with the output path", () => {
    const rec = r(5);
    assert.equal(rec.reply.content["status"], "ok");
    const first = ofType(rec, "display_data");
    const updates = ofType(rec, "update_display_data");
    assert.equal(first.length, 1);
    assert.ok(updates.length >= 1);
    const id = (first[0]!.content["transient"] as { display_id: string }).display_id;
    assert.ok(id);
    for (const u of updates) assert.equal((u.content["transient"] as { display_id: string }).display_id, id);
    const last = (updates[updates.length - 1]!.content["data"] as Record<string, string>)["text/plain"]!;
    assert.match(last, /saved\s+out\/merged/);
    assert.ok(existsSync(join(dir, "out", "merged", "model.safetensors")));
  });

  test("an error is one iopub error with the code, message and a traceback at the cell's line and column", () => {
    const rec = r(6);
    assert.equal(rec.reply.content["status"], "error");
    assert.equal(rec.reply.content["ename"], "unknown-function");
    const errors = outputs(rec);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.msg_type, "error");
    assert.equal(errors[0]!.content["ename"], "unknown-function");
    assert.match(String(errors[0]!.content["evalue"]), /did you mean 'ties'/);
    const tb = (errors[0]!.content["traceback"] as string[]).join("\n");
    assert.match(tb, /Cell In\[6\], line 2, column 5/);
    assert.match(tb, /y = tiess\(a, b\)/);
    assert.match(tb, /\^\^\^\^\^/);
  });

  test("a failed cell binds nothing; the session survives and keeps earlier state", () => {
    assert.equal(r(7).reply.content["ename"], "unknown-name");
    const rec = r(8);
    assert.equal(rec.reply.content["status"], "ok");
    const text = (ofType(rec, "execute_result")[0]!.content["data"] as Record<string, string>)["text/plain"]!;
    assert.match(text, /task vector/);
    assert.match(text, /non-zero/);
  });

  test("completion offers a call's parameters, replacing the typed prefix", () => {
    const c = r(9).reply.content;
    assert.deepEqual(c["matches"], ["density: "]);
    assert.equal(c["cursor_start"], 11);
    assert.equal(c["cursor_end"], 14);
  });

  test("completion offers bound names", () => {
    const c = r(10).reply.content;
    assert.ok((c["matches"] as string[]).includes("base"));
    assert.equal(c["cursor_start"], 0);
  });

  test("completion counts the cursor in code points", () => {
    const c = r(11).reply.content;
    assert.deepEqual(c["matches"], ["density: "]);
    assert.equal(c["cursor_end"], [...EMOJI_CODE].length);
    assert.equal(c["cursor_start"], [...EMOJI_CODE].length - 3);
  });

  test("inspection documents functions from the catalog and bound names from the session", () => {
    const f = r(12).reply.content as { found: boolean; data: Record<string, string> };
    assert.equal(f.found, true);
    assert.match(f.data["text/plain"]!, /TIES-Merging/);
    assert.match(f.data["text/markdown"]!, /density/);
    const n = r(13).reply.content as { found: boolean; data: Record<string, string> };
    assert.equal(n.found, true);
    assert.match(n.data["text/plain"]!, /a is a model, bound in Cell In\[1\], line 2/);
  });

  test("is_complete: open call incomplete, statement complete, stray bracket invalid", () => {
    assert.equal(r(14).reply.content["status"], "incomplete");
    assert.equal(typeof r(14).reply.content["indent"], "string");
    assert.equal(r(15).reply.content["status"], "complete");
    assert.equal(r(16).reply.content["status"], "invalid");
  });

  test("history returns the last cells with their outputs", () => {
    const h = r(17).reply.content["history"] as [number, number, [string, string | null]][];
    assert.equal(r(17).reply.msg_type, "history_reply");
    assert.deepEqual(
      h.map((e) => [e[1], e[2][0]]),
      [
        [7, "x"],
        [8, "m - base"],
      ],
    );
  });

  test("comm_info is answered as comm_info_reply", () => {
    assert.equal(r(18).reply.msg_type, "comm_info_reply");
    assert.deepEqual(r(18).reply.content["comms"], {});
  });

  test("warnings go to stderr and the cell succeeds", () => {
    const rec = r(19);
    assert.equal(rec.reply.content["status"], "ok");
    const err = ofType(rec, "stream").filter((m) => m.content["name"] === "stderr");
    assert.match(String(err[0]?.content["text"]), /trims-everything/);
  });

  test("magics: an unknown one is an error, %cache sets and reports the cap", () => {
    assert.equal(r(20).reply.content["ename"], "MagicError");
    const text = ofType(r(21), "stream").map((m) => m.content["text"]).join("");
    assert.match(text, /tensor cache cap: 1.00 MB/);
    assert.match(text, /of 1.00 MB/);
  });

  test("a silent execute publishes nothing and is not counted", () => {
    const rec = r(22);
    assert.equal(rec.reply.content["status"], "ok");
    assert.deepEqual(outputs(rec), []);
    assert.equal(ofType(rec, "execute_input").length, 0);
    assert.equal(r(23).reply.content["execution_count"], 12);
  });

  test("the kernel exits on shutdown", () => {
    assert.equal(run.aliveAfterShutdown, false);
  });
});

describe("queued cells", () => {
  let run: DriverRun;
  before(async () => {
    run = await drive(
      [
        { op: "execute_queue", codes: ['print("first")', 'print("second")', "3"] },
        { op: "execute_queue", codes: ["q = 1", "q2 = nope", 'print("never")'] },
        { op: "execute_queue", codes: ["w = nope", 'print("runs anyway")'], stop_on_error: false },
      ],
      { cwd: modelsDir() },
    );
  });

  test("cells sent together run one at a time, in order", () => {
    const results = answered(run.records[0], "queue").results!;
    assert.deepEqual(
      results.map((x) => x.reply.content["execution_count"]),
      [1, 2, 3],
    );
    assert.equal(ofType(results[0]!, "stream")[0]?.content["text"], "first\n");
    assert.equal(ofType(results[1]!, "stream")[0]?.content["text"], "second\n");
  });

  test("after an error with stop_on_error the queued cells are aborted", () => {
    const results = answered(run.records[1], "queue").results!;
    assert.equal(results[1]!.reply.content["status"], "error");
    assert.equal(results[2]!.reply.content["status"], "aborted");
    assert.equal(ofType(results[2]!, "stream").length, 0);
  });

  test("without stop_on_error the next cell runs", () => {
    const results = answered(run.records[2], "queue").results!;
    assert.equal(results[0]!.reply.content["status"], "error");
    assert.equal(results[1]!.reply.content["status"], "ok");
    assert.equal(ofType(results[1]!, "stream")[0]?.content["text"], "runs anyway\n");
  });
});
