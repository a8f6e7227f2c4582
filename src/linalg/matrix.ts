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
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j]!;
  return out;
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
