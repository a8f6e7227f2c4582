/** The encoder and heads as tfjs computations: training forward passes and batched inference. */
import * as tf from "@tensorflow/tfjs-core";
import { dense, relu } from "./autograd.js";
import { type Weights, encoderDepth, headBias, headWeight, layerBias, layerWeight } from "./weights.js";

/** One linear layer on the tfjs side (variables while training, constants when frozen). */
export interface Linear {
  weight: tf.Tensor2D;
  bias: tf.Tensor1D;
}

/** Rows of inputs: `count` rows of `width` values. */
export interface InputRows {
  count: number;
  width: number;
  inputs: Float32Array;
}

export function linearFrom(weights: Weights, weightName: string, biasName: string, trainable: boolean): Linear {
  const w = weights.get(weightName);
  const b = weights.get(biasName);
  if (!w || !b) throw new Error(`missing ${!w ? weightName : biasName}`);
  const weight = tf.tensor2d(w.data, w.shape as [number, number]);
  const bias = tf.tensor1d(b.data);
  if (!trainable) return { weight, bias };
  return { weight: tf.variable(weight, true, weightName), bias: tf.variable(bias, true, biasName) };
}

export function encoderLayers(encoder: Weights, trainable: boolean): Linear[] {
  const depth = encoderDepth(encoder);
  return Array.from({ length: depth }, (_, l) => linearFrom(encoder, layerWeight(l), layerBias(l), trainable));
}

export function headLayer(head: Weights, task: string, trainable: boolean): Linear {
  return linearFrom(head, headWeight(task), headBias(task), trainable);
}

/** Differentiable features: every encoder layer is linear then ReLU. */
export function encodeForTraining(layers: Linear[], x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  for (const l of layers) h = relu(dense(h, l.weight, l.bias));
  return h;
}

/** Reads tfjs layers back into named arrays. */
export function weightsFrom(layers: { linear: Linear; weightName: string; biasName: string }[]): Weights {
  const w: Weights = new Map();
  for (const { linear, weightName, biasName } of layers) {
    w.set(weightName, { shape: [...linear.weight.shape], data: Float32Array.from(linear.weight.dataSync()) });
    w.set(biasName, { shape: [...linear.bias.shape], data: Float32Array.from(linear.bias.dataSync()) });
  }
  return w;
}

export function disposeLayers(layers: Linear[]): void {
  for (const l of layers) {
    l.weight.dispose();
    l.bias.dispose();
  }
}

const INFERENCE_BATCH = 1000;

/** Encoder features of every row (no gradient tape), as rows of the last layer's width. */
export function encodeRows(encoder: Weights, rows: InputRows): { features: Float32Array; width: number } {
  const layers = encoderLayers(encoder, false);
  const width = layers[layers.length - 1]!.weight.shape[0];
  if (layers[0]!.weight.shape[1] !== rows.width) {
    disposeLayers(layers);
    throw new Error(`the encoder takes ${layers[0]!.weight.shape[1]} inputs but the rows have ${rows.width}`);
  }
  const features = new Float32Array(rows.count * width);
  try {
    for (let start = 0; start < rows.count; start += INFERENCE_BATCH) {
      const n = Math.min(INFERENCE_BATCH, rows.count - start);
      const out = tf.tidy(() => {
        let h: tf.Tensor2D = tf.tensor2d(rows.inputs.subarray(start * rows.width, (start + n) * rows.width), [n, rows.width]);
        for (const l of layers) h = tf.relu(tf.add(tf.matMul(h, l.weight, false, true), l.bias)) as tf.Tensor2D;
        return h.dataSync() as Float32Array;
      });
      features.set(out, start * width);
    }
  } finally {
    disposeLayers(layers);
  }
  return { features, width };
}

/** Predicted class of every row: argmax of the head's logits on the encoder's features. */
export function predictClasses(encoder: Weights, head: Weights, task: string, rows: InputRows): Uint8Array {
  const { features, width } = encodeRows(encoder, rows);
  return predictFromFeatures(head, task, { count: rows.count, width, inputs: features });
}

export function predictFromFeatures(head: Weights, task: string, features: InputRows): Uint8Array {
  const w = head.get(headWeight(task));
  const b = head.get(headBias(task));
  if (!w || !b) throw new Error(`no head for task "${task}"`);
  const [classes, width] = w.shape as [number, number];
  if (width !== features.width) throw new Error(`head "${task}" takes ${width} features but the encoder gives ${features.width}`);
  const out = new Uint8Array(features.count);
  for (let r = 0; r < features.count; r++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = b.data[c]!;
      for (let k = 0; k < width; k++) s += w.data[c * width + k]! * features.inputs[r * width + k]!;
      // Strictly greater: ties go to the lowest class, as argmax does.
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}
