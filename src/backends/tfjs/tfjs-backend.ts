/** TensorFlow.js as a backend of the executor: a tfjs backend name, a memory budget, notes. */
import { cpuBackend } from "../cpu.js";
import type { GraphNode } from "../../graph/graph.js";
import type { RunContext } from "../../engine/tensor-run.js";
import type { Backend, DeviceName, SaveBackend } from "../backend.js";
import { type SearchMethod, defaultSearchMethod } from "./histogram.js";
import { DEFAULT_DEVICE_MEMORY_BYTES } from "./memory.js";
import { activateTfjsBackend } from "./runtime.js";
import { TfjsSave } from "./save.js";

export interface TfjsBackendConfig {
  device: Exclude<DeviceName, "cpu">;
  /** The tfjs backend: "cpu", "wasm" or "tensorflow" (tfjs-node-gpu). */
  tfBackend: string;
  description: string;
  /** Tensor bytes one step may hold on the device; default 1 GiB. */
  deviceMemoryBytes?: number;
  /** How bucket boundaries are searched; default: SearchSorted where the backend has it. */
  search?: SearchMethod;
  /** Chunks shorter than this count their statistics on the host; default 65536. */
  deviceHistogramMinElements?: number;
  onNote?: (message: string) => void;
}

export class TfjsBackend implements Backend {
  readonly usesWorkers = false;
  private readonly noted = new Set<string>();

  constructor(readonly config: TfjsBackendConfig) {}

  get device(): DeviceName {
    return this.config.device;
  }

  get description(): string {
    return this.config.description;
  }

  async beginSave(ctx: RunContext, nodes: readonly GraphNode[]): Promise<SaveBackend> {
    // Layer stacking (passthrough of slices) only renames and copies tensors: the CPU engine does it.
    if (nodes.some((n) => n.kind === "stack")) {
      this.note("layer stacking (passthrough/slice) runs on the CPU engine");
      return cpuBackend.beginSave(ctx, nodes);
    }
    await activateTfjsBackend(this.config.tfBackend);
    return new TfjsSave(ctx, nodes, {
      deviceMemoryBytes: this.config.deviceMemoryBytes ?? DEFAULT_DEVICE_MEMORY_BYTES,
      search: this.config.search ?? defaultSearchMethod(),
      deviceHistogramMinElements: this.config.deviceHistogramMinElements ?? 65536,
      note: (message) => this.note(message),
    });
  }

  /** Says each note once per backend. */
  private note(message: string): void {
    if (this.noted.has(message)) return;
    this.noted.add(message);
    this.config.onNote?.(message);
  }
}
