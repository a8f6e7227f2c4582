/**
 * Weights as plain named arrays, the form they are saved in: an encoder (`encoder.layers.N.weight`
 * [out, in] and `encoder.layers.N.bias` [out], as PyTorch's nn.Linear stores them, so per-layer
 * reports and `where layers a..b` clauses see the layer index) and one head per task
 * (`heads.<task>.weight` [classes, features], `heads.<task>.bias`), kept outside the merged encoder.
 */
import { Rng } from "./random.js";

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/** Tensors in a fixed order (the order they are saved in). */
export type Weights = Map<string, NamedTensor>;

export const layerWeight = (layer: number): string => `encoder.layers.${layer}.weight`;
export const layerBias = (layer: number): string => `encoder.layers.${layer}.bias`;
export const headWeight = (task: string): string => `heads.${task}.weight`;
export const headBias = (task: string): string => `heads.${task}.bias`;

/** He-normal weights (suited to ReLU) and zero biases for a linear layer [out, in]. */
function linearLayer(out: number, inp: number, rng: Rng): [NamedTensor, NamedTensor] {
  const w = new Float32Array(out * inp);
  const scale = Math.sqrt(2 / inp);
  for (let i = 0; i < w.length; i++) w[i] = rng.normal() * scale;
  return [{ shape: [out, inp], data: w }, { shape: [out], data: new Float32Array(out) }];
}

/** An encoder with layer sizes [input, hidden..., features], every layer followed by ReLU. */
export function initEncoder(sizes: readonly number[], rng: Rng): Weights {
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s <= 0)) throw new Error(`invalid encoder sizes ${JSON.stringify(sizes)}`);
  const w: Weights = new Map();
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [weight, bias] = linearLayer(sizes[l + 1]!, sizes[l]!, rng);
    w.set(layerWeight(l), weight);
    w.set(layerBias(l), bias);
  }
  return w;
}

export function initHead(task: string, features: number, classes: number, rng: Rng): Weights {
  const [weight, bias] = linearLayer(classes, features, rng);
  return new Map([[headWeight(task), weight], [headBias(task), bias]]);
}

/** Number of linear layers of an encoder, checked to be named 0..N-1 with matching shapes. */
export function encoderDepth(encoder: Weights): number {
  let depth = 0;
  while (encoder.has(layerWeight(depth))) depth++;
  if (depth === 0) throw new Error(`no "${layerWeight(0)}" tensor: not an encoder`);
  for (let l = 0; l < depth; l++) {
    const w = encoder.get(layerWeight(l))!;
    const b = encoder.get(layerBias(l));
    if (w.shape.length !== 2 || !b || b.shape.length !== 1 || b.shape[0] !== w.shape[0]) {
      throw new Error(`encoder layer ${l}: weight ${JSON.stringify(w.shape)} and bias ${JSON.stringify(b?.shape ?? null)} do not form a linear layer`);
    }
    if (l > 0 && w.shape[1] !== encoder.get(layerWeight(l - 1))!.shape[0]) {
      throw new Error(`encoder layer ${l} takes ${w.shape[1]} inputs but layer ${l - 1} gives ${encoder.get(layerWeight(l - 1))!.shape[0]}`);
    }
  }
  return depth;
}

/** The head of `task` from a set of weights holding it. */
export function pickHead(weights: Weights, task: string): Weights {
  const w = weights.get(headWeight(task));
  const b = weights.get(headBias(task));
  if (!w || !b) throw new Error(`no head for task "${task}" (expected ${headWeight(task)} and ${headBias(task)})`);
  return new Map([[headWeight(task), w], [headBias(task), b]]);
}
