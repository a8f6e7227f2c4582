/**
 * The models a graph loads: their headers, one reader per model path, and the tensor list they
 * share. Every model of one computation must have the same tensor names and shapes.
 */
import type { LoadNode } from "../graph/graph.js";
import { type DType, HeaderCache, type ModelHeader, ModelReader, isFloatDType } from "../io/index.js";
import { AlignedReader } from "../vocab/aligned-reader.js";
import type { VocabAlignment } from "./vocab-alignment.js";
import { EngineError, atOrigin } from "./errors.js";

export interface FamilyTensor {
  name: string;
  shape: number[];
  numel: number;
  /** The reference model's stored dtype. */
  dtype: DType;
  float: boolean;
}

export class ModelSet {
  private readonly readers = new Map<string, ModelReader>();
  /** While a save merges over an aligned vocabulary: its headers and readers (embedding rows re-indexed). */
  private alignment: { vocab: VocabAlignment; readers: Map<string, AlignedReader> } | null = null;

  constructor(readonly headers: HeaderCache = new HeaderCache()) {}

  /** The model's header as the merge sees it (vocabulary tensors at the aligned size while aligned). */
  header(load: LoadNode): ModelHeader {
    const aligned = this.alignment?.vocab.headers.get(load.path);
    return aligned ?? this.storedHeader(load);
  }

  /** The header as stored. */
  storedHeader(load: LoadNode): ModelHeader {
    try {
      return this.headers.get(load.path);
    } catch (e) {
      throw new EngineError(atOrigin(load.origin, (e as Error).message), load.origin);
    }
  }

  reader(load: LoadNode): ModelReader {
    const a = this.alignment;
    if (a?.vocab.headers.has(load.path)) {
      let r = a.readers.get(load.path);
      if (!r) {
        r = new AlignedReader(a.vocab.headers.get(load.path)!, load.path, a.vocab.names, a.vocab.plan, (key) => this.storedReader(key));
        a.readers.set(load.path, r);
      }
      return r;
    }
    if (!this.readers.has(load.path)) this.storedHeader(load); // an unreadable model is reported at its recipe line
    return this.storedReader(load.path);
  }

  /** Reads of one save see `vocab`'s aligned rows; null ends that. */
  align(vocab: VocabAlignment | null): void {
    for (const r of this.alignment?.readers.values() ?? []) r.close();
    this.alignment = vocab ? { vocab, readers: new Map() } : null;
  }

  private storedReader(path: string): ModelReader {
    let r = this.readers.get(path);
    if (!r) {
      r = new ModelReader(this.headers.get(path));
      this.readers.set(path, r);
    }
    return r;
  }

  close(): void {
    this.align(null);
    for (const r of this.readers.values()) r.close();
    this.readers.clear();
  }
}

const shapeText = (s: number[]): string => `[${s.join(", ")}]`;

/**
 * The tensors of `reference` (in its file order), after checking that every other load has exactly
 * the same names and shapes, and float tensors where the reference has them.
 */
export function familyTensors(models: ModelSet, reference: LoadNode, loads: readonly LoadNode[]): FamilyTensor[] {
  const ref = models.header(reference);
  const tensors: FamilyTensor[] = [...ref.tensors.values()].map((t) => ({
    name: t.name,
    shape: t.shape,
    numel: t.numel,
    dtype: t.dtype,
    float: isFloatDType(t.dtype),
  }));
  for (const load of loads) {
    if (load.path === reference.path) continue;
    const other = models.header(load);
    for (const t of tensors) {
      const o = other.tensors.get(t.name);
      if (!o) {
        throw new EngineError(
          atOrigin(load.origin, `${load.path} has no tensor "${t.name}", which ${reference.path} has: the models must have the same tensors`),
          load.origin,
          t.name,
        );
      }
      if (o.shape.length !== t.shape.length || o.shape.some((d, i) => d !== t.shape[i])) {
        throw new EngineError(
          atOrigin(
            load.origin,
            `tensor "${t.name}" has shape ${shapeText(o.shape)} in ${load.path} but ${shapeText(t.shape)} in ${reference.path}`,
          ),
          load.origin,
          t.name,
        );
      }
      if (isFloatDType(o.dtype) !== t.float) {
        throw new EngineError(
          atOrigin(load.origin, `tensor "${t.name}" is ${o.dtype} in ${load.path} but ${t.dtype} in ${reference.path}`),
          load.origin,
          t.name,
        );
      }
    }
    if (other.tensors.size !== ref.tensors.size) {
      const extra = [...other.tensors.keys()].find((n) => !ref.tensors.has(n))!;
      throw new EngineError(
        atOrigin(load.origin, `${load.path} has a tensor "${extra}" that ${reference.path} does not have: the models must have the same tensors`),
        load.origin,
        extra,
      );
    }
  }
  return tensors;
}
