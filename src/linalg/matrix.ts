/**
 * Dense real matrices for the spectral methods: row-major Float64Array storage, so that small
 * factorizations run in double precision whatever backend multiplies the large products.
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major: element (i, j) at i·cols + j. */
  readonly data: Float64Array;
}

export function zeros(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

export function fromArray(rows: number, cols: number, values: ArrayLike<number>): Matrix {
  if (values.length !== rows * cols) throw new Error(`a ${rows}×${cols} matrix needs ${rows * cols} values, got ${values.length}`);
  return { rows, cols, data: Float64Array.from(values) };
}

export function transpose(a: Matrix): Matrix {
  const out = zeros(a.cols, a.rows);
  transposeInto(a, out.data);
  return out;
}

/** aᵀ's row-major values in float32 (rounded as `new Float32Array` rounds): a product's operand. */
export function transposedFloat32(a: Matrix): Float32Array {
  const out = new Float32Array(a.rows * a.cols);
  transposeInto(a, out);
  return out;
}

/** Tile edge of transposeInto: 32×32 doubles, both tiles in cache. */
const TILE = 32;

/**
 * aᵀ into `out`, tile by tile: a plain double loop writes one of its sides with a stride of a whole
 * row, a cache miss per element on a 4096² matrix (a third of a second).
 */
function transposeInto(a: Matrix, out: Float64Array | Float32Array): void {
  const { rows, cols, data } = a;
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const i1 = Math.min(rows, i0 + TILE);
    for (let j0 = 0; j0 < cols; j0 += TILE) {
      const j1 = Math.min(cols, j0 + TILE);
      for (let i = i0; i < i1; i++) {
        const row = i * cols;
        for (let j = j0; j < j1; j++) out[j * rows + i] = data[row + j]!;
      }
    }
  }
}

/** Columns [from, to) of `a`. */
export function columns(a: Matrix, from: number, to: number): Matrix {
  const w = to - from;
  const out = zeros(a.rows, w);
  for (let i = 0; i < a.rows; i++) out.data.set(a.data.subarray(i * a.cols + from, i * a.cols + to), i * w);
  return out;
}

/** Rows [from, to) of `a` (a copy). */
export function rowsOf(a: Matrix, from: number, to: number): Matrix {
  return { rows: to - from, cols: a.cols, data: a.data.slice(from * a.cols, to * a.cols) };
}

/** The matrices side by side: [a₁ a₂ …] (equal row counts). */
export function hconcat(parts: readonly Matrix[]): Matrix {
  const rows = parts[0]?.rows ?? 0;
  const cols = parts.reduce((s, p) => s + p.cols, 0);
  const out = zeros(rows, cols);
  let at = 0;
  for (const p of parts) {
    if (p.rows !== rows) throw new Error(`hconcat: ${p.rows} rows next to ${rows}`);
    for (let i = 0; i < rows; i++) out.data.set(p.data.subarray(i * p.cols, (i + 1) * p.cols), i * cols + at);
    at += p.cols;
  }
  return out;
}

/** a·diag(d): column j scaled by d[j]. */
export function scaleColumns(a: Matrix, d: ArrayLike<number>): Matrix {
  const out = zeros(a.rows, a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[i * a.cols + j] = a.data[i * a.cols + j]! * d[j]!;
  return out;
}

export function frobenius(a: Matrix): number {
  let s = 0;
  for (const x of a.data) s += x * x;
  return Math.sqrt(s);
}

/** ‖a − b‖_F. */
export function distance(a: Matrix, b: Matrix): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += (a.data[i]! - b.data[i]!) ** 2;
  return Math.sqrt(s);
}
