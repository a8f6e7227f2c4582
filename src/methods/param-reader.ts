/** Typed access to one tensor's resolved parameters, with errors that name the parameter. */
import type { ResolvedParams, ResolvedValue } from "../graph/params.js";

export class ParamError extends Error {
  override readonly name = "ParamError";
}

function describe(v: ResolvedValue): string {
  return Array.isArray(v) ? `[${v.join(", ")}]` : JSON.stringify(v);
}

export class ParamReader {
  constructor(
    private readonly params: ResolvedParams,
    private readonly method: string,
  ) {}

  has(name: string): boolean {
    return this.params[name] !== undefined;
  }

  number(name: string, fallback: number): number {
    const v = this.params[name];
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new ParamError(`${this.method}: ${name} must be a finite number, got ${describe(v)}`);
    }
    return v;
  }

  /** A number per model: a list with one entry per model, or one number for every model. */
  perModel(name: string, count: number, fallback: number): number[] {
    const v = this.params[name];
    if (v === undefined) return new Array<number>(count).fill(fallback);
    if (Array.isArray(v)) {
      if (v.length !== count) {
        throw new ParamError(`${this.method}: ${name} has ${v.length} values for ${count} models`);
      }
      for (const x of v) {
        if (!Number.isFinite(x)) throw new ParamError(`${this.method}: ${name} must hold finite numbers, got ${describe(v)}`);
      }
      return [...v];
    }
    return new Array<number>(count).fill(this.number(name, fallback));
  }

  string<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.params[name];
    if (v === undefined) return fallback;
    if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
      throw new ParamError(`${this.method}: ${name} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${describe(v)}`);
    }
    return v as T;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.params[name];
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") throw new ParamError(`${this.method}: ${name} must be true or false, got ${describe(v)}`);
    return v;
  }

  /** Checks lo ≤ x ≤ hi for a number or every entry of a per-model list. */
  inRange(name: string, values: number | readonly number[], lo: number, hi: number): void {
    for (const x of typeof values === "number" ? [values] : values) {
      if (!(x >= lo && x <= hi)) throw new ParamError(`${this.method}: ${name} must be between ${lo} and ${hi}, got ${x}`);
    }
  }
}
