/** A temporary workspace for protocol tests: the tiny reference models copied under `models/tiny/`. */
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before } from "node:test";
import { fixturesDir } from "../support/paths.js";
import { LspClient } from "./lsp-client.js";
import { safetensorsBytes, type RawTensor } from "../io/build-safetensors.js";
import { tempDir } from "../support/temp-dir.js";

export interface Workspace {
  dir: string;
  /** Writes `text` to `name` (relative to the workspace) and returns its absolute path. */
  write(name: string, text: string): string;
  cleanup(): void;
}

export function makeWorkspace(): Workspace {
  const dir = tempDir("mergelang-lsp-");
  cpSync(fixturesDir("reference", "models", "tiny_f32"), join(dir, "models", "tiny"), { recursive: true });
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A model folder of float32 tensors filled with `fill(tensorIndex, element)`. */
export function writeModel(folder: string, tensors: { name: string; shape: number[] }[], fill: (t: number, i: number) => number = () => 0): void {
  mkdirSync(folder, { recursive: true });
  const raw: RawTensor[] = tensors.map((t, ti) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = fill(ti, i);
    return { name: t.name, dtype: "F32", shape: t.shape, data: new Uint8Array(values.buffer) };
  });
  writeFileSync(join(folder, "model.safetensors"), safetensorsBytes(raw));
  writeFileSync(join(folder, "config.json"), JSON.stringify({ architectures: ["TestForCausalLM"], model_type: "test", num_hidden_layers: 2 }));
}

/**
 * One server over a fresh workspace for the whole test file: started before the first test, stopped
 * and cleaned up after the last. `ready` runs after the start (open documents, wait for checks).
 */
export function withServer(
  bind: (ws: Workspace, client: LspClient) => void,
  ready?: (ws: Workspace, client: LspClient) => Promise<void>,
): void {
  let ws: Workspace | undefined;
  let client: LspClient | undefined;
  before(async () => {
    ws = makeWorkspace();
    client = await LspClient.start({ root: ws.dir });
    bind(ws, client);
    await ready?.(ws, client);
  });
  after(async () => {
    await client?.stop();
    ws?.cleanup();
  });
}
