/** A CellOutput that records everything a cell shows, for tests that drive a Session directly. */
import type { CellOutput, DisplayTarget, MimeBundle } from "../../src/session/index.js";

export interface Recorded {
  stdout: string;
  stderr: string;
  displays: { bundle: MimeBundle; target: DisplayTarget | undefined }[];
  results: MimeBundle[];
}

export function recorder(): { out: CellOutput; got: Recorded } {
  const got: Recorded = { stdout: "", stderr: "", displays: [], results: [] };
  const out: CellOutput = {
    stream: (name, text) => {
      if (name === "stdout") got.stdout += text;
      else got.stderr += text;
    },
    display: (bundle, target) => got.displays.push({ bundle, target }),
    result: (bundle) => got.results.push(bundle),
  };
  return { out, got };
}
