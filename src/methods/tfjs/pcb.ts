/**
 * `pcb` on tensors: the CPU kernel's float32 steps (spec §6) with tfjs ops — clip |δ| between the
 * task's order statistics, intra = exp(n·norm(a)²), inter = tanh(δ·Σⱼδⱼ), β = intra·inter, the scale
 * from β clamped below at the drop threshold, and τ = Σ sign(δ)·a·s / max(Σ s, 1e-12). Comparisons
 * are selections (`where`) written as the CPU kernel's ternaries, so NaN behaves the same.
 */
import * as tf from "@tensorflow/tfjs-core";
import { type PcbClip, type PcbStats, pcbKernel } from "../pcb.js";
import type { StageResults } from "../method.js";
import { type TensorChunk, tfjsKernel } from "./kernel.js";
import { type T1, delta, sumOver, sumPairOver } from "./ops.js";

/** clamp(|δ|, lo, hi) as `a < lo ? lo : a`, then `a > hi ? hi : a` (lo > hi gives hi). */
function clipped(d: T1, clip: PcbClip): T1 {
  const a = tf.abs(d);
  const low = tf.where(tf.less(a, clip.lo), clip.lo, a);
  return tf.where(tf.greater(low, clip.hi), clip.hi, low);
}

/** β = exp(n·norm(a)²) · tanh(δ·Σⱼδⱼ) for one task, in float32 steps. */
function beta(d: T1, clip: PcbClip, n: number, sum: T1): T1 {
  const scale = clip.range > 0 ? 1 : 0; // a zero range normalises to 0
  const div = clip.range > 0 ? clip.range : 1;
  const norm = tf.mul(tf.div(tf.sub(clipped(d, clip), clip.min), div), scale);
  const intra = tf.exp(tf.mul(tf.square(norm), n));
  const inter = tf.tanh(tf.mul(d, sum));
  return tf.mul(intra, inter);
}

/** Σⱼ δⱼ in float32, model by model, as torch.sum over the task dimension. */
function deltaSum(chunk: TensorChunk): T1 {
  return sumOver(chunk.inputs.length, chunk.length, (j) => delta(chunk.inputs[j]!, chunk.base!));
}

function clipsOf(stage: number[][]): PcbClip[] {
  return stage.map(([lo, hi]) => {
    const min = lo! <= hi! ? lo! : hi!;
    return { lo: lo!, hi: hi!, min, range: Math.fround(hi! - min) };
  });
}

function series(stage: number, earlier: StageResults, chunk: TensorChunk): T1[] {
  const deltas = (): T1[] => chunk.inputs.map((m) => delta(m, chunk.base!));
  if (stage === 0) return deltas();
  const clips = clipsOf(earlier[0]!);
  const sum = deltaSum(chunk);
  const n = chunk.inputs.length;
  const out = chunk.inputs.map((m, i) => tf.tidy(() => beta(delta(m, chunk.base!), clips[i]!, n, sum)));
  sum.dispose();
  return out;
}

function merge(params: { lambda: number; weights: number[] }, st: PcbStats, chunk: TensorChunk): T1 {
  const { inputs, length } = chunk;
  const base = chunk.base!;
  const n = inputs.length;
  const sum = deltaSum(chunk);
  const [num, den] = sumPairOver(n, length, (i) => {
    const range = st.dropRange[i]!;
    if (!(range > 0)) return null; // the scale normalisation divides by zero: scale 0
    const lo = st.dropLo[i]!;
    const d = delta(inputs[i]!, base);
    const b = beta(d, st.clip[i]!, n, sum);
    const scale = tf.div(tf.sub(tf.where(tf.greater(b, lo), b, lo), lo), range);
    const w = params.weights[i]!;
    const term = tf.mul(tf.mul(clipped(d, st.clip[i]!), tf.sign(d)), scale);
    return [w === 1 ? term : tf.mul(term, w), scale];
  });
  sum.dispose();
  const safe = tf.where(tf.greater(den, 1e-12), den, 1e-12);
  return tf.add(base, tf.mul(tf.div(num, safe), params.lambda));
}

export const pcbTfjsKernel = tfjsKernel(pcbKernel, {
  deviceTemps: () => 27,
  series: (_params, stage, earlier, chunk) => series(stage, earlier, chunk),
  // stage 1: every task's β, Σⱼδⱼ, and one β's intermediates
  seriesTemps: (n) => n + 6,
  apply: (params, stats, chunk) => merge(params, stats!, chunk),
});
