/** Running the notebook magics (`%cache`, `%who`, `%reset`, `%magics`); see magics.ts for their syntax. */
import { formatSize, parseSize } from "../io/index.js";
import type { CellError } from "./cell-error.js";
import { magicHelp, type MagicLine } from "./magics.js";
import { htmlTable, textTable } from "./mimebundle.js";
import type { CellOutput } from "./output.js";
import type { TensorCache } from "./tensor-cache.js";

/** What the magics act on: the session. */
export interface MagicHost {
  cache: TensorCache;
  reset(): void;
  bindings(): { name: string; type: string; text: string }[];
}

/** A magic that failed, already in the shape Jupyter shows. */
export class MagicFailure extends Error {
  constructor(readonly cellError: CellError) {
    super(cellError.evalue);
  }
}

/** "2GB", "512MB", "0" (off) or a number of bytes. */
export function parseCacheSize(text: string): number {
  const t = text.trim();
  if (/^0+(\.0*)?\s*[a-zA-Z]*$/.test(t)) return 0;
  return parseSize(/^\d+(\.\d+)?$/.test(t) ? Number(t) : t);
}

export function runMagic(m: MagicLine, out: CellOutput, count: number | null, host: MagicHost): void {
  const fail = (message: string): never => {
    throw new MagicFailure({
      ename: "MagicError",
      evalue: message,
      traceback: [`\x1b[1;31mMagicError\x1b[0m: ${message}`, `  --> ${count === null ? "this cell" : `Cell In[${count}]`}, line ${m.line}`],
    });
  };
  switch (m.name) {
    case "cache": {
      if (m.args === "clear") {
        host.cache.clear();
        out.stream("stdout", "tensor cache emptied\n");
      } else if (m.args !== "") {
        let bytes: number;
        try {
          bytes = parseCacheSize(m.args);
        } catch (e) {
          return fail((e as Error).message);
        }
        host.cache.setCap(bytes);
        out.stream("stdout", `tensor cache cap: ${bytes === 0 ? "off" : formatSize(bytes)}\n`);
      } else {
        const s = host.cache.stats();
        out.stream(
          "stdout",
          `tensor cache: ${s.entries} tensors, ${formatSize(s.bytes)} of ${s.capBytes === 0 ? "0 B (off)" : formatSize(s.capBytes)}; ${s.hits} hits, ${s.misses} misses\n`,
        );
      }
      return;
    }
    case "reset":
      host.reset();
      out.stream("stdout", "bindings and tensor cache cleared\n");
      return;
    case "who": {
      const rows = host.bindings().map((b) => [b.name, b.type, b.text]);
      if (rows.length === 0) out.stream("stdout", "no names are bound yet\n");
      else out.display({ "text/plain": textTable(["name", "type", "value"], rows), "text/html": htmlTable(["name", "type", "value"], rows) });
      return;
    }
    case "magics":
    case "lsmagic":
      out.stream("stdout", Object.values(magicHelp).join("\n") + "\n");
      return;
    default: {
      const names = Object.keys(magicHelp);
      const near = names.find((n) => n.startsWith(m.name.slice(0, 2)));
      fail(`unknown magic %${m.name}${near ? `: did you mean %${near}?` : ""} (magics: ${names.map((n) => "%" + n).join(", ")})`);
    }
  }
}
