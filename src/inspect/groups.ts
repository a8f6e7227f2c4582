/**
 * Which report row a tensor belongs to: its `layers.N.` index (the same index `where layers a..b`
 * selects), else embeddings, the output head, or other (final norms and the like).
 */
import { layerIndex } from "../graph/params.js";

export type GroupKind = "embeddings" | "layer" | "head" | "other";
export type GroupBy = "layer" | "tensor";

export interface GroupId {
  /** Stable key: "embeddings", "layers.3", "head", "other", or the tensor name (by tensor). */
  key: string;
  /** What a reader sees in a table row: "embeddings", "layer 3", ..., or the tensor name. */
  label: string;
  kind: GroupKind;
  layer: number | null;
}

// Embedding tables of common families (Llama, GPT-2, BERT, T5, GPT-NeoX), wherever they sit.
const EMBEDDINGS =
  /(?:^|\.)(?:embed_tokens|embed_positions|embed_in|wte|wpe|word_embeddings|position_embeddings|token_type_embeddings|tok_embeddings|embeddings)(?:\.|$)|^(?:shared|encoder\.embed_tokens|decoder\.embed_tokens)\./;
// Output heads sit at the top of the name (at most one prefix such as `model.`), so that a
// `...layer.0.output.dense` inside a block is not taken for a head.
const HEAD = /^(?:[A-Za-z0-9_]+\.)?(?:lm_head|embed_out|output|classifier|score|qa_outputs|cls|head)(?:\.|$)/;

export function classifyTensor(name: string): { kind: GroupKind; layer: number | null } {
  const layer = layerIndex(name);
  if (layer !== null) return { kind: "layer", layer };
  if (EMBEDDINGS.test(name)) return { kind: "embeddings", layer: null };
  if (HEAD.test(name)) return { kind: "head", layer: null };
  return { kind: "other", layer: null };
}

export function groupOf(name: string, by: GroupBy): GroupId {
  const { kind, layer } = classifyTensor(name);
  if (by === "tensor") return { key: name, label: name, kind, layer };
  if (kind === "layer") return { key: `layers.${layer}`, label: `layer ${layer}`, kind, layer };
  return { key: kind, label: kind, kind, layer: null };
}

const KIND_RANK: Record<GroupKind, number> = { embeddings: 0, layer: 1, head: 2, other: 3 };

/**
 * Report order: embeddings, layers 0..N, head, other. Ties (tensors of one layer) keep the order
 * given by `position` (the model's file order), so the sort is deterministic.
 */
export function compareGroups(a: GroupId, b: GroupId, position?: (g: GroupId) => number): number {
  const byKind = KIND_RANK[a.kind] - KIND_RANK[b.kind];
  if (byKind !== 0) return byKind;
  const byLayer = (a.layer ?? 0) - (b.layer ?? 0);
  if (byLayer !== 0) return byLayer;
  if (position) return position(a) - position(b);
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
