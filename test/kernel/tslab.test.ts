/** The Session API in tslab's own TypeScript notebooks: run recipe cells from TypeScript and show them richly. */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { fileURLToPath } from "node:url";
import { answered, drive, modelsDir, type DriverRun } from "./support.js";
import { JUPYTER, requiring } from "../support/requirements.js";

const { before, test } = requiring(JUPYTER);

const SESSION = fileURLToPath(new URL("../../src/session/index.js", import.meta.url));

describe("a tslab TypeScript notebook using the Session API", () => {
  let run: DriverRun;
  before(async () => {
    const dir = modelsDir();
    run = await drive(
      [
        {
          op: "execute",
          code: [
            `const { Session } = await import(${JSON.stringify(SESSION)});`,
            'const { display } = await import("tslab");',
            `const nb = new Session({ cwd: ${JSON.stringify(dir)} });`,
            "const r = await nb.run('a = model(\"models/tiny_f32/task_a\")\\nbase = model(\"models/tiny_f32/base\")\\nprint(\"from the recipe\")\\ninterference(a, base: base)');",
            "r.display(display);",
          ].join("\n"),
        },
        { op: "execute", code: "(await nb.run('x = 20%\\nx * 2')).text" },
        { op: "execute", code: "(await nb.run('y = nope')).error.ename" },
      ],
      { cwd: dir, kernel: "tslab" },
    );
  });

  test("recipe output reaches the notebook: stdout as a stream, the report as HTML", () => {
    const rec = answered(run.records[0], "first cell");
    assert.equal(rec.reply.content["status"], "ok", JSON.stringify(rec.iopub.filter((m) => m.msg_type === "error")));
    const stream = rec.iopub.find((m) => m.msg_type === "stream");
    assert.equal(stream?.content["text"], "from the recipe\n");
    const html = rec.iopub.find((m) => m.msg_type === "display_data")?.content["data"] as Record<string, string> | undefined;
    assert.match(html?.["text/html"] ?? "", /mergelang-report/);
  });

  test("bindings persist between calls and results read as text", () => {
    const rec = answered(run.records[1], "second cell");
    const out = rec.iopub.filter((m) => m.msg_type === "stream").map((m) => m.content["text"]).join("");
    assert.match(out, /0\.4/);
  });

  test("errors are data, with the diagnostic code", () => {
    const rec = answered(run.records[2], "third cell");
    const out = rec.iopub.filter((m) => m.msg_type === "stream").map((m) => m.content["text"]).join("");
    assert.match(out, /unknown-name/);
  });
});
