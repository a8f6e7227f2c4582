/**
 * The models a graph loads: their headers, one reader per model path, and the tensor list they
 * share. Every model of one computation must have the same tensor names and shapes.
 */
import type { LoadNode } from "../graph/graph.js";
import { type DType, HeaderCache, type ModelHeader, ModelReader, isFloatDType } from "../io/index.js";
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

  constructor(readonly headers: HeaderCache = new HeaderCache()) {}

  header(load: LoadNode): ModelHeader {
    try {
      return this.headers.get(load.path);
    } catch (e) {
      throw new EngineError(atOrigin(load.origin, (e as Error).message), load.origin);
    }
  }

  reader(load: LoadNode): ModelReader {
    let r = this.readers.get(load.path);
    if (!r) {
      r = new ModelReader(this.header(load));
      this.readers.set(load.path, r);
    }
    return r;
  }

  close(): void {
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
