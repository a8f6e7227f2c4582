// After tsc: copies Chevrotain's single-file build next to src/language/chevrotain.js (see that module).
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const outDir = resolve(root, process.argv[2] ?? "dist");
const entry = createRequire(join(root, "package.json")).resolve("chevrotain");
const bundle = join(dirname(entry), "..", "chevrotain.mjs");
if (!existsSync(bundle)) {
  console.error(`copy-chevrotain: ${bundle} is missing: this Chevrotain release does not ship lib/chevrotain.mjs`);
  process.exit(1);
}
const version = JSON.parse(readFileSync(join(dirname(entry), "..", "..", "package.json"), "utf8")).version;
if (!readFileSync(bundle, "utf8").includes(`VERSION = "${version}"`)) {
  console.error(`copy-chevrotain: ${bundle} is not Chevrotain ${version}`);
  process.exit(1);
}
copyFileSync(bundle, join(outDir, "src", "language", "chevrotain-bundle.js"));
