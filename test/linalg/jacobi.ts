/**
 * An SVD written independently of src/linalg for the tests: one-sided Jacobi (Hestenes) on the
 * columns, in float64, on plain arrays. Slow, simple, and accurate to rounding.
 */
export interface PlainSvd {
  u: number[][]; // rows × r
  s: number[];
  v: number[][]; // cols × r
}

export function jacobiSvd(a: readonly (readonly number[])[]): PlainSvd {
  const m = a.length;
  const n = a[0]!.length;
  if (m < n) {
    const t = jacobiSvd(a[0]!.map((_, j) => a.map((row) => row[j]!)));
    return { u: t.v, s: t.s, v: t.u };
  }
  const w = a.map((row) => [...row]);
  const v = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          alpha += w[i]![p]! ** 2;
          beta += w[i]![q]! ** 2;
          gamma += w[i]![p]! * w[i]![q]!;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (const x of [w, v]) {
          for (const row of x) {
            const xp = row[p]!;
            const xq = row[q]!;
            row[p] = c * xp - s * xq;
            row[q] = s * xp + c * xq;
          }
        }
      }
    }
    if (!rotated) break;
  }
  const norms = Array.from({ length: n }, (_, j) => Math.sqrt(w.reduce((acc, row) => acc + row[j]! ** 2, 0)));
  const order = norms.map((_, j) => j).sort((x, y) => norms[y]! - norms[x]!);
  return {
    s: order.map((j) => norms[j]!),
    u: w.map((row) => order.map((j) => (norms[j]! > 0 ? row[j]! / norms[j]! : 0))),
    v: v.map((row) => order.map((j) => row[j]!)),
  };
}

export function matmul(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((acc, x, k) => acc + x * b[k]![j]!, 0)));
}

export function transposed(a: readonly (readonly number[])[]): number[][] {
  return a[0]!.map((_, j) => a.map((row) => row[j]!));
}

/** P·Qᵀ of a = P·S·Qᵀ (directions with σ = 0 left out). */
export function polar(a: readonly (readonly number[])[]): number[][] {
  const { u, s, v } = jacobiSvd(a);
  const keep = s.map((x) => x > 1e-10 * s[0]!);
  return matmul(u.map((row) => row.map((x, j) => (keep[j] ? x : 0))), transposed(v));
}

/** The rows×cols matrix of a row-major array. */
export function asRows(values: ArrayLike<number>, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => values[i * cols + j]!));
}
