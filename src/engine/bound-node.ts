/**
 * A merge or delta-operation node bound to its CPU kernel: its inputs, its scope, and its
 * parameters resolved and checked per tensor (with errors that name the recipe line and tensor).
 */
import type { DeltaOpNode, MergeNode, NodeId } from "../graph/graph.js";
import { resolveParams, type ResolvedParams } from "../graph/params.js";
import type { AnyMethodKernel } from "../methods/method.js";
import { getKernel, kernelNames } from "../methods/registry.js";
import { EngineError, atOrigin } from "./errors.js";

export class BoundNode {
  readonly kernel: AnyMethodKernel;
  readonly inputs: NodeId[];
  readonly base: NodeId | null;
  readonly scope: "tensor" | "global";
  private readonly paramCache = new Map<string, unknown>();

  constructor(
    readonly node: MergeNode | DeltaOpNode,
    private readonly layerCount: number,
    backend = "cpu",
  ) {
    const name = node.kind === "merge" ? node.method : node.op;
    const kernel = getKernel(name, backend);
    if (!kernel) {
      throw new EngineError(
        atOrigin(node.origin, `the ${backend} engine has no kernel for "${name}" (it has: ${kernelNames(backend).join(", ")})`),
        node.origin,
      );
    }
    this.kernel = kernel;
    if (node.kind === "merge") {
      this.inputs = [...node.models];
      this.base = kernel.base === "unused" ? null : node.base;
      if (kernel.base === "required" && node.base === null) {
        throw new EngineError(atOrigin(node.origin, `${name} needs a base model (base: ...)`), node.origin);
      }
      this.scope = node.scope;
    } else {
      this.inputs = [...node.inputs];
      this.base = null;
      this.scope = node.params.values["scope"] === "global" ? "global" : "tensor";
    }
  }

  get name(): string {
    return this.kernel.name;
  }

  /** Whether the kernel needs whole-scope statistics before it can produce a tensor. */
  get hasStats(): boolean {
    return this.kernel.stats !== undefined;
  }

  /** The positional inputs the kernel sees (a sign input of disjoint_mean included). */
  get inputCount(): number {
    return this.inputs.length;
  }

  /** The per-model count the kernel's parameters are checked against. */
  private get modelCount(): number {
    return this.node.kind === "merge" ? this.node.models.length : this.inputs.length;
  }

  resolved(tensor: string): ResolvedParams {
    const out = resolveParams(this.node.params, tensor, this.layerCount);
    // disjoint_mean(d..., sign: s): the language passes the sign as one input more than the deltas.
    const n = this.node;
    if (n.kind === "delta_op" && n.op === "disjoint_mean" && n.params.modelCount > 0 && n.inputs.length === n.params.modelCount + 1) {
      out["sign"] = true;
    }
    return out;
  }

  /** The kernel's parameters for one tensor (cached for the tensor being processed). */
  params(tensor: string): unknown {
    if (this.paramCache.has(tensor)) return this.paramCache.get(tensor);
    let parsed: unknown;
    try {
      parsed = this.kernel.parseParams(this.resolved(tensor), this.modelCount);
    } catch (e) {
      throw this.error(`${(e as Error).message} (for tensor "${tensor}")`, tensor);
    }
    if (this.paramCache.size > 4) this.paramCache.clear();
    this.paramCache.set(tensor, parsed);
    return parsed;
  }

  error(message: string, tensor?: string): EngineError {
    return new EngineError(atOrigin(this.node.origin, message), this.node.origin, tensor);
  }
}
