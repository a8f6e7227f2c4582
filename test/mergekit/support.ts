/** Shared helpers of the mergekit tests: the fixture configs, running graphs, reading outputs. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Graph } from "../../src/graph/graph.js";
import { runGraph } from "../../src/runner/recipe-runner.js";
import { ModelReader, readModelHeader } from "../../src/io/index.js";
import { fixturesDir } from "../support/paths.js";

export const configsDir = (): string => fixturesDir("mergekit");

export function configNames(): string[] {
  return readdirSync(configsDir())
    .filter((f) => f.endsWith(".yml"))
    .map((f) => f.slice(0, -4))
    .sort();
}

export function configText(name: string): { file: string; text: string } {
  const file = join(configsDir(), `${name}.yml`);
  return { file, text: readFileSync(file, "utf8") };
}

export async function run(graph: Graph): Promise<void> {
  await runGraph(graph, { threads: 1 });
}

/** name → raw bytes of every tensor, and the header entries (dtype, shape) in file order. */
export function tensorBytes(folder: string): { order: string[]; bytes: Map<string, Buffer>; meta: Map<string, string> } {
  const header = readModelHeader(folder);
  const reader = new ModelReader(header);
  try {
    const bytes = new Map<string, Buffer>();
    const meta = new Map<string, string>();
    for (const [name, t] of header.tensors) {
      bytes.set(name, Buffer.from(reader.readRawSync(name)));
      meta.set(name, `${t.dtype} [${t.shape.join(", ")}]`);
    }
    return { order: [...header.tensors.keys()], bytes, meta };
  } finally {
    reader.close();
  }
}

export function readF32(folder: string, name: string): Float32Array {
  const reader = new ModelReader(readModelHeader(folder));
  try {
    return reader.readF32Sync(name);
  } finally {
    reader.close();
  }
}
