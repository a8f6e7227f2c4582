/**
 * Small tensor helpers for the tfjs kernels. Inside a `tf.tidy` every intermediate lives until the
 * scope ends, so loops over models keep memory flat by computing each model's terms in their own
 * scope and folding them into one accumulator (`addInto` disposes what it replaces).
 */
import * as tf from "@tensorflow/tfjs-core";

/** A chunk-long 1-D tensor (typed loosely: tfjs ops return `Tensor<Rank>`). */
export type T1 = tf.Tensor;

/** 1 where `b` holds, else 0, as float32. */
export function mask(b: T1): T1 {
  return tf.cast(b, "float32");
}

/** acc + term, freeing both (null: the first term). */
export function addInto(acc: T1 | null, term: T1): T1 {
  if (acc === null) return term;
  const next = tf.add(acc, term);
  acc.dispose();
  term.dispose();
  return next;
}

/** Folds `term(i)` for i in [0, n) into a sum, each term in its own scope; zeros when n is 0. */
export function sumOver(n: number, length: number, term: (i: number) => T1): T1 {
  let acc: T1 | null = null;
  for (let i = 0; i < n; i++) acc = addInto(acc, tf.tidy(() => term(i)));
  return acc ?? tf.zeros([length], "float32");
}

/** Two sums folded together (numerator and denominator of a weighted mean). */
export function sumPairOver(n: number, length: number, terms: (i: number) => [T1, T1] | null): [T1, T1] {
  let a: T1 | null = null;
  let b: T1 | null = null;
  for (let i = 0; i < n; i++) {
    const pair = tf.tidy((): T1[] => terms(i) ?? []);
    if (pair.length === 0) continue;
    a = addInto(a, pair[0]!);
    b = addInto(b, pair[1]!);
  }
  return [a ?? tf.zeros([length], "float32"), b ?? tf.zeros([length], "float32")];
}

/** δ = f32(model − base), as the CPU kernels and the papers' code form it. */
export function delta(model: T1, base: T1): T1 {
  return tf.sub(model, base);
}

/** +1 where v ≥ 0 (a zero vote elects +1), −1 where v < 0, 0 where v is NaN (agrees with nothing). */
export function electedSign(v: T1): T1 {
  return tf.sub(mask(tf.greaterEqual(v, 0)), mask(tf.less(v, 0)));
}

/**
 * Σ term(i) with Neumaier's compensation: the running float32 sum and the rounding errors it drops,
 * added at the end. Where the CPU kernels sum in float64 only a sign is taken (a vote), and an
 * uncompensated float32 sum can round a near-cancellation to 0 and elect the other sign.
 */
export function compensatedSumOver(n: number, length: number, term: (i: number) => T1): T1 {
  let sum: T1 | null = null;
  let carry: T1 | null = null;
  for (let i = 0; i < n; i++) {
    const x = tf.tidy(() => term(i));
    if (sum === null) {
      sum = x;
      continue;
    }
    const s: T1 = sum;
    const [next, err] = tf.tidy(() => {
      const t = tf.add(s, x);
      // The low-order part lost in s + x: exact when |s| ≥ |x| as (s − t) + x, else as (x − t) + s.
      const lost = tf.where(tf.greaterEqual(tf.abs(s), tf.abs(x)), tf.add(tf.sub(s, t), x), tf.add(tf.sub(x, t), s));
      // An infinite or NaN sum has no low-order part (∞ − ∞ would make it NaN): t − t is 0 only when t is finite.
      return [t, tf.where(tf.equal(tf.sub(t, t), 0), lost, 0)];
    });
    s.dispose();
    x.dispose();
    sum = next!;
    carry = addInto(carry, err!);
  }
  if (sum === null) return tf.zeros([length], "float32");
  if (carry === null) return sum;
  const total = tf.add(sum, carry);
  sum.dispose();
  carry.dispose();
  return total;
}
