// After tsc: assembles the WebAssembly text kernels (src/**/*.wat) with wabt (an npm build of the
// WebAssembly Binary Toolkit) into dist/src/**/*.wasm, beside the modules that load them. A line
// `;; @splice MODULE.js EXPORT` is replaced by the text that the compiled module's EXPORT() returns
// (generated, unrolled kernels). The same sources always give the same bytes.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import wabt from "wabt";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const outDir = resolve(root, process.argv[2] ?? "dist");

function watFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? watFiles(join(dir, e.name)) : e.name.endsWith(".wat") ? [join(dir, e.name)] : [],
  );
}

async function spliced(text, compiledDir) {
  const parts = [];
  for (const line of text.split("\n")) {
    const m = /^\s*;; @splice (\S+) (\w+)\s*$/.exec(line);
    if (!m) parts.push(line);
    else parts.push((await import(pathToFileURL(join(compiledDir, m[1])).href))[m[2]]());
  }
  return parts.join("\n");
}

const toolkit = await wabt();
for (const file of watFiles(join(root, "src"))) {
  const name = relative(root, file);
  let module;
  try {
    const text = await spliced(readFileSync(file, "utf8"), dirname(join(outDir, name)));
    // As UTF-8 bytes: wabt.js measures a string in UTF-16 units, which cuts text with non-ASCII comments.
    // threads: the engine's kernels import one shared memory (src/wasm/heap.ts); relaxed_simd: fma-gemm.wat.
    const features = { simd: true, threads: true, relaxed_simd: true };
    module = toolkit.parseWat(name, new Uint8Array(Buffer.from(text, "utf8")), features);
    module.validate(features);
  } catch (e) {
    console.error(`build-wasm: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  const { buffer } = module.toBinary({ log: false, write_debug_names: true });
  module.destroy();
  const target = join(outDir, name.replace(/\.wat$/, ".wasm"));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, buffer);
}
