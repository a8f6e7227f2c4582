/**
 * The WebAssembly text of fma-gemm.wat's kernels (spliced in by scripts/build/build-wasm.mjs): a
 * register-blocked MR×NR micro-kernel, unrolled here because wasm has no arrays of locals. Twelve
 * accumulators, two columns of B and one broadcast of A fill V8's 15 allocatable SIMD registers on
 * x64; more rows spill (measured: 12 accumulators plus 5 operands ran at half the speed of 8).
 */

/** Rows of A per micro-tile. */
export const MR = 6;
/** Columns of B per micro-tile (two f32x4 vectors). */
export const NR = 8;
/** Bytes of scratch at address 0: one MR×NR tile, for the edges of the result. */
export const TILE_BYTES = MR * NR * 4;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const acc = (r: number, v: number): string => `$c${r}_${v}`;

/** The module body: `$micro` (one tile) and the exported `macro` (every tile of a packed block). */
export function fmaGemmKernels(): string {
  const locals = range(MR)
    .flatMap((r) => [0, 1].map((v) => `(local ${acc(r, v)} v128)`))
    .join(" ");
  const step = range(MR)
    .map((r) => {
      const a = `(local.set $a (v128.load32_splat offset=${r * 4} (local.get $pa)))`;
      const fmas = [0, 1].map((v) => `(local.set ${acc(r, v)} (f32x4.relaxed_madd (local.get $a) (local.get $b${v}) (local.get ${acc(r, v)})))`);
      return [a, ...fmas].join("\n        ");
    })
    .join("\n        ");
  // A whole tile straight into C: stored on the first block of k, added to C on the others.
  const rowsTo = (op: (r: number, v: number) => string): string =>
    range(MR)
      .map((r) => [0, 1].map((v) => op(r, v)).join("\n        ") + "\n        (local.set $q (i32.add (local.get $q) (local.get $ldc4)))")
      .join("\n        ");
  const stored = rowsTo((r, v) => `(v128.store offset=${v * 16} (local.get $q) (local.get ${acc(r, v)}))`);
  const added = rowsTo((r, v) => `(v128.store offset=${v * 16} (local.get $q) (f32x4.add (v128.load offset=${v * 16} (local.get $q)) (local.get ${acc(r, v)})))`);
  const toScratch = range(MR)
    .flatMap((r) => [0, 1].map((v) => `(v128.store offset=${(r * 2 + v) * 16} (i32.const 0) (local.get ${acc(r, v)}))`))
    .join("\n    ");
  return `
  ;; One MR×NR tile of C at $c (row stride $ldc4 bytes) from packed panels: $pa holds kc steps of MR
  ;; values of A, $pb kc steps of NR values of B. $rows × $cols of the tile are inside C; $first: the
  ;; first block of k (store, not add).
  (func $micro (param $pa i32) (param $pb i32) (param $c i32) (param $kc i32) (param $ldc4 i32)
    (param $rows i32) (param $cols i32) (param $first i32)
    ${locals} (local $a v128) (local $b0 v128) (local $b1 v128) (local $q i32) (local $i i32) (local $j i32) (local $at i32)
    ;; The loop inside a block, not first in the body: V8 then keeps the twelve accumulators in
    ;; registers (measured: 50–55 GFLOP/s, against 25 with the loop first).
    (block $none
      (br_if $none (i32.eqz (local.get $kc)))
      (loop $k
      (local.set $b0 (v128.load (local.get $pb)))
      (local.set $b1 (v128.load offset=16 (local.get $pb)))
        ${step}
      (local.set $pa (i32.add (local.get $pa) (i32.const ${MR * 4})))
      (local.set $pb (i32.add (local.get $pb) (i32.const ${NR * 4})))
      (br_if $k (local.tee $kc (i32.sub (local.get $kc) (i32.const 1))))))
    (local.set $q (local.get $c))
    (if (i32.and (i32.eq (local.get $rows) (i32.const ${MR})) (i32.eq (local.get $cols) (i32.const ${NR})))
      (then
        (if (local.get $first)
          (then
        ${stored})
          (else
        ${added}))
        (return)))
    ;; An edge tile: through the scratch tile, element by element.
    ${toScratch}
    (loop $row
      (local.set $j (i32.const 0))
      (loop $col
        (local.set $at (i32.add (local.get $q) (i32.shl (local.get $j) (i32.const 2))))
        (f32.store (local.get $at)
          (f32.add
            (select (f32.const 0) (f32.load (local.get $at)) (local.get $first))
            (f32.load (i32.shl (i32.add (i32.mul (local.get $i) (i32.const ${NR})) (local.get $j)) (i32.const 2)))))
        (br_if $col (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $cols))))
      (local.set $q (i32.add (local.get $q) (local.get $ldc4)))
      (br_if $row (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $rows)))))

  ;; Every tile of an mc×nc block of C (row stride $ldc values) from packed A ($pa: ⌈mc/MR⌉ panels)
  ;; and packed B ($pb: ⌈nc/NR⌉ panels), kc ≥ 1 steps each. Column panels outside, so one panel of B
  ;; (kc·NR values) stays in L1 while the panels of A stream from L2.
  (func (export "macro") (param $pa i32) (param $pb i32) (param $c i32) (param $mc i32) (param $nc i32)
    (param $kc i32) (param $ldc i32) (param $first i32)
    (local $ir i32) (local $jr i32) (local $ldc4 i32)
    (local.set $ldc4 (i32.shl (local.get $ldc) (i32.const 2)))
    (loop $cols
      (local.set $ir (i32.const 0))
      (loop $rows
        (call $micro
          (i32.add (local.get $pa) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 2)))
          (i32.add (local.get $pb) (i32.shl (i32.mul (local.get $jr) (local.get $kc)) (i32.const 2)))
          (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $ir) (local.get $ldc)) (local.get $jr)) (i32.const 2)))
          (local.get $kc) (local.get $ldc4)
          (select (i32.const ${MR}) (i32.sub (local.get $mc) (local.get $ir)) (i32.ge_u (i32.sub (local.get $mc) (local.get $ir)) (i32.const ${MR})))
          (select (i32.const ${NR}) (i32.sub (local.get $nc) (local.get $jr)) (i32.ge_u (i32.sub (local.get $nc) (local.get $jr)) (i32.const ${NR})))
          (local.get $first))
        (br_if $rows (i32.lt_u (local.tee $ir (i32.add (local.get $ir) (i32.const ${MR}))) (local.get $mc))))
      (br_if $cols (i32.lt_u (local.tee $jr (i32.add (local.get $jr) (i32.const ${NR}))) (local.get $nc)))))`;
}
