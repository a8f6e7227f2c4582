/** The ModelFormatError a call throws: fails the test when it throws anything else, or nothing. */
import assert from "node:assert/strict";
import { ModelFormatError } from "../../src/io/errors.js";

export function formatError(fn: () => unknown): ModelFormatError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a ModelFormatError");
}
