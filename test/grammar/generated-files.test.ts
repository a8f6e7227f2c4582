import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DIAGRAMS_DIR,
  generateGrammarFiles,
  staleGrammarFiles,
  TEXTMATE_FILE,
  writeGrammarFiles,
} from "../../scripts/grammar/outputs.js";
import { repoRoot } from "../support/paths.js";
import { tempDir } from "../support/temp-dir.js";

const root = repoRoot();

test("the committed grammar files are what the generator makes from the current lexer and parser", () => {
  // Fails when tokens, parser rules or the catalog change without `npm run grammar`.
  assert.deepEqual(staleGrammarFiles(root), []);
});

test("generation is deterministic and text files end with exactly one newline", () => {
  const first = generateGrammarFiles(root);
  const second = generateGrammarFiles(root);
  assert.deepEqual(
    first.map((f) => f.path),
    second.map((f) => f.path),
  );
  first.forEach((file, i) => assert.ok(file.content.equals(second[i]!.content), `${file.path} differs between two runs`));
  for (const file of first.filter((f) => /\.(json|html)$/.test(f.path))) {
    const text = file.content.toString("utf8");
    assert.ok(text.endsWith("\n") && !text.endsWith("\n\n"), `${file.path} must end with one newline`);
    assert.ok(!text.includes("\r"), `${file.path} must use \\n line endings`);
  }
});

test("writing creates every file; the check then names edited, missing and left-over files, and writing fixes them", () => {
  const tmp = tempDir("mergelang-grammar-");
  try {
    const files = generateGrammarFiles(root);
    assert.equal(staleGrammarFiles(tmp, files).length, files.length);
    assert.deepEqual(
      writeGrammarFiles(tmp, files).map((c) => c.change),
      files.map(() => "missing"),
    );
    assert.deepEqual(staleGrammarFiles(tmp, files), []);

    writeFileSync(join(tmp, TEXTMATE_FILE), readFileSync(join(tmp, TEXTMATE_FILE), "utf8").replace("ties", "tie"));
    rmSync(join(tmp, DIAGRAMS_DIR, "src", "main.js"));
    mkdirSync(join(tmp, DIAGRAMS_DIR, "old"), { recursive: true });
    writeFileSync(join(tmp, DIAGRAMS_DIR, "old", "stale.js"), "");
    assert.deepEqual(staleGrammarFiles(tmp, files), [
      { path: TEXTMATE_FILE, change: "differs" },
      { path: `${DIAGRAMS_DIR}/src/main.js`, change: "missing" },
      { path: `${DIAGRAMS_DIR}/old/stale.js`, change: "unexpected" },
    ]);

    assert.equal(writeGrammarFiles(tmp, files).length, 3);
    assert.deepEqual(staleGrammarFiles(tmp, files), []);
    assert.deepEqual(writeGrammarFiles(tmp, files), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
