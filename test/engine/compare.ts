/** Reading saved float tensors back and comparing them with the reference tolerance (fixtures README). */
import { ModelReader, isFloatDType, readModelHeader } from "../../src/io/index.js";

export function readAll(path: string): Map<string, Float32Array> {
  const reader = new ModelReader(readModelHeader(path));
  try {
    const out = new Map<string, Float32Array>();
    for (const [name, t] of reader.header.tensors) if (isFloatDType(t.dtype)) out.set(name, reader.readF32Sync(name));
    return out;
  } finally {
    reader.close();
  }
}

const f = new Float32Array(1);
const u = new Uint32Array(f.buffer);

/** Round to bf16 (nearest even), as float32. */
export function roundBF16(x: number): number {
  f[0] = x;
  const b = u[0]!;
  u[0] = (((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) << 16) >>> 0;
  return f[0]!;
}

/** One bf16 rounding step (unit in the last place) at the magnitude of x. */
export function bf16Step(x: number): number {
  f[0] = Math.abs(x);
  const exp = u[0]! & 0x7f800000;
  if (exp === 0) return 2 ** -133; // subnormal range: the smallest bf16 step
  u[0] = exp;
  return f[0]! * 2 ** -7;
}

export interface Mismatch {
  total: number;
  bad: number;
  worst: string;
}

/** Elements of `actual` outside the tolerance of `expected`, over all tensors (names must match). */
export function countMismatches(actual: Map<string, Float32Array>, expected: Map<string, Float32Array>, bf16: boolean): Mismatch {
  let total = 0;
  let bad = 0;
  let worst = "";
  let worstErr = 0;
  for (const [name, exp] of expected) {
    const act = actual.get(name);
    if (!act) throw new Error(`tensor "${name}" is missing from the output`);
    if (act.length !== exp.length) throw new Error(`tensor "${name}" has ${act.length} elements, expected ${exp.length}`);
    for (let i = 0; i < exp.length; i++) {
      total++;
      const e = bf16 ? roundBF16(exp[i]!) : exp[i]!;
      const a = act[i]!;
      const err = Math.abs(a - e);
      const tol = bf16 ? bf16Step(Math.max(Math.abs(a), Math.abs(e))) : 1e-6 + 1e-5 * Math.abs(e);
      if (!(err <= tol)) {
        bad++;
        if (!(err / tol <= worstErr)) {
          worstErr = err / tol;
          worst = `${name}[${i}]: got ${a}, expected ${e}`;
        }
      }
    }
  }
  if (actual.size !== expected.size) throw new Error(`output has ${actual.size} tensors, expected ${expected.size}`);
  return { total, bad, worst };
}
