/**
 * Cuppen's divide and conquer for the symmetric tridiagonal eigenproblem, in the form LAPACK's
 * dstedc/dlaed0–dlaed4 gave it: tear the tridiagonal at its middle with a rank-one correction,
 * solve both halves (the existing QL iteration below DC_CUTOFF), then merge: the eigenvalues of
 * diag(Λ₁, Λ₂) + ρ·z·zᵀ are the roots of the secular equation, and the merged eigenvectors are
 * diag(Q₁, Q₂)·U, two matrix products. Why this is faster than QL: QL's eigenvector work is ≈6n³
 * flops of memory-bound row rotations; here the O(n³) part is ≈(4/3)n³ of products, which the
 * caller can send to a fast (float32) kernel.
 *
 * Accuracy: deflation (tiny z components, and pairs of close eigenvalues rotated apart) keeps the
 * secular equation well separated; each root is found in coordinates relative to its nearer pole
 * so the gaps d_j − λ_i keep full precision; ẑ is recomputed from the roots (Gu and Eisenstat's
 * Löwner formula), which makes the computed U orthogonal to working precision. The first and last
 * rows of each merged block, the only entries the next merge reads (its z), are recomputed in
 * float64 whatever the product kernel, so the eigenvalues stay float64-accurate even when the
 * products are float32.
 */
import { diagonalize, jsLoops } from "./symmetric-eigen.js";

/** a (m×k) · b (k×n), row-major. */
export type FlatProduct = (a: Float64Array, m: number, k: number, b: Float64Array, n: number) => Float64Array;

/** Blocks up to this size are solved by the QL iteration (tql2). */
export const DC_CUTOFF = 64;

const EPS = 2 ** -52;

/**
 * Eigenvalues and eigenvectors of the symmetric tridiagonal matrix with diagonal d (n) and
 * off-diagonal e (e[i] couples i and i + 1; n − 1 entries used). Returns the eigenvalues (unsorted)
 * and q (n×n row-major), column j the eigenvector of values[j]. d and e are not modified.
 */
export function tridiagonalEigen(d: Float64Array, e: Float64Array, n: number, product: FlatProduct, cutoff = DC_CUTOFF): { values: Float64Array; q: Float64Array } {
  const q = new Float64Array(n * n);
  const values = new Float64Array(n);
  if (n === 0) return { values, q };
  // Scale to max |entry| = 1, as dstedc does, so that no product of ρ, z and gaps over- or underflows.
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(d[i]!), i < n - 1 ? Math.abs(e[i]!) : 0);
  if (scale === 0) {
    for (let i = 0; i < n; i++) q[i * n + i] = 1;
    return { values, q };
  }
  const dd = Float64Array.from(d.subarray(0, n), (x) => x / scale);
  const ee = Float64Array.from(e.subarray(0, n), (x) => x / scale);
  solve(dd, ee, q, n, 0, n, product, Math.max(1, cutoff));
  for (let i = 0; i < n; i++) values[i] = dd[i]! * scale;
  return { values, q };
}

/** Solves block [lo, hi): on return d[lo..hi) are its eigenvalues and q[lo..hi, lo..hi) its eigenvectors (columns). */
function solve(d: Float64Array, e: Float64Array, q: Float64Array, n: number, lo: number, hi: number, product: FlatProduct, cutoff: number): void {
  if (hi - lo <= cutoff) return leaf(d, e, q, n, lo, hi);
  const mid = (lo + hi) >> 1;
  const beta = e[mid - 1]!;
  const rho = Math.abs(beta);
  // T = diag(T₁′, T₂′) + ρ·v·vᵀ with v = e_{mid−1} + sign(β)·e_mid: the corners lose ρ.
  d[mid - 1] = d[mid - 1]! - rho;
  d[mid] = d[mid]! - rho;
  solve(d, e, q, n, lo, mid, product, cutoff);
  solve(d, e, q, n, mid, hi, product, cutoff);
  merge(d, q, n, lo, mid, hi, beta, product);
}

/** The QL iteration on a small block, from the identity. */
function leaf(d: Float64Array, e: Float64Array, q: Float64Array, n: number, lo: number, hi: number): void {
  const b = hi - lo;
  const loops = jsLoops(b * b + 2 * b);
  const m = loops.m;
  for (let i = 0; i < b; i++) {
    m[i * b + i] = 1;
    m[b * b + i] = d[lo + i]!;
    // diagonalize reads tred2's layout: E[i] couples i − 1 and i, E[0] unused.
    m[b * b + b + i] = i > 0 ? e[lo + i - 1]! : 0;
  }
  diagonalize(loops, b);
  for (let j = 0; j < b; j++) {
    d[lo + j] = m[b * b + j]!;
    for (let i = 0; i < b; i++) q[(lo + i) * n + lo + j] = m[j * b + i]!;
  }
}

/** Merges the solved blocks [lo, mid) and [mid, hi), torn apart at coupling beta. */
function merge(d: Float64Array, q: Float64Array, n: number, lo: number, mid: number, hi: number, beta: number, product: FlatProduct): void {
  const size = hi - lo;
  const n1 = mid - lo;
  const n2 = hi - mid;
  const sign = beta < 0 ? -1 : 1;
  // z = Qᵀ·v / √2 (unit length), ρ doubled to match.
  const z = new Float64Array(size);
  for (let t = 0; t < size; t++) z[t] = (t < n1 ? q[(mid - 1) * n + lo + t]! : sign * q[mid * n + lo + t]!) / Math.SQRT2;
  const rho = 2 * Math.abs(beta);
  const dl = d.slice(lo, hi);
  const order = Array.from({ length: size }, (_, t) => t).sort((x, y) => dl[x]! - dl[y]!);
  let dmax = 0;
  for (let t = 0; t < size; t++) dmax = Math.max(dmax, Math.abs(dl[t]!));
  const tol = 8 * EPS * Math.max(dmax, rho);
  // Column types (LAPACK's coltyp): 1 = nonzero in the top rows only, 3 = bottom only, 2 = both.
  const type = Uint8Array.from({ length: size }, (_, t) => (t < n1 ? 1 : 3));
  const kept: number[] = [];
  const deflated: number[] = [];
  let prev = -1;
  for (const t of order) {
    if (rho * Math.abs(z[t]!) <= tol) {
      deflated.push(t);
      continue;
    }
    if (prev < 0) {
      prev = t;
      continue;
    }
    // Rotate the pair (prev, t) so that prev's z vanishes; deflate prev when the coupling this
    // leaves between them, c·s·(d_t − d_prev), is below tol.
    const tau = Math.hypot(z[prev]!, z[t]!);
    const c = z[t]! / tau;
    const s = z[prev]! / tau;
    if (Math.abs(c * s * (dl[t]! - dl[prev]!)) <= tol) {
      rotateColumns(q, n, lo, hi, lo + prev, lo + t, c, s);
      const dp = dl[prev]!;
      const dt = dl[t]!;
      dl[prev] = c * c * dp + s * s * dt;
      dl[t] = s * s * dp + c * c * dt;
      z[prev] = 0;
      z[t] = tau;
      if (type[prev] !== type[t]) type[prev] = type[t] = 2;
      deflated.push(prev);
    } else kept.push(prev);
    prev = t;
  }
  if (prev >= 0) kept.push(prev);

  const k = kept.length;
  const dk = Float64Array.from(kept, (t) => dl[t]!);
  const zk = Float64Array.from(kept, (t) => z[t]!);
  const { origin, mu } = secularRoots(dk, zk, rho);
  const u = secularVectors(dk, zk, rho, origin, mu); // k×k, column i belongs to root i

  // Gather the kept columns by type and multiply: top rows need types 1 and 2, bottom rows 2 and 3.
  const topCols = kept.map((t, r) => [t, r] as const).filter(([t]) => type[t] !== 3);
  const botCols = kept.map((t, r) => [t, r] as const).filter(([t]) => type[t] !== 1);
  const top = blockProduct(q, n, lo, n1, lo, topCols, u, k, product);
  const bot = blockProduct(q, n, mid, n2, lo, botCols, u, k, product);
  const firstRow = rowProduct(q, n, lo, lo, topCols, u, k);
  const lastRow = rowProduct(q, n, hi - 1, lo, botCols, u, k);
  const deflatedCols = deflated.map((t) => column(q, n, lo, hi, lo + t));

  // Write back: kept eigenvectors first, then the deflated ones.
  for (let i = 0; i < size; i++) q.fill(0, (lo + i) * n + lo, (lo + i) * n + hi);
  for (let i = 0; i < n1; i++) q.set(top.subarray(i * k, (i + 1) * k), (lo + i) * n + lo);
  for (let i = 0; i < n2; i++) q.set(bot.subarray(i * k, (i + 1) * k), (mid + i) * n + lo);
  q.set(firstRow, lo * n + lo);
  q.set(lastRow, (hi - 1) * n + lo);
  for (let j = 0; j < k; j++) d[lo + j] = dk[origin[j]!]! + mu[j]!;
  deflated.forEach((t, j) => {
    const col = deflatedCols[j]!;
    for (let i = 0; i < size; i++) q[(lo + i) * n + lo + k + j] = col[i]!;
    d[lo + k + j] = dl[t]!;
  });
}

/** (col p, col t) ← (c·p − s·t, s·p + c·t) over rows [lo, hi). */
function rotateColumns(q: Float64Array, n: number, lo: number, hi: number, p: number, t: number, c: number, s: number): void {
  for (let i = lo; i < hi; i++) {
    const x = q[i * n + p]!;
    const y = q[i * n + t]!;
    q[i * n + p] = c * x - s * y;
    q[i * n + t] = s * x + c * y;
  }
}

function column(q: Float64Array, n: number, lo: number, hi: number, col: number): Float64Array {
  const out = new Float64Array(hi - lo);
  for (let i = lo; i < hi; i++) out[i - lo] = q[i * n + col]!;
  return out;
}

/** q[row0.., cols]·u[rows r of cols, :] for `rows` rows: rows × k. */
function blockProduct(q: Float64Array, n: number, row0: number, rows: number, lo: number, cols: ReadonlyArray<readonly [number, number]>, u: Float64Array, k: number, product: FlatProduct): Float64Array {
  const c = cols.length;
  if (c === 0 || k === 0) return new Float64Array(rows * k);
  const a = new Float64Array(rows * c);
  for (let i = 0; i < rows; i++) {
    const src = (row0 + i) * n + lo;
    for (let j = 0; j < c; j++) a[i * c + j] = q[src + cols[j]![0]]!;
  }
  const b = new Float64Array(c * k);
  for (let j = 0; j < c; j++) b.set(u.subarray(cols[j]![1] * k, (cols[j]![1] + 1) * k), j * k);
  return product(a, rows, c, b, k);
}

/** One row of blockProduct, in float64 (the rows the next merge's z comes from). */
function rowProduct(q: Float64Array, n: number, row: number, lo: number, cols: ReadonlyArray<readonly [number, number]>, u: Float64Array, k: number): Float64Array {
  const out = new Float64Array(k);
  for (const [t, r] of cols) {
    const a = q[row * n + lo + t]!;
    if (a === 0) continue;
    for (let i = 0; i < k; i++) out[i] = out[i]! + a * u[r * k + i]!;
  }
  return out;
}

/**
 * Roots λ_i = dk[origin_i] + mu_i of 1 + ρ·Σ z_j²/(d_j − λ) = 0 (d ascending and distinct, z ≠ 0,
 * ρ > 0): λ_i in (d_i, d_{i+1}), the last in (d_{k−1}, d_{k−1} + ρ‖z‖²). Each root is sought relative
 * to its nearer pole (the sign of f at the interval's middle tells which), by a bracketed iteration
 * on the two-pole rational model of f that matches its value and slope (the "middle way" of
 * Bunch, Nielsen and Sorensen / LAPACK's dlaed4), with bisection when the model's step leaves the bracket.
 */
export function secularRoots(dk: Float64Array, zk: Float64Array, rho: number): { origin: Int32Array; mu: Float64Array } {
  const k = dk.length;
  const origin = new Int32Array(k);
  const mu = new Float64Array(k);
  const z2 = Float64Array.from(zk, (x) => x * x);
  let zz = 0;
  for (let j = 0; j < k; j++) zz += z2[j]!;
  for (let i = 0; i < k; i++) {
    let org = i;
    let lo = 0;
    let hi: number;
    if (i < k - 1) {
      const gap = dk[i + 1]! - dk[i]!;
      const half = gap / 2;
      let f = 1;
      for (let j = 0; j < k; j++) f += (rho * z2[j]!) / (dk[j]! - dk[i]! - half);
      if (f >= 0) hi = half;
      else {
        org = i + 1;
        lo = half - gap;
        hi = 0;
      }
    } else hi = rho * zz;
    const base = dk[org]!;
    const a = dk[i]! - base;
    const b = i < k - 1 ? dk[i + 1]! - base : Number.POSITIVE_INFINITY;
    let x = (lo + hi) / 2;
    for (let iter = 0; iter < 200; iter++) {
      let psi = 0;
      let dpsi = 0;
      let phi = 0;
      let dphi = 0;
      for (let j = 0; j < k; j++) {
        const delta = dk[j]! - base - x;
        const t = z2[j]! / delta;
        if (j <= i) {
          psi += t;
          dpsi += t / delta;
        } else {
          phi += t;
          dphi += t / delta;
        }
      }
      psi *= rho;
      dpsi *= rho;
      phi *= rho;
      dphi *= rho;
      const f = 1 + psi + phi;
      if (Math.abs(f) <= 8 * EPS * (1 + Math.abs(psi) + phi) * Math.max(1, Math.sqrt(k) / 4)) break;
      if (f > 0) hi = x;
      else lo = x;
      if (hi - lo <= 2 * EPS * Math.max(Math.abs(lo), Math.abs(hi))) break;
      let y = Number.NaN;
      const sa = (a - x) * (a - x) * dpsi;
      if (i === k - 1) {
        const c = f - (a - x) * dpsi;
        if (c > 0) y = a + sa / c;
      } else {
        // C·(a − y)(b − y) + S_a·(b − y) + S_b·(a − y) = 0, with S = (pole − x)²·slope.
        const sb = (b - x) * (b - x) * dphi;
        const c = f - (a - x) * dpsi - (b - x) * dphi;
        const bq = c * (a + b) + sa + sb;
        const cq = c * a * b + sa * b + sb * a;
        const disc = bq * bq - 4 * c * cq;
        if (disc >= 0) {
          const root = (bq + (bq >= 0 ? 1 : -1) * Math.sqrt(disc)) / 2;
          const y1 = c !== 0 ? root / c : Number.NaN;
          const y2 = root !== 0 ? cq / root : Number.NaN;
          y = y1 > lo && y1 < hi ? y1 : y2;
        }
      }
      if (!(y > lo && y < hi)) y = (lo + hi) / 2;
      if (y === x || !(y > lo && y < hi)) break;
      x = y;
    }
    origin[i] = org;
    mu[i] = x;
  }
  return { origin, mu };
}

/**
 * The eigenvectors of diag(dk) + ρ·z·zᵀ for the roots (origin, mu), as the columns of a k×k
 * row-major matrix: u_i ∝ ẑ/(d − λ_i), with ẑ_j² = ∏_i (λ_i − d_j) / (ρ·∏_{i≠j}(d_i − d_j)) (Gu and
 * Eisenstat), the z for which the computed roots are exact, so the vectors come out orthogonal.
 */
export function secularVectors(dk: Float64Array, zk: Float64Array, rho: number, origin: Int32Array, mu: Float64Array): Float64Array {
  const k = dk.length;
  // d_j − λ_i, from the root's own pole for precision.
  const gap = (j: number, i: number): number => dk[j]! - dk[origin[i]!]! - mu[i]!;
  const zh = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    // Paired factors, each near 1 in size, so the product neither over- nor underflows.
    let p = -gap(j, k - 1) / rho;
    for (let i = 0; i < j; i++) p *= -gap(j, i) / (dk[i]! - dk[j]!);
    for (let i = j; i < k - 1; i++) p *= -gap(j, i) / (dk[i + 1]! - dk[j]!);
    zh[j] = Math.sign(zk[j]!) * Math.sqrt(Math.max(0, p));
  }
  const u = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    let norm = 0;
    for (let j = 0; j < k; j++) {
      const v = zh[j]! / gap(j, i);
      u[j * k + i] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < k; j++) u[j * k + i] = u[j * k + i]! * inv;
  }
  return u;
}
