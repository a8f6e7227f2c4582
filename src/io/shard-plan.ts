/**
 * The layout of an output model, fixed before any data arrives: which shard each tensor goes to, its
 * byte offsets, and each shard's header. Shards are filled greedily in write order so that a whole
 * shard file (header included) stays within the size limit unless one tensor alone is bigger.
 */
import { type DType, dtypeSize } from "./dtype.js";

export interface PlannedTensor {
  name: string;
  shape: number[];
  dtype: DType;
  numel: number;
  byteLength: number;
  shard: number;
  /** Absolute offset of the data in its shard file. */
  fileOffset: number;
}

export interface PlannedShard {
  fileName: string;
  tensors: PlannedTensor[];
  /** The 8-byte length followed by the space-padded JSON header. */
  header: Buffer;
  dataBytes: number;
  fileBytes: number;
}

export interface ShardPlan {
  shards: PlannedShard[];
  tensors: PlannedTensor[];
  totalDataBytes: number;
}

interface Draft {
  entries: { t: PlannedTensor; begin: number }[];
  dataBytes: number;
  headerChars: number;
}

const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

function entryJson(name: string, dtype: DType, shape: number[], begin: number, end: number): string {
  return `${JSON.stringify(name)}:${JSON.stringify({ dtype, shape, data_offsets: [begin, end] })}`;
}

export function shardFileName(i: number, count: number): string {
  if (count === 1) return "model.safetensors";
  const p = (n: number): string => String(n).padStart(5, "0");
  return `model-${p(i + 1)}-of-${p(count)}.safetensors`;
}

export function planShards(
  tensors: { name: string; shape: number[]; dtype: DType }[],
  metadata: Record<string, string>,
  shardSize: number,
): ShardPlan {
  const metaJson = `{"__metadata__":${JSON.stringify(metadata)}`;
  const metaChars = Buffer.byteLength(metaJson) + 1; // + closing brace
  const drafts: Draft[] = [];
  let cur: Draft = { entries: [], dataBytes: 0, headerChars: metaChars };
  const planned: PlannedTensor[] = [];
  for (const t of tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const byteLength = numel * dtypeSize(t.dtype);
    const entryChars = (c: Draft): number =>
      1 + Buffer.byteLength(entryJson(t.name, t.dtype, t.shape, c.dataBytes, c.dataBytes + byteLength));
    if (cur.entries.length > 0 && 8 + pad8(cur.headerChars + entryChars(cur)) + cur.dataBytes + byteLength > shardSize) {
      drafts.push(cur);
      cur = { entries: [], dataBytes: 0, headerChars: metaChars };
    }
    const p: PlannedTensor = { name: t.name, shape: t.shape.slice(), dtype: t.dtype, numel, byteLength, shard: drafts.length, fileOffset: 0 };
    cur.headerChars += entryChars(cur);
    cur.entries.push({ t: p, begin: cur.dataBytes });
    cur.dataBytes += byteLength;
    planned.push(p);
  }
  drafts.push(cur);
  const shards = drafts.map((d, i): PlannedShard => {
    const json =
      metaJson + d.entries.map((e) => "," + entryJson(e.t.name, e.t.dtype, e.t.shape, e.begin, e.begin + e.t.byteLength)).join("") + "}";
    const jsonBytes = Buffer.byteLength(json);
    const padded = pad8(jsonBytes);
    const header = Buffer.alloc(8 + padded, 0x20);
    header.writeBigUInt64LE(BigInt(padded), 0);
    header.write(json, 8, "utf8");
    for (const e of d.entries) e.t.fileOffset = header.length + e.begin;
    return {
      fileName: shardFileName(i, drafts.length),
      tensors: d.entries.map((e) => e.t),
      header,
      dataBytes: d.dataBytes,
      fileBytes: header.length + d.dataBytes,
    };
  });
  return { shards, tensors: planned, totalDataBytes: shards.reduce((a, s) => a + s.dataBytes, 0) };
}

/** model.safetensors.index.json for a sharded plan (weight_map sorted by name, as transformers writes it). */
export function indexJson(plan: ShardPlan): string {
  const names = plan.tensors.map((t) => t.name).sort();
  const byName = new Map(plan.tensors.map((t) => [t.name, plan.shards[t.shard]!.fileName]));
  const weightMap: Record<string, string> = {};
  for (const n of names) weightMap[n] = byName.get(n)!;
  return JSON.stringify({ metadata: { total_size: plan.totalDataBytes }, weight_map: weightMap }, null, 2) + "\n";
}
