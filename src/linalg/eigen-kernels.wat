;; float64 vector loops of the symmetric eigendecomposition (symmetric-eigen.ts), two lanes at a time
;; (f64x2), with a scalar step for an odd length. Pointers are byte offsets of float64 rows in this
;; module's memory, which the caller makes to hold the matrix: shared, so that the row thread
;; (row-thread.ts) can run `symrow32` on the same matrix. Each lane does the scalar loop's
;; operations in its order (wasm has no fused multiply-add), except `dot`, which sums two partial
;; sums (even and odd elements) and adds them at the end.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; (u, l) ← (s·l + c·u, c·l − s·u), elementwise over n: one QL rotation of two rows.
  (func (export "rotate") (param $u i32) (param $l i32) (param $n i32) (param $c f64) (param $s f64)
    (local $end i32) (local $vc v128) (local $vs v128) (local $h v128) (local $w v128) (local $hs f64) (local $ws f64)
    (local.set $vc (f64x2.splat (local.get $c)))
    (local.set $vs (f64x2.splat (local.get $s)))
    (local.set $end (i32.add (local.get $u) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $u) (local.get $end)))
        (local.set $h (v128.load (local.get $u)))
        (local.set $w (v128.load (local.get $l)))
        (v128.store (local.get $u) (f64x2.add (f64x2.mul (local.get $vs) (local.get $w)) (f64x2.mul (local.get $vc) (local.get $h))))
        (v128.store (local.get $l) (f64x2.sub (f64x2.mul (local.get $vc) (local.get $w)) (f64x2.mul (local.get $vs) (local.get $h))))
        (local.set $u (i32.add (local.get $u) (i32.const 16)))
        (local.set $l (i32.add (local.get $l) (i32.const 16)))
        (br $next)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $hs (f64.load (local.get $u)))
        (local.set $ws (f64.load (local.get $l)))
        (f64.store (local.get $u) (f64.add (f64.mul (local.get $s) (local.get $ws)) (f64.mul (local.get $c) (local.get $hs))))
        (f64.store (local.get $l) (f64.sub (f64.mul (local.get $c) (local.get $ws)) (f64.mul (local.get $s) (local.get $hs)))))))

  ;; Σ a[k]·b[k] over n.
  (func (export "dot") (param $a i32) (param $b i32) (param $n i32) (result f64)
    (local $end i32) (local $acc v128)
    (local.set $acc (f64x2.splat (f64.const 0)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $next)))
    (f64.add
      (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))
      (if (result f64) (i32.and (local.get $n) (i32.const 1))
        (then (f64.mul (f64.load (local.get $a)) (f64.load (local.get $b))))
        (else (f64.const 0)))))

  ;; y[k] ← y[k] − α·x[k] over n.
  (func (export "axpy") (param $y i32) (param $x i32) (param $n i32) (param $alpha f64)
    (local $end i32) (local $va v128)
    (local.set $va (f64x2.splat (local.get $alpha)))
    (local.set $end (i32.add (local.get $y) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
        (v128.store (local.get $y) (f64x2.sub (v128.load (local.get $y)) (f64x2.mul (local.get $va) (v128.load (local.get $x)))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $next)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then (f64.store (local.get $y) (f64.sub (f64.load (local.get $y)) (f64.mul (local.get $alpha) (f64.load (local.get $x))))))))

  ;; v[k] ← v[k] − (f·e[k] + g·d[k]) over n: tred2's rank-2 update of one row.
  (func (export "rank2") (param $v i32) (param $e i32) (param $d i32) (param $n i32) (param $f f64) (param $g f64)
    (local $end i32) (local $vf v128) (local $vg v128)
    (local.set $vf (f64x2.splat (local.get $f)))
    (local.set $vg (f64x2.splat (local.get $g)))
    (local.set $end (i32.add (local.get $v) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $v) (local.get $end)))
        (v128.store (local.get $v) (f64x2.sub (v128.load (local.get $v))
          (f64x2.add (f64x2.mul (local.get $vf) (v128.load (local.get $e))) (f64x2.mul (local.get $vg) (v128.load (local.get $d))))))
        (local.set $v (i32.add (local.get $v) (i32.const 16)))
        (local.set $e (i32.add (local.get $e) (i32.const 16)))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (br $next)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then (f64.store (local.get $v) (f64.sub (f64.load (local.get $v))
        (f64.add (f64.mul (local.get $f) (f64.load (local.get $e))) (f64.mul (local.get $g) (f64.load (local.get $d)))))))))
  ;; One row of a symmetric matrix–vector product from the lower triangle, in one pass over the row:
  ;; y[k] ← y[k] + α·a[k] over n, and returns Σ a[k]·x[k] (two partial sums, as `dot`).
  (func (export "symrow") (param $a i32) (param $x i32) (param $y i32) (param $n i32) (param $alpha f64) (result f64)
    (local $end i32) (local $acc v128) (local $va v128) (local $row v128)
    (local.set $acc (f64x2.splat (f64.const 0)))
    (local.set $va (f64x2.splat (local.get $alpha)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $row (v128.load (local.get $a)))
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $row) (v128.load (local.get $x)))))
        (v128.store (local.get $y) (f64x2.add (v128.load (local.get $y)) (f64x2.mul (local.get $va) (local.get $row))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $next)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (f64.store (local.get $y) (f64.add (f64.load (local.get $y)) (f64.mul (local.get $alpha) (f64.load (local.get $a)))))
        (local.set $acc (f64x2.replace_lane 0 (local.get $acc)
          (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64.mul (f64.load (local.get $a)) (f64.load (local.get $x))))))))
    (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))

  ;; The float32 loops of the fast path's reduction (tridiagonalize-blocked.ts): the same three as
  ;; above on float32 rows, four lanes at a time with a scalar tail; sums in float32 (four partial
  ;; sums), as the float32 products beside them. Scalars come and go as f64.

  ;; Σ a[k]·b[k] over n, float32.
  (func (export "dot32") (param $a i32) (param $b i32) (param $n i32) (result f64)
    (local $end i32) (local $acc v128) (local $tail f32)
    (local.set $acc (f32x4.splat (f32.const 0)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $next)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tdone
      (loop $tnext
        (br_if $tdone (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $tail (f32.add (local.get $tail) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $tnext)))
    (f64.promote_f32 (f32.add
      (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
               (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc))))
      (local.get $tail))))

  ;; y[k] ← y[k] − α·x[k] over n, float32.
  (func (export "axpy32") (param $y i32) (param $x i32) (param $n i32) (param $alpha f64)
    (local $end i32) (local $va v128) (local $a f32)
    (local.set $a (f32.demote_f64 (local.get $alpha)))
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $end (i32.add (local.get $y) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
        (v128.store (local.get $y) (f32x4.sub (v128.load (local.get $y)) (f32x4.mul (local.get $va) (v128.load (local.get $x)))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $next)))
    (local.set $end (i32.add (local.get $y) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tdone
      (loop $tnext
        (br_if $tdone (i32.ge_u (local.get $y) (local.get $end)))
        (f32.store (local.get $y) (f32.sub (f32.load (local.get $y)) (f32.mul (local.get $a) (f32.load (local.get $x)))))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (br $tnext))))

  ;; `symrow` on float32 rows: y[k] ← y[k] + α·a[k] over n, returning Σ a[k]·x[k].
  (func (export "symrow32") (param $a i32) (param $x i32) (param $y i32) (param $n i32) (param $alpha f64) (result f64)
    (local $end i32) (local $acc v128) (local $va v128) (local $row v128) (local $al f32) (local $tail f32) (local $r f32)
    (local.set $al (f32.demote_f64 (local.get $alpha)))
    (local.set $acc (f32x4.splat (f32.const 0)))
    (local.set $va (f32x4.splat (local.get $al)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $row (v128.load (local.get $a)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $row) (v128.load (local.get $x)))))
        (v128.store (local.get $y) (f32x4.add (v128.load (local.get $y)) (f32x4.mul (local.get $va) (local.get $row))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $next)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tdone
      (loop $tnext
        (br_if $tdone (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $r (f32.load (local.get $a)))
        (local.set $tail (f32.add (local.get $tail) (f32.mul (local.get $r) (f32.load (local.get $x)))))
        (f32.store (local.get $y) (f32.add (f32.load (local.get $y)) (f32.mul (local.get $al) (local.get $r))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (br $tnext)))
    (f64.promote_f32 (f32.add
      (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
               (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc))))
      (local.get $tail))))
)
