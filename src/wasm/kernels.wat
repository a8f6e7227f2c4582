;; mergelang's SIMD kernels (WebAssembly 128-bit SIMD), assembled by scripts/build/build-wasm.mjs
;; into dist/src/wasm/kernels.wasm. Each kernel computes exactly what its JavaScript reference
;; computes (the same IEEE operations in the same order: float32 where the reference rounds to
;; float32, float64 where it works in JavaScript numbers), so results are equal bit for bit.
;;
;; Conventions: every pointer is a byte offset in the memory, which the module imports: one shared
;; memory holds the engine's buffers and each thread's scratch (src/wasm/heap.ts). Element counts
;; are rounded up to a multiple of 8 by the caller, who gives buffers that room (the extra lanes
;; compute garbage that is never copied out), or who calls on a multiple of 8 in place and the tail
;; by copies. The caller lays the scratch out (src/wasm/simd-kernels.ts).
(module
  (import "env" "memory" (memory 1 65536 shared))

;; Non-finite detection (io/non-finite.ts, anyInWords): the OR over $n 32-bit words (a multiple of
  ;; 4) of (word & $mask) + $add, folded over the four lanes; the caller tests the carry bits.
  (func (export "nonfinite_words") (param $src i32) (param $n i32) (param $mask i32) (param $add i32) (result i32)
    (local $i i32) (local $acc v128) (local $m v128) (local $a v128)
    (local.set $m (i32x4.splat (local.get $mask)))
    (local.set $a (i32x4.splat (local.get $add)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (v128.or (local.get $acc)
          (i32x4.add (v128.and (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))) (local.get $m)) (local.get $a))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
    (i32.or (i32.or (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
      (i32.or (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))

;; out = f32(a − b) (methods/shared/series.ts, deltaSeries), in place when out is a.
  (func (export "sub_f32") (param $a i32) (param $b i32) (param $out i32) (param $n i32)
    (local $i i32) (local $off i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $off (i32.shl (local.get $i) (i32.const 2)))
        (v128.store (i32.add (local.get $out) (local.get $off))
          (f32x4.sub (v128.load (i32.add (local.get $a) (local.get $off))) (v128.load (i32.add (local.get $b) (local.get $off)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next))))

  ;; bf16 bits (u16) → float32: the bits shifted into the upper half. Returns the OR over the stored
  ;; 32-bit words of (word & $mask) + $add (nonfinite_words' test, fused: the values are in registers).
  (func (export "widen_bf16") (param $src i32) (param $dst i32) (param $n i32) (param $mask i32) (param $add i32) (result i32)
    (local $i i32) (local $v v128) (local $acc v128) (local $m v128) (local $a v128)
    (local.set $m (i32x4.splat (local.get $mask)))
    (local.set $a (i32x4.splat (local.get $add)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1)))))
        (local.set $acc (v128.or (local.get $acc) (i32x4.add (v128.and (local.get $v) (local.get $m)) (local.get $a))))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (i32x4.shl (i32x4.extend_low_i16x8_u (local.get $v)) (i32.const 16)))
        (v128.store offset=16 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (i32x4.shl (i32x4.extend_high_i16x8_u (local.get $v)) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $next)))
    (i32.or (i32.or (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
      (i32.or (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))

  ;; Four f16 bit patterns (zero-extended in i32 lanes) → float32 bits, exactly: the exponent and
  ;; mantissa moved into place and scaled by 2^112 (exact, subnormal halves included); Inf and NaN
  ;; (exponent all ones) keep their mantissa under the float32 all-ones exponent.
  (func $f16x4 (param $h v128) (result v128)
    (local $em v128)
    (local.set $em (v128.and (local.get $h) (i32x4.splat (i32.const 0x7fff))))
    (v128.or
      (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x8000))) (i32.const 16))
      (v128.bitselect
        (v128.or (i32x4.shl (local.get $em) (i32.const 13)) (i32x4.splat (i32.const 0x7f800000)))
        (f32x4.mul (i32x4.shl (local.get $em) (i32.const 13)) (f32x4.splat (f32.const 0x1p112)))
        (i32x4.ge_u (local.get $em) (i32x4.splat (i32.const 0x7c00))))))

  ;; f16 bits (u16) → float32; returns as widen_bf16 does.
  (func (export "widen_f16") (param $src i32) (param $dst i32) (param $n i32) (param $mask i32) (param $add i32) (result i32)
    (local $i i32) (local $v v128) (local $acc v128) (local $m v128) (local $a v128)
    (local.set $m (i32x4.splat (local.get $mask)))
    (local.set $a (i32x4.splat (local.get $add)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1)))))
        (local.set $acc (v128.or (local.get $acc) (i32x4.add (v128.and (local.get $v) (local.get $m)) (local.get $a))))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (call $f16x4 (i32x4.extend_low_i16x8_u (local.get $v))))
        (v128.store offset=16 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (call $f16x4 (i32x4.extend_high_i16x8_u (local.get $v))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $next)))
    (i32.or (i32.or (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
      (i32.or (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))

  ;; Four float32 bit patterns → bf16 bits in the low halves of the lanes, round to nearest even:
  ;; (x + 0x7fff + bit 16 of x) >> 16; NaN becomes 0x7fc0 (f32ToBF16 in io/dtype.ts).
  (func $bf16x4 (param $x v128) (result v128)
    (v128.bitselect
      (i32x4.splat (i32.const 0x7fc0))
      (i32x4.shr_u
        (i32x4.add (i32x4.add (local.get $x) (i32x4.splat (i32.const 0x7fff)))
          (v128.and (i32x4.shr_u (local.get $x) (i32.const 16)) (i32x4.splat (i32.const 1))))
        (i32.const 16))
      (i32x4.gt_u (v128.and (local.get $x) (i32x4.splat (i32.const 0x7fffffff))) (i32x4.splat (i32.const 0x7f800000)))))

  ;; float32 → bf16 bits (u16).
  (func (export "round_bf16") (param $src i32) (param $dst i32) (param $n i32)
    (local $i i32) (local $p i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 1)))
          (i8x16.shuffle 0 1 4 5 8 9 12 13 16 17 20 21 24 25 28 29
            (call $bf16x4 (v128.load (local.get $p)))
            (call $bf16x4 (v128.load offset=16 (local.get $p)))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $next))))

  ;; TIES elect and merge (methods/ties.ts, tiesMerge's unrolled loop), four elements at a time:
  ;;   kᵢ = δᵢ·[|δᵢ| ≥ tᵢ] with δᵢ = f32(mᵢ − b)   (flags bit 2: the inputs are δᵢ already)
  ;;   v = Σ wᵢ·kᵢ (bit 0: Σ sign kᵢ); v += [v = 0];  aᵢ = wᵢ·[kᵢ·v > 0]
  ;;   out = f32(b + λ·(Σ aᵢ·kᵢ / (Σ aᵢ + [Σ aᵢ = 0])))   (bit 1 clear: no division)
  ;; Sums start from −0 (x + −0 = x for every x, so the first term is taken as it is, as in the
  ;; reference's `k0 + k1 + ...`), or from +0 with bit 3 (references that fill their sums with 0).
  ;; $models: n pointers (i32) to the inputs; $params: n thresholds (f32, rounded up to float32 by
  ;; the caller: |δ| ≥ t ⇔ |δ| ≥ that float32), then from the next 8-byte boundary n weights (f64) and
  ;; λ (f64); $keep: scratch of 16·n bytes.
  (func (export "ties") (param $n i32) (param $models i32) (param $base i32) (param $out i32) (param $len i32)
                        (param $params i32) (param $keep i32) (param $flags i32)
    (local $j i32) (local $i i32) (local $off i32) (local $wp i32)
    (local $b v128) (local $d v128) (local $k v128) (local $klo v128) (local $khi v128)
    (local $vlo v128) (local $vhi v128) (local $nlo v128) (local $nhi v128) (local $dlo v128) (local $dhi v128)
    (local $w v128) (local $alo v128) (local $ahi v128) (local $start v128) (local $one v128) (local $one32 v128)
    (local.set $wp (i32.add (local.get $params) (i32.shl (i32.and (i32.add (local.get $n) (i32.const 1)) (i32.const -2)) (i32.const 2))))
    (local.set $one (f64x2.splat (f64.const 1)))
    (local.set $one32 (f32x4.splat (f32.const 1)))
    (local.set $start (if (result v128) (i32.and (local.get $flags) (i32.const 8))
      (then (f64x2.splat (f64.const 0))) (else (f64x2.splat (f64.const -0)))))
    (block $done
      (loop $element
        (br_if $done (i32.ge_u (local.get $j) (local.get $len)))
        (local.set $off (i32.shl (local.get $j) (i32.const 2)))
        (local.set $b (v128.load (i32.add (local.get $base) (local.get $off))))
        (local.set $vlo (local.get $start))
        (local.set $vhi (local.get $start))
        ;; Trim each input and vote.
        (local.set $i (i32.const 0))
        (block $trimmed
          (loop $trim
            (br_if $trimmed (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $d (v128.load (i32.add (i32.load (i32.add (local.get $models) (i32.shl (local.get $i) (i32.const 2)))) (local.get $off))))
            (if (i32.eqz (i32.and (local.get $flags) (i32.const 4)))
              (then (local.set $d (f32x4.sub (local.get $d) (local.get $b)))))
            (local.set $k (f32x4.mul (local.get $d)
              (v128.and (local.get $one32)
                (f32x4.ge (f32x4.abs (local.get $d)) (v128.load32_splat (i32.add (local.get $params) (i32.shl (local.get $i) (i32.const 2))))))))
            (v128.store (i32.add (local.get $keep) (i32.shl (local.get $i) (i32.const 4))) (local.get $k))
            (if (i32.and (local.get $flags) (i32.const 1))
              (then
                ;; sign kᵢ as ±1 or 0 (exact in float32), widened
                (local.set $k (f32x4.sub
                  (v128.and (local.get $one32) (f32x4.gt (local.get $k) (f32x4.splat (f32.const 0))))
                  (v128.and (local.get $one32) (f32x4.lt (local.get $k) (f32x4.splat (f32.const 0))))))
                (local.set $vlo (f64x2.add (local.get $vlo) (f64x2.promote_low_f32x4 (local.get $k))))
                (local.set $vhi (f64x2.add (local.get $vhi) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $k) (local.get $k))))))
              (else
                (local.set $w (v128.load64_splat (i32.add (local.get $wp) (i32.shl (local.get $i) (i32.const 3)))))
                (local.set $vlo (f64x2.add (local.get $vlo) (f64x2.mul (local.get $w) (f64x2.promote_low_f32x4 (local.get $k)))))
                (local.set $vhi (f64x2.add (local.get $vhi) (f64x2.mul (local.get $w) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $k) (local.get $k))))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $trim)))
        ;; A zero vote elects +1.
        (local.set $vlo (f64x2.add (local.get $vlo) (v128.and (local.get $one) (f64x2.eq (local.get $vlo) (f64x2.splat (f64.const 0))))))
        (local.set $vhi (f64x2.add (local.get $vhi) (v128.and (local.get $one) (f64x2.eq (local.get $vhi) (f64x2.splat (f64.const 0))))))
        ;; Disjoint merge of the agreeing inputs.
        (local.set $nlo (local.get $start))
        (local.set $nhi (local.get $start))
        (local.set $dlo (local.get $start))
        (local.set $dhi (local.get $start))
        (local.set $i (i32.const 0))
        (block $merged
          (loop $merge
            (br_if $merged (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $k (v128.load (i32.add (local.get $keep) (i32.shl (local.get $i) (i32.const 4)))))
            (local.set $klo (f64x2.promote_low_f32x4 (local.get $k)))
            (local.set $khi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $k) (local.get $k))))
            (local.set $w (v128.load64_splat (i32.add (local.get $wp) (i32.shl (local.get $i) (i32.const 3)))))
            (local.set $alo (f64x2.mul (local.get $w)
              (v128.and (local.get $one) (f64x2.gt (f64x2.mul (local.get $klo) (local.get $vlo)) (f64x2.splat (f64.const 0))))))
            (local.set $ahi (f64x2.mul (local.get $w)
              (v128.and (local.get $one) (f64x2.gt (f64x2.mul (local.get $khi) (local.get $vhi)) (f64x2.splat (f64.const 0))))))
            (local.set $nlo (f64x2.add (local.get $nlo) (f64x2.mul (local.get $alo) (local.get $klo))))
            (local.set $nhi (f64x2.add (local.get $nhi) (f64x2.mul (local.get $ahi) (local.get $khi))))
            (local.set $dlo (f64x2.add (local.get $dlo) (local.get $alo)))
            (local.set $dhi (f64x2.add (local.get $dhi) (local.get $ahi)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $merge)))
        (if (i32.and (local.get $flags) (i32.const 2))
          (then
            (local.set $nlo (f64x2.div (local.get $nlo)
              (f64x2.add (local.get $dlo) (v128.and (local.get $one) (f64x2.eq (local.get $dlo) (f64x2.splat (f64.const 0)))))))
            (local.set $nhi (f64x2.div (local.get $nhi)
              (f64x2.add (local.get $dhi) (v128.and (local.get $one) (f64x2.eq (local.get $dhi) (f64x2.splat (f64.const 0)))))))))
        (local.set $w (v128.load64_splat (i32.add (local.get $wp) (i32.shl (local.get $n) (i32.const 3)))))
        (v128.store (i32.add (local.get $out) (local.get $off))
          ;; two float64 pairs → four float32 lanes, each rounded to nearest as a Float32Array store
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero
              (f64x2.add (f64x2.promote_low_f32x4 (local.get $b)) (f64x2.mul (local.get $w) (local.get $nlo))))
            (f32x4.demote_f64x2_zero
              (f64x2.add (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b))) (f64x2.mul (local.get $w) (local.get $nhi))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $element))))

;; Keys kept by the last hist_high call (see there).
  (global $kept (export "kept") (mut i32) (i32.const 0))

  ;; One block of a histogram pass over the high 16 bits of order-preserving float32 keys
  ;; (engine/kernels/order-statistics.ts: highMagnitude, highSigned, and their *Keep forms):
  ;; key = |x|'s bits ($signed 0) or the signed order key ($signed 1); hist[key >>> 16]++ in u32
  ;; bins, and each bin that was 0 is listed in $touched, so that the caller adds only the bins the
  ;; block touched to its float64 histogram (and zeroes them). (Four interleaved copies of the bins,
  ;; against store-to-load waits on runs of one bin, measured slower: more bins to add up.) With $keep, keys whose bucket is in
  ;; [lo, lo + span] are appended to $keys (their number in the global `kept`). Returns the number
  ;; of touched bins.
  (func (export "hist_high") (param $vals i32) (param $n i32) (param $signed i32) (param $hist i32) (param $touched i32)
                             (param $keep i32) (param $lo i32) (param $span i32) (param $keys i32) (result i32)
    (local $i i32) (local $x i32) (local $k i32) (local $b i32) (local $p i32) (local $c i32) (local $t i32) (local $kc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i32.load (i32.add (local.get $vals) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $k (select
          (i32.xor (local.get $x) (i32.or (i32.shr_s (local.get $x) (i32.const 31)) (i32.const 0x80000000)))
          (i32.and (local.get $x) (i32.const 0x7fffffff))
          (local.get $signed)))
        (local.set $b (i32.shr_u (local.get $k) (i32.const 16)))
        (local.set $p (i32.add (local.get $hist) (i32.shl (local.get $b) (i32.const 2))))
        (local.set $c (i32.load (local.get $p)))
        (if (i32.eqz (local.get $c))
          (then
            (i32.store (i32.add (local.get $touched) (i32.shl (local.get $t) (i32.const 2))) (local.get $b))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))))
        (i32.store (local.get $p) (i32.add (local.get $c) (i32.const 1)))
        (if (local.get $keep)
          (then
            (if (i32.le_u (i32.sub (local.get $b) (local.get $lo)) (local.get $span))
              (then
                (i32.store (i32.add (local.get $keys) (i32.shl (local.get $kc) (i32.const 2))) (local.get $k))
                (local.set $kc (i32.add (local.get $kc) (i32.const 1)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (global.set $kept (local.get $kc))
    (local.get $t))

;; Keys below the range of the last range_high call.
  (global $below (export "below") (mut i32) (i32.const 0))

  ;; The key of a float32's bits: |x|'s bits ($signed 0) or the signed order key ($signed 1).
  (func $order_key (param $x i32) (param $signed i32) (result i32)
    (select
      (i32.xor (local.get $x) (i32.or (i32.shr_s (local.get $x) (i32.const 31)) (i32.const 0x80000000)))
      (i32.and (local.get $x) (i32.const 0x7fffffff))
      (local.get $signed)))

;; A first pass that knows the range [lo, lo + span] of high buckets its ranks probably fall in
  ;; (order-statistics.ts: rangedHigh): counts the keys below the range (global `below`) and
  ;; appends the keys whose bucket is in the range to $keys in element order; returns their number
  ;; (the keys above are n − below − kept; the caller counts the range's bins from the kept keys).
  ;; Without branches: four keys at a time, the in-range lanes moved to the front by a swizzle
  ;; picked by their mask ($table: 16 patterns of 16 bytes, simd-kernels.ts) and stored at $keys +
  ;; kc (four keys written, the count advanced by the mask's popcount): $keys has room for n + 3.
  (func (export "range_high") (param $vals i32) (param $n i32) (param $signed i32)
                              (param $lo i32) (param $span i32) (param $keys i32) (param $table i32) (result i32)
    (local $i i32) (local $n4 i32) (local $kc i32) (local $k v128) (local $x v128) (local $b v128) (local $acc v128) (local $bl i32)
    (local $flip v128) (local $set v128) (local $vlo v128) (local $vspan v128) (local $m i32) (local $key i32)
    ;; The key without a select: x ^ ((x >>s 31) & flip | set), with flip = the sign bit, set = 0
    ;; for |x|'s bits (x ^ (x & sign) = x & 0x7fffffff), and flip = all ones, set = the sign bit for
    ;; the signed key (x ^ ((x >>s 31) | sign)). Buckets (< 2¹⁶) compare signed below the range.
    (local.set $flip (i32x4.splat (select (i32.const -1) (i32.const 0x80000000) (local.get $signed))))
    (local.set $set (i32x4.splat (select (i32.const 0x80000000) (i32.const 0) (local.get $signed))))
    (local.set $vlo (i32x4.splat (local.get $lo)))
    (local.set $vspan (i32x4.splat (local.get $span)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $x (v128.load (i32.add (local.get $vals) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $k (v128.xor (local.get $x)
          (v128.or (v128.and (i32x4.shr_s (local.get $x) (i32.const 31)) (local.get $flip)) (local.get $set))))
        (local.set $b (i32x4.shr_u (local.get $k) (i32.const 16)))
        (local.set $acc (i32x4.sub (local.get $acc) (i32x4.lt_s (local.get $b) (local.get $vlo))))
        (local.set $m (i32x4.bitmask (i32x4.le_u (i32x4.sub (local.get $b) (local.get $vlo)) (local.get $vspan))))
        (v128.store (i32.add (local.get $keys) (i32.shl (local.get $kc) (i32.const 2)))
          (i8x16.swizzle (local.get $k) (v128.load (i32.add (local.get $table) (i32.shl (local.get $m) (i32.const 4))))))
        (local.set $kc (i32.add (local.get $kc) (i32.popcnt (local.get $m))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
    (local.set $bl (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
      (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $key (call $order_key (i32.load (i32.add (local.get $vals) (i32.shl (local.get $i) (i32.const 2)))) (local.get $signed)))
        (local.set $bl (i32.add (local.get $bl) (i32.lt_u (i32.shr_u (local.get $key) (i32.const 16)) (local.get $lo))))
        (if (i32.le_u (i32.sub (i32.shr_u (local.get $key) (i32.const 16)) (local.get $lo)) (local.get $span))
          (then
            (i32.store (i32.add (local.get $keys) (i32.shl (local.get $kc) (i32.const 2))) (local.get $key))
            (local.set $kc (i32.add (local.get $kc) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (global.set $below (local.get $bl))
    (local.get $kc))

;; DELLA's row ranks (methods/della.ts, rowRanks, the same stable LSD radix sort): ranks[j] (float64)
  ;; = the position of |src[j]| in ascending order of the 31 magnitude bits, ties by position.
  ;; $work: four u32 arrays of n (keys, order, and their scatter targets), $counts: 256 u32 bins.
  (func (export "row_ranks") (param $src i32) (param $n i32) (param $work i32) (param $counts i32) (param $ranks i32)
    (local $j i32) (local $shift i32) (local $k0 i32) (local $i0 i32) (local $k1 i32) (local $i1 i32)
    (local $t i32) (local $d i32) (local $sum i32) (local $k i32) (local $p i32) (local $at i32)
    (local.set $k0 (local.get $work))
    (local.set $i0 (i32.add (local.get $work) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $k1 (i32.add (local.get $work) (i32.shl (local.get $n) (i32.const 3))))
    (local.set $i1 (i32.add (local.get $i0) (i32.shl (local.get $n) (i32.const 3))))
    (block $loaded (loop $load
      (br_if $loaded (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $p (i32.shl (local.get $j) (i32.const 2)))
      (i32.store (i32.add (local.get $k0) (local.get $p)) (i32.and (i32.load (i32.add (local.get $src) (local.get $p))) (i32.const 0x7fffffff)))
      (i32.store (i32.add (local.get $i0) (local.get $p)) (local.get $j))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $load)))
    (if (i32.gt_u (local.get $n) (i32.const 1))
      (then
        (block $passes (loop $pass
          (br_if $passes (i32.ge_u (local.get $shift) (i32.const 32)))
          (local.set $d (i32.const 0))
          (block $zeroed (loop $zero
            (br_if $zeroed (i32.ge_u (local.get $d) (i32.const 1024)))
            (v128.store (i32.add (local.get $counts) (local.get $d)) (v128.const i32x4 0 0 0 0))
            (local.set $d (i32.add (local.get $d) (i32.const 16)))
            (br $zero)))
          (local.set $j (i32.const 0))
          (block $counted (loop $count
            (br_if $counted (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $p (i32.add (local.get $counts) (i32.shl (i32.and (i32.shr_u (i32.load (i32.add (local.get $k0) (i32.shl (local.get $j) (i32.const 2)))) (local.get $shift)) (i32.const 255)) (i32.const 2))))
            (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $count)))
          ;; Unless one digit holds the whole row (the order stands): prefix sums, then the stable scatter.
          (if (i32.ne (local.get $n)
                (i32.load (i32.add (local.get $counts) (i32.shl (i32.and (i32.shr_u (i32.load (local.get $k0)) (local.get $shift)) (i32.const 255)) (i32.const 2)))))
            (then
              (local.set $sum (i32.const 0))
              (local.set $d (i32.const 0))
              (block $summed (loop $prefix
                (br_if $summed (i32.ge_u (local.get $d) (i32.const 1024)))
                (local.set $p (i32.add (local.get $counts) (local.get $d)))
                (local.set $t (i32.load (local.get $p)))
                (i32.store (local.get $p) (local.get $sum))
                (local.set $sum (i32.add (local.get $sum) (local.get $t)))
                (local.set $d (i32.add (local.get $d) (i32.const 4)))
                (br $prefix)))
              (local.set $j (i32.const 0))
              (block $scattered (loop $scatter
                (br_if $scattered (i32.ge_u (local.get $j) (local.get $n)))
                (local.set $k (i32.load (i32.add (local.get $k0) (i32.shl (local.get $j) (i32.const 2)))))
                (local.set $p (i32.add (local.get $counts) (i32.shl (i32.and (i32.shr_u (local.get $k) (local.get $shift)) (i32.const 255)) (i32.const 2))))
                (local.set $at (i32.load (local.get $p)))
                (i32.store (local.get $p) (i32.add (local.get $at) (i32.const 1)))
                (i32.store (i32.add (local.get $k1) (i32.shl (local.get $at) (i32.const 2))) (local.get $k))
                (i32.store (i32.add (local.get $i1) (i32.shl (local.get $at) (i32.const 2)))
                  (i32.load (i32.add (local.get $i0) (i32.shl (local.get $j) (i32.const 2)))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $scatter)))
              (local.set $t (local.get $k0)) (local.set $k0 (local.get $k1)) (local.set $k1 (local.get $t))
              (local.set $t (local.get $i0)) (local.set $i0 (local.get $i1)) (local.set $i1 (local.get $t))))
          (local.set $shift (i32.add (local.get $shift) (i32.const 8)))
          (br $pass)))))
    (local.set $j (i32.const 0))
    (block $ranked (loop $rank
      (br_if $ranked (i32.ge_u (local.get $j) (local.get $n)))
      (f64.store (i32.add (local.get $ranks) (i32.shl (i32.load (i32.add (local.get $i0) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 3)))
        (f64.convert_i32_u (local.get $j)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $rank))))

;; MurmurHash3's 32-bit finaliser on four lanes (methods/shared/random.ts: fmix32).
  (func $fmix32x4 (param $h v128) (result v128)
    (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 16))))
    (local.set $h (i32x4.mul (local.get $h) (i32x4.splat (i32.const 0x85ebca6b))))
    (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 13))))
    (local.set $h (i32x4.mul (local.get $h) (i32x4.splat (i32.const 0xc2b2ae35))))
    (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 16))))

  ;; DELLA's drop of one row (methods/della.ts, dropRow after the ranks), in place on the float32
  ;; deltas at $k: p = min(1, max(0, first + rank·step)) in float64, u the draw of element
  ;; firstLo + j (as dare_drop: h = fmix32(key ^ fmix32(lo + hiMix)), u = (h >>> 8)·2⁻²⁴), and
  ;; k = f32(k·[u < p]·mul / div): $mode 0 keeps (mul = div = 1), 1 divides by p (+1 where p = 0),
  ;; 2 multiplies by $scale; multiplying or dividing by 1 is exact, so each mode rounds as its
  ;; JavaScript steps do. $n: a multiple of 4.
  (func (export "della_drop") (param $k i32) (param $ranks i32) (param $n i32) (param $key i32) (param $firstLo i32)
                              (param $hiMix i32) (param $first f64) (param $step f64) (param $mode i32) (param $scale f64)
    (local $i i32) (local $h v128) (local $idx v128) (local $x v128) (local $pl v128) (local $ph v128)
    (local $ul v128) (local $uh v128) (local $kl v128) (local $kh v128) (local $one v128) (local $zero v128)
    (local $vfirst v128) (local $vstep v128) (local $mul v128) (local $divide v128)
    (local.set $one (f64x2.splat (f64.const 1)))
    (local.set $zero (f64x2.splat (f64.const 0)))
    (local.set $vfirst (f64x2.splat (local.get $first)))
    (local.set $vstep (f64x2.splat (local.get $step)))
    (local.set $mul (select (f64x2.splat (local.get $scale)) (local.get $one) (i32.eq (local.get $mode) (i32.const 2))))
    (local.set $divide (i64x2.splat (i64.extend_i32_u (i32.eq (local.get $mode) (i32.const 1)))))
    (local.set $divide (i64x2.sub (i64x2.splat (i64.const 0)) (local.get $divide)))
    (local.set $idx (i32x4.add (i32x4.splat (local.get $firstLo)) (v128.const i32x4 0 1 2 3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $pl (f64x2.min (local.get $one) (f64x2.max (local.get $zero)
          (f64x2.add (local.get $vfirst) (f64x2.mul (v128.load (i32.add (local.get $ranks) (i32.shl (local.get $i) (i32.const 3)))) (local.get $vstep))))))
        (local.set $ph (f64x2.min (local.get $one) (f64x2.max (local.get $zero)
          (f64x2.add (local.get $vfirst) (f64x2.mul (v128.load offset=16 (i32.add (local.get $ranks) (i32.shl (local.get $i) (i32.const 3)))) (local.get $vstep))))))
        (local.set $h (i32x4.shr_u (call $fmix32x4 (v128.xor (i32x4.splat (local.get $key))
          (call $fmix32x4 (i32x4.add (local.get $idx) (i32x4.splat (local.get $hiMix)))))) (i32.const 8)))
        (local.set $ul (f64x2.mul (f64x2.convert_low_i32x4_u (local.get $h)) (f64x2.splat (f64.const 0x1p-24))))
        (local.set $uh (f64x2.mul (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $h) (local.get $h))) (f64x2.splat (f64.const 0x1p-24))))
        (local.set $x (v128.load (i32.add (local.get $k) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $kl (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (v128.and (local.get $one) (f64x2.lt (local.get $ul) (local.get $pl)))))
        (local.set $kh (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
          (v128.and (local.get $one) (f64x2.lt (local.get $uh) (local.get $ph)))))
        ;; div = p + [p = 0] in mode 1, else 1
        (local.set $pl (v128.bitselect (f64x2.add (local.get $pl) (v128.and (local.get $one) (f64x2.eq (local.get $pl) (local.get $zero)))) (local.get $one) (local.get $divide)))
        (local.set $ph (v128.bitselect (f64x2.add (local.get $ph) (v128.and (local.get $one) (f64x2.eq (local.get $ph) (local.get $zero)))) (local.get $one) (local.get $divide)))
        (v128.store (i32.add (local.get $k) (i32.shl (local.get $i) (i32.const 2)))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.div (f64x2.mul (local.get $kl) (local.get $mul)) (local.get $pl)))
            (f32x4.demote_f64x2_zero (f64x2.div (f64x2.mul (local.get $kh) (local.get $mul)) (local.get $ph)))))
        (local.set $idx (i32x4.add (local.get $idx) (i32x4.splat (i32.const 4))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next))))

  ;; DARE's drop (methods/dare.ts, dropBlock): out[k] = f32(δ · ([u < density] · scale)) with
  ;; δ = f32(m − b) and u = uniformAt(key, first + k) (24 bits, exact in float32):
  ;; h = fmix32(key ^ fmix32(lo + $hiMix)), lo = (first + k) mod 2^32, $hiMix = imul(hi, 0x27d4eb2f)
  ;; for hi = ⌊(first + k) / 2^32⌋ (the caller keeps a block inside one hi). $density: the least
  ;; float32 ≥ the density (float32AtLeast), so that the float32 comparison is the float64 one.
  (func (export "dare_drop") (param $m i32) (param $b i32) (param $out i32) (param $n i32)
                             (param $key i32) (param $firstLo i32) (param $hiMix i32) (param $density f32) (param $scale f64)
    (local $i i32) (local $off i32) (local $d v128) (local $h v128) (local $keep v128) (local $f v128) (local $idx v128)
    (local.set $idx (i32x4.add (i32x4.splat (local.get $firstLo)) (v128.const i32x4 0 1 2 3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $off (i32.shl (local.get $i) (i32.const 2)))
        (local.set $d (f32x4.sub (v128.load (i32.add (local.get $m) (local.get $off))) (v128.load (i32.add (local.get $b) (local.get $off)))))
        (local.set $h (call $fmix32x4 (v128.xor (i32x4.splat (local.get $key))
          (call $fmix32x4 (i32x4.add (local.get $idx) (i32x4.splat (local.get $hiMix)))))))
        (local.set $keep (f32x4.lt
          (f32x4.mul (f32x4.convert_i32x4_u (i32x4.shr_u (local.get $h) (i32.const 8))) (f32x4.splat (f32.const 0x1p-24)))
          (f32x4.splat (local.get $density))))
        ;; [u < density] · scale in float64, then δ times it, rounded to float32
        (local.set $f (f64x2.mul (v128.and (f64x2.splat (f64.const 1)) (i64x2.extend_low_i32x4_s (local.get $keep))) (f64x2.splat (local.get $scale))))
        (local.set $h (f64x2.mul (v128.and (f64x2.splat (f64.const 1)) (i64x2.extend_high_i32x4_s (local.get $keep))) (f64x2.splat (local.get $scale))))
        (v128.store (i32.add (local.get $out) (local.get $off))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.promote_low_f32x4 (local.get $d)) (local.get $f)))
            (f32x4.demote_f64x2_zero (f64x2.mul
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d) (local.get $d)))
              (local.get $h)))))
        (local.set $idx (i32x4.add (local.get $idx) (i32x4.splat (i32.const 4))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next))))

;; fastExp (engine/kernels/fast-math.ts) on two float64 lanes, for 0 <= x <= 88: e^x = 2^(k/32)·e^r,
  ;; k = trunc(32·x/ln 2 + 0.5), the same table ($table) and series with the same constants ($c:
  ;; 32/ln 2, the two parts of ln 2/32, 1/6, 1/24, 1/120 as float64). Other lanes give garbage
  ;; (the caller falls back to JavaScript there); k is clamped so that no read leaves the table.
  (func $fastExp2 (param $x v128) (param $c i32) (param $table i32) (param $last i32) (result v128)
    (local $k v128) (local $kf v128) (local $r v128) (local $p v128)
    (local.set $k (i32x4.min_s (i32x4.max_s
      (i32x4.trunc_sat_f64x2_s_zero (f64x2.add (f64x2.mul (local.get $x) (v128.load64_splat (local.get $c))) (f64x2.splat (f64.const 0.5))))
      (i32x4.splat (i32.const 0))) (i32x4.splat (local.get $last))))
    (local.set $kf (f64x2.convert_low_i32x4_s (local.get $k)))
    (local.set $r (f64x2.sub (f64x2.sub (local.get $x) (f64x2.mul (local.get $kf) (v128.load64_splat offset=8 (local.get $c))))
      (f64x2.mul (local.get $kf) (v128.load64_splat offset=16 (local.get $c)))))
    (local.set $p (f64x2.add (f64x2.splat (f64.const 1)) (f64x2.mul (local.get $r)
      (f64x2.add (f64x2.splat (f64.const 1)) (f64x2.mul (local.get $r)
        (f64x2.add (f64x2.splat (f64.const 0.5)) (f64x2.mul (local.get $r)
          (f64x2.add (v128.load64_splat offset=24 (local.get $c)) (f64x2.mul (local.get $r)
            (f64x2.add (v128.load64_splat offset=32 (local.get $c)) (f64x2.mul (local.get $r) (v128.load64_splat offset=40 (local.get $c)))))))))))))
    (f64x2.mul (local.get $p)
      (f64x2.replace_lane 1
        (v128.load64_splat (i32.add (local.get $table) (i32.shl (i32x4.extract_lane 0 (local.get $k)) (i32.const 3))))
        (f64.load (i32.add (local.get $table) (i32.shl (i32x4.extract_lane 1 (local.get $k)) (i32.const 3)))))))

  ;; fastTanh's series on two float64 lanes, for |x| < 1/16 ($c + 48: 1/3, 2/15, 17/315, 62/2835).
  (func $fastTanh2 (param $x v128) (param $c i32) (result v128)
    (local $x2 v128)
    (local.set $x2 (f64x2.mul (local.get $x) (local.get $x)))
    (f64x2.mul (local.get $x) (f64x2.sub (f64x2.splat (f64.const 1)) (f64x2.mul (local.get $x2)
      (f64x2.sub (v128.load64_splat offset=48 (local.get $c)) (f64x2.mul (local.get $x2)
        (f64x2.sub (v128.load64_splat offset=56 (local.get $c)) (f64x2.mul (local.get $x2)
          (f64x2.sub (v128.load64_splat offset=64 (local.get $c)) (f64x2.mul (local.get $x2) (v128.load64_splat offset=72 (local.get $c))))))))))))

  ;; PCB's β for one task (methods/pcb.ts, taskBetas): a = clamp(|δ|, lo, hi) (a < lo → lo, then
  ;; a > hi → hi); norm = f32(f32(a − min) / div) · scale; β = f32(fastExp(f32(nt · f32(norm²)))) ·
  ;; f32(fastTanh(f32(δ · Σδ))), all in float32 steps as the reference. Returns 1 when some element
  ;; needs the reference's Math.exp or Math.tanh (exp argument outside [0, 88], |δ·Σδ| ≥ 1/16, or
  ;; NaN): the caller then computes the block in JavaScript.
  (func (export "pcb_betas") (param $d i32) (param $sum i32) (param $out i32) (param $n i32)
                             (param $lo f32) (param $hi f32) (param $min f32) (param $div f32) (param $scale f32) (param $nt f32)
                             (param $c i32) (param $table i32) (param $last i32) (result i32)
    (local $i i32) (local $off i32) (local $x v128) (local $a v128) (local $e v128) (local $y v128) (local $lo4 v128) (local $hi4 v128)
    (local $el v128) (local $eh v128) (local $yl v128) (local $yh v128) (local $bad v128)
    (local.set $lo4 (f32x4.splat (local.get $lo)))
    (local.set $hi4 (f32x4.splat (local.get $hi)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $off (i32.shl (local.get $i) (i32.const 2)))
        (local.set $x (v128.load (i32.add (local.get $d) (local.get $off))))
        (local.set $a (f32x4.abs (local.get $x)))
        (local.set $a (v128.bitselect (local.get $lo4) (local.get $a) (f32x4.lt (local.get $a) (local.get $lo4))))
        (local.set $a (v128.bitselect (local.get $hi4) (local.get $a) (f32x4.gt (local.get $a) (local.get $hi4))))
        (local.set $a (f32x4.mul (f32x4.div (f32x4.sub (local.get $a) (f32x4.splat (local.get $min))) (f32x4.splat (local.get $div)))
          (f32x4.splat (local.get $scale))))
        (local.set $e (f32x4.mul (f32x4.splat (local.get $nt)) (f32x4.mul (local.get $a) (local.get $a))))
        (local.set $y (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $sum) (local.get $off)))))
        (local.set $el (f64x2.promote_low_f32x4 (local.get $e)))
        (local.set $eh (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e))))
        (local.set $yl (f64x2.promote_low_f32x4 (local.get $y)))
        (local.set $yh (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y))))
        ;; lanes outside the fast ranges (NaN fails every comparison)
        (local.set $bad (v128.or (local.get $bad) (v128.not (v128.and
          (v128.and (f32x4.ge (local.get $e) (f32x4.splat (f32.const 0))) (f32x4.le (local.get $e) (f32x4.splat (f32.const 88))))
          (f32x4.lt (f32x4.abs (local.get $y)) (f32x4.splat (f32.const 0.0625)))))))
        (v128.store (i32.add (local.get $out) (local.get $off))
          (f32x4.mul
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (f32x4.demote_f64x2_zero (call $fastExp2 (local.get $el) (local.get $c) (local.get $table) (local.get $last)))
              (f32x4.demote_f64x2_zero (call $fastExp2 (local.get $eh) (local.get $c) (local.get $table) (local.get $last))))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (f32x4.demote_f64x2_zero (call $fastTanh2 (local.get $yl) (local.get $c)))
              (f32x4.demote_f64x2_zero (call $fastTanh2 (local.get $yh) (local.get $c))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
    (v128.any_true (local.get $bad)))

;; PCB's final merge of one block (methods/pcb.ts, mergeBlock), four elements at a time, over the
  ;; $n tasks whose scale range is > 0 (the caller leaves the others out), in task order:
  ;;   s = f32(f32(max(β, lo) − lo) / range)   (β NaN → lo);  a = clamp(|δ|, clipLo, clipHi)
  ;;   num += ((w·a)·sign δ)·s,  den += s   (float64, from +0; sign δ = ±1 or +0, NaN → +0)
  ;;   out = f32(b + λ·(num / (den > 1e-12 ? den : 1e-12)))
  ;; $deltas, $betas: n pointers (i32) each; $params: per task 32 bytes: lo, range, clipLo, clipHi
  ;; (f32), w (f64), 8 unused.
  (func (export "pcb_merge") (param $n i32) (param $deltas i32) (param $betas i32) (param $params i32)
                             (param $base i32) (param $out i32) (param $len i32) (param $lambda f64)
    (local $i i32) (local $t i32) (local $off i32) (local $p i32) (local $x v128) (local $b v128) (local $s v128)
    (local $a v128) (local $sg v128) (local $wa v128) (local $nl v128) (local $nh v128) (local $dl v128) (local $dh v128)
    (local $v v128) (local $lo v128) (local $w v128)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $off (i32.shl (local.get $i) (i32.const 2)))
        (local.set $nl (f64x2.splat (f64.const 0)))
        (local.set $nh (f64x2.splat (f64.const 0)))
        (local.set $dl (f64x2.splat (f64.const 0)))
        (local.set $dh (f64x2.splat (f64.const 0)))
        (local.set $t (i32.const 0))
        (block $tasksDone
          (loop $task
            (br_if $tasksDone (i32.ge_u (local.get $t) (local.get $n)))
            (local.set $p (i32.add (local.get $params) (i32.shl (local.get $t) (i32.const 5))))
            (local.set $x (v128.load (i32.add (i32.load (i32.add (local.get $deltas) (i32.shl (local.get $t) (i32.const 2)))) (local.get $off))))
            (local.set $b (v128.load (i32.add (i32.load (i32.add (local.get $betas) (i32.shl (local.get $t) (i32.const 2)))) (local.get $off))))
            (local.set $lo (f32x4.splat (f32.load (local.get $p))))
            (local.set $s (f32x4.div
              (f32x4.sub (v128.bitselect (local.get $b) (local.get $lo) (f32x4.gt (local.get $b) (local.get $lo))) (local.get $lo))
              (f32x4.splat (f32.load offset=4 (local.get $p)))))
            (local.set $a (f32x4.abs (local.get $x)))
            (local.set $v (f32x4.splat (f32.load offset=8 (local.get $p))))
            (local.set $a (v128.bitselect (local.get $v) (local.get $a) (f32x4.lt (local.get $a) (local.get $v))))
            (local.set $v (f32x4.splat (f32.load offset=12 (local.get $p))))
            (local.set $a (v128.bitselect (local.get $v) (local.get $a) (f32x4.gt (local.get $a) (local.get $v))))
            ;; sign δ: +1 where δ > 0, −1 where δ < 0, +0 elsewhere
            (local.set $sg (v128.or
              (v128.and (f32x4.gt (local.get $x) (f32x4.splat (f32.const 0))) (f32x4.splat (f32.const 1)))
              (v128.and (f32x4.lt (local.get $x) (f32x4.splat (f32.const 0))) (f32x4.splat (f32.const -1)))))
            (local.set $w (f64x2.splat (f64.load offset=16 (local.get $p))))
            (local.set $nl (f64x2.add (local.get $nl) (f64x2.mul (f64x2.mul (f64x2.mul (local.get $w)
              (f64x2.promote_low_f32x4 (local.get $a))) (f64x2.promote_low_f32x4 (local.get $sg))) (f64x2.promote_low_f32x4 (local.get $s)))))
            (local.set $a (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))
            (local.set $sg (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $sg) (local.get $sg)))
            (local.set $nh (f64x2.add (local.get $nh) (f64x2.mul (f64x2.mul (f64x2.mul (local.get $w)
              (f64x2.promote_low_f32x4 (local.get $a))) (f64x2.promote_low_f32x4 (local.get $sg)))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $s) (local.get $s))))))
            (local.set $dl (f64x2.add (local.get $dl) (f64x2.promote_low_f32x4 (local.get $s))))
            (local.set $dh (f64x2.add (local.get $dh)
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $s) (local.get $s)))))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $task)))
        ;; den > 1e-12 ? den : 1e-12 (NaN → 1e-12)
        (local.set $v (f64x2.splat (f64.const 1e-12)))
        (local.set $dl (v128.bitselect (local.get $dl) (local.get $v) (f64x2.gt (local.get $dl) (local.get $v))))
        (local.set $dh (v128.bitselect (local.get $dh) (local.get $v) (f64x2.gt (local.get $dh) (local.get $v))))
        (local.set $b (v128.load (i32.add (local.get $base) (local.get $off))))
        (local.set $v (f64x2.splat (local.get $lambda)))
        (v128.store (i32.add (local.get $out) (local.get $off))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.add (f64x2.promote_low_f32x4 (local.get $b))
              (f64x2.mul (local.get $v) (f64x2.div (local.get $nl) (local.get $dl)))))
            (f32x4.demote_f64x2_zero (f64x2.add
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
              (f64x2.mul (local.get $v) (f64x2.div (local.get $nh) (local.get $dh)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next))))

  ;; The same computation unrolled for 1 to 8 models, one function per flag set: ties_<n>_<flags>.
  ;; @splice ties-wat.js unrolledTiesFunctions
)
