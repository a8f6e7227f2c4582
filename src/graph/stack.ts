/**
 * The tensor list of a stacked model (graph.ts `StackNode`), from its parts' tensor lists: shared by
 * the analyzer (families from headers) and the engines (what each output tensor reads).
 *
 * Output order: the embeddings (tensors outside the layers whose name says embed, wte or wpe) of
 * the first part; every layer of every part in order, renumbered from 0 (`layers.N.` in the name);
 * then the other tensors outside the layers (final norm, head) of the last part. This is mergekit's
 * rule for slices: pre-weights from the first slice, post-weights from the last.
 */
import { layerIndex } from "./params.js";

export interface StackPart<T> {
  /** The part's model tensors in their order. */
  tensors: Iterable<[string, T]>;
  /** The part's model's number of layers. */
  layerCount: number;
  from: number;
  /** Inclusive; null for the last layer. */
  to: number | null;
}

export interface StackedTensor<T> {
  /** The name in the stacked model. */
  name: string;
  /** Index of the part it comes from, and its name there. */
  part: number;
  source: string;
  info: T;
}

export interface StackedLayout<T> {
  tensors: StackedTensor<T>[];
  layerCount: number;
}

export class StackError extends Error {
  override readonly name = "StackError";
  constructor(
    message: string,
    readonly part: number,
  ) {
    super(message);
  }
}

const EMBEDDING = /embed|(?:^|\.)(?:wte|wpe)(?:\.|$)/;

/** Whether a tensor outside the layers belongs before them (embeddings) rather than after. */
export function isEmbeddingTensor(name: string): boolean {
  return EMBEDDING.test(name);
}

const LAYER_PREFIX = /(^|\.)layers\.(\d+)\./;

/** `name` with its layer index replaced by `index`. */
export function renumberLayer(name: string, index: number): string {
  return name.replace(LAYER_PREFIX, (_m, lead: string) => `${lead}layers.${index}.`);
}

/** The last layer a part takes. */
export function partEnd(part: { layerCount: number; to: number | null }): number {
  return part.to ?? part.layerCount - 1;
}

export function stackTensors<T>(parts: readonly StackPart<T>[]): StackedLayout<T> {
  if (parts.length === 0) throw new StackError("a stacked model needs at least one part", 0);
  const lists = parts.map((p) => [...p.tensors]);
  const pre: StackedTensor<T>[] = [];
  const layers: StackedTensor<T>[] = [];
  const post: StackedTensor<T>[] = [];
  let next = 0;
  parts.forEach((part, pi) => {
    const end = partEnd(part);
    if (!Number.isInteger(part.from) || part.from < 0 || end < part.from || end >= part.layerCount) {
      const has = part.layerCount === 0 ? "no layers" : `${part.layerCount} layers (0..${part.layerCount - 1})`;
      throw new StackError(`layers ${part.from}..${end} are not layers of this model: it has ${has}`, pi);
    }
    const byLayer = new Map<number, [string, T][]>();
    for (const entry of lists[pi]!) {
      const l = layerIndex(entry[0]);
      if (l === null || l < part.from || l > end) continue;
      const group = byLayer.get(l) ?? [];
      group.push(entry);
      byLayer.set(l, group);
    }
    for (let l = part.from; l <= end; l++, next++) {
      const group = byLayer.get(l);
      if (!group) throw new StackError(`layer ${l} has no tensors in this model`, pi);
      for (const [name, info] of group) layers.push({ name: renumberLayer(name, next), part: pi, source: name, info });
    }
  });
  for (const [name, info] of lists[0]!) {
    if (layerIndex(name) === null && isEmbeddingTensor(name)) pre.push({ name, part: 0, source: name, info });
  }
  const last = parts.length - 1;
  for (const [name, info] of lists[last]!) {
    if (layerIndex(name) === null && !isEmbeddingTensor(name)) post.push({ name, part: last, source: name, info });
  }
  return { tensors: [...pre, ...layers, ...post], layerCount: next };
}
