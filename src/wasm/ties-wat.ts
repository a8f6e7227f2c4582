/**
 * WebAssembly text of TIES's elect-and-merge unrolled over the models, one function per model
 * count (1 to UNROLLED_TIES_MAX) and flag set, named `ties_<n>_<flags>`: the counterpart of
 * ties.ts's generated JavaScript loops. Without loops over models or branches on options, every
 * value stays in a register. `npm run build` (scripts/build/build-wasm.mjs) splices these functions
 * into kernels.wat where it says `;; @unrolled-ties`; they compute exactly what the looped `ties`
 * there computes (same flags, same order of operations).
 */

export const UNROLLED_TIES_MAX = 8;
/** Flag sets: count 1, normalize 2, deltas 4, zeroStart 8, unit 16 (every weight 1 and λ = 1: no multiplies by them). */
export const TIES_FLAG_COUNT = 32;

const hiLanes = "i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7";
const get = (name: string): string => `(local.get $${name})`;
const promoteLo = (x: string): string => `(f64x2.promote_low_f32x4 ${x})`;
const promoteHi = (x: string): string => `(f64x2.promote_low_f32x4 (${hiLanes} ${x} ${x}))`;
const f64 = (op: string, a: string, b: string): string => `(f64x2.${op} ${a} ${b})`;
/** 1.0 where the comparison holds, else +0 (in float64 lanes). */
const oneIf = (cmp: string): string => `(v128.and (f64x2.splat (f64.const 1)) ${cmp})`;
const zero64 = "(f64x2.splat (f64.const 0))";

/** `ties_<n>_<flags>(models, base, out, len, params)`: see `ties` in kernels.wat for the formula. */
export function unrolledTiesFunction(n: number, flags: number): string {
  const count = (flags & 1) !== 0;
  const normalize = (flags & 2) !== 0;
  const deltas = (flags & 4) !== 0;
  const start = (flags & 8) !== 0 ? "(f64x2.splat (f64.const 0))" : "(f64x2.splat (f64.const -0))";
  // 1·x = x for every float64 (NaN stays NaN): unit weights and λ need no multiply.
  const unit = (flags & 16) !== 0;
  const byWeight = (i: number, x: string): string => (unit ? x : f64("mul", get(`w${i}`), x));
  const ids = Array.from({ length: n }, (_, i) => i);
  const weightsAt = 4 * ((n + 1) & ~1);
  const lines: string[] = [];
  const locals = [
    ...ids.map((i) => `(local $m${i} i32) (local $t${i} v128) (local $w${i} v128) (local $k${i} v128) (local $kl${i} v128) (local $kh${i} v128)`),
    "(local $j i32) (local $off i32) (local $b v128) (local $d v128) (local $lambda v128)",
    "(local $vl v128) (local $vh v128) (local $nl v128) (local $nh v128) (local $dl v128) (local $dh v128) (local $al v128) (local $ah v128)",
  ];
  lines.push(`  (func (export "ties_${n}_${flags}") (param $models i32) (param $base i32) (param $out i32) (param $len i32) (param $params i32)`);
  lines.push(...locals.map((l) => `    ${l}`));
  for (const i of ids) {
    lines.push(`    (local.set $m${i} (i32.load offset=${4 * i} (local.get $models)))`);
    lines.push(`    (local.set $t${i} (v128.load32_splat offset=${4 * i} (local.get $params)))`);
    lines.push(`    (local.set $w${i} (v128.load64_splat offset=${weightsAt + 8 * i} (local.get $params)))`);
  }
  lines.push(`    (local.set $lambda (v128.load64_splat offset=${weightsAt + 8 * n} (local.get $params)))`);
  lines.push("    (block $done (loop $element");
  lines.push("      (br_if $done (i32.ge_u (local.get $j) (local.get $len)))");
  lines.push("      (local.set $off (i32.shl (local.get $j) (i32.const 2)))");
  lines.push("      (local.set $b (v128.load (i32.add (local.get $base) (local.get $off))))");
  lines.push(`      (local.set $vl ${start}) (local.set $vh ${start})`);
  for (const i of ids) {
    const load = `(v128.load (i32.add (local.get $m${i}) (local.get $off)))`;
    lines.push(`      (local.set $d ${deltas ? load : `(f32x4.sub ${load} ${get("b")})`})`);
    lines.push(`      (local.set $k${i} (f32x4.mul ${get("d")} (v128.and (f32x4.splat (f32.const 1)) (f32x4.ge (f32x4.abs ${get("d")}) ${get(`t${i}`)}))))`);
    lines.push(`      (local.set $kl${i} ${promoteLo(get(`k${i}`))}) (local.set $kh${i} ${promoteHi(get(`k${i}`))})`);
    if (count) {
      const sign = `(f32x4.sub (v128.and (f32x4.splat (f32.const 1)) (f32x4.gt ${get(`k${i}`)} (f32x4.splat (f32.const 0)))) (v128.and (f32x4.splat (f32.const 1)) (f32x4.lt ${get(`k${i}`)} (f32x4.splat (f32.const 0)))))`;
      lines.push(`      (local.set $d ${sign})`);
      lines.push(`      (local.set $vl ${f64("add", get("vl"), promoteLo(get("d")))}) (local.set $vh ${f64("add", get("vh"), promoteHi(get("d")))})`);
    } else {
      lines.push(`      (local.set $vl ${f64("add", get("vl"), byWeight(i, get(`kl${i}`)))}) (local.set $vh ${f64("add", get("vh"), byWeight(i, get(`kh${i}`)))})`);
    }
  }
  lines.push(`      (local.set $vl ${f64("add", get("vl"), oneIf(f64("eq", get("vl"), zero64)))}) (local.set $vh ${f64("add", get("vh"), oneIf(f64("eq", get("vh"), zero64)))})`);
  lines.push(`      (local.set $nl ${start}) (local.set $nh ${start}) (local.set $dl ${start}) (local.set $dh ${start})`);
  for (const i of ids) {
    lines.push(`      (local.set $al ${byWeight(i, oneIf(f64("gt", f64("mul", get(`kl${i}`), get("vl")), zero64)))})`);
    lines.push(`      (local.set $ah ${byWeight(i, oneIf(f64("gt", f64("mul", get(`kh${i}`), get("vh")), zero64)))})`);
    lines.push(`      (local.set $nl ${f64("add", get("nl"), f64("mul", get("al"), get(`kl${i}`)))}) (local.set $nh ${f64("add", get("nh"), f64("mul", get("ah"), get(`kh${i}`)))})`);
    lines.push(`      (local.set $dl ${f64("add", get("dl"), get("al"))}) (local.set $dh ${f64("add", get("dh"), get("ah"))})`);
  }
  if (normalize) {
    lines.push(`      (local.set $nl ${f64("div", get("nl"), f64("add", get("dl"), oneIf(f64("eq", get("dl"), zero64))))})`);
    lines.push(`      (local.set $nh ${f64("div", get("nh"), f64("add", get("dh"), oneIf(f64("eq", get("dh"), zero64))))})`);
  }
  lines.push("      (v128.store (i32.add (local.get $out) (local.get $off))");
  lines.push("        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23");
  const byLambda = (x: string): string => (unit ? x : f64("mul", get("lambda"), x));
  lines.push(`          (f32x4.demote_f64x2_zero ${f64("add", promoteLo(get("b")), byLambda(get("nl")))})`);
  lines.push(`          (f32x4.demote_f64x2_zero ${f64("add", promoteHi(get("b")), byLambda(get("nh")))})))`);
  lines.push("      (local.set $j (i32.add (local.get $j) (i32.const 4)))");
  lines.push("      (br $element)))");
  lines.push("  )");
  return lines.join("\n");
}

/** Every unrolled function, for kernels.wat's `;; @unrolled-ties` line. */
export function unrolledTiesFunctions(): string {
  const out: string[] = [];
  for (let n = 1; n <= UNROLLED_TIES_MAX; n++) for (let f = 0; f < TIES_FLAG_COUNT; f++) out.push(unrolledTiesFunction(n, f));
  return out.join("\n\n");
}
