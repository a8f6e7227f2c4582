/**
 * The two training steps of the protocol, with tfjs autograd (`optimizer.minimize`) on the CPU
 * backend, seeded batch order and deterministic arithmetic:
 * - pre-training: the encoder and its 10-way classifier on the pre-training domains;
 * - fine-tuning: the encoder alone on one task, its head frozen (as the task-arithmetic and TIES
 *   papers freeze CLIP's zero-shot head), so the pre-trained, fine-tuned and merged encoders are
 *   all read by the same head.
 */
import * as tf from "@tensorflow/tfjs-core";
import { softmaxCrossEntropy, dense } from "./autograd.js";
import type { LabelledInputs } from "./inputs.js";
import { type Linear, disposeLayers, encodeForTraining, encoderLayers, headLayer, weightsFrom } from "./network.js";
import type { Rng } from "./random.js";
import { type Weights, encoderDepth, headBias, headWeight, initEncoder, initHead, layerBias, layerWeight } from "./weights.js";

export type OptimizerSpec =
  | { kind: "adam"; learningRate: number }
  | { kind: "momentum"; learningRate: number; momentum: number };

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerSpec;
}

/** Mean training loss of each epoch. */
export type LossCurve = number[];

function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  return spec.kind === "adam" ? tf.train.adam(spec.learningRate) : tf.train.momentum(spec.learningRate, spec.momentum);
}

/**
 * Minimises `loss(x, targets)` over shuffled mini-batches of `data`. Only `variables` are updated.
 */
function runEpochs(
  data: { count: number; width: number; inputs: Float32Array; labels: Uint8Array },
  classes: number,
  settings: TrainSettings,
  variables: tf.Variable[],
  loss: (x: tf.Tensor2D, targets: tf.Tensor2D) => tf.Scalar,
  rng: Rng,
): LossCurve {
  if (data.count === 0) throw new Error("no training rows");
  const optimizer = makeOptimizer(settings.optimizer);
  const X = tf.tensor2d(data.inputs, [data.count, data.width]);
  const Y = tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from(data.labels), "int32"), classes), "float32") as tf.Tensor2D;
  const order = Int32Array.from({ length: data.count }, (_, i) => i);
  const curve: LossCurve = [];
  try {
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      rng.shuffle(order);
      let total = 0;
      for (let start = 0; start < data.count; start += settings.batchSize) {
        const rows = order.subarray(start, Math.min(start + settings.batchSize, data.count));
        const value = tf.tidy(() => {
          const idx = tf.tensor1d(rows, "int32");
          const xb = tf.gather(X, idx) as tf.Tensor2D;
          const yb = tf.gather(Y, idx) as tf.Tensor2D;
          const cost = optimizer.minimize(() => loss(xb, yb), true, variables);
          return cost!.dataSync()[0]!;
        });
        if (!Number.isFinite(value)) throw new Error(`training diverged at epoch ${epoch + 1} (loss ${value})`);
        total += value * rows.length;
      }
      curve.push(total / data.count);
    }
  } finally {
    X.dispose();
    Y.dispose();
    optimizer.dispose();
  }
  return curve;
}

const variablesOf = (layers: Linear[]): tf.Variable[] => layers.flatMap((l) => [l.weight as tf.Variable, l.bias as tf.Variable]);

const encoderNames = (depth: number) => Array.from({ length: depth }, (_, l) => ({ weightName: layerWeight(l), biasName: layerBias(l) }));

/** A freshly initialised encoder and classifier (`heads.pretraining.*`) trained on `data` (labels 0..classes-1). */
export function pretrainEncoder(sizes: readonly number[], data: LabelledInputs, classes: number, settings: TrainSettings, rng: Rng): { encoder: Weights; classifier: Weights; curve: LossCurve } {
  if (sizes[0] !== data.width) throw new Error(`encoder input size ${sizes[0]} does not match the data's ${data.width}`);
  const init = initEncoder(sizes, rng);
  const classifier = initHead("pretraining", sizes[sizes.length - 1]!, classes, rng);
  const layers = encoderLayers(init, true);
  const head = headLayer(classifier, "pretraining", true);
  try {
    const curve = runEpochs(data, classes, settings, [...variablesOf(layers), ...variablesOf([head])], (x, y) => softmaxCrossEntropy(dense(encodeForTraining(layers, x), head.weight, head.bias), y), rng);
    const encoder = weightsFrom(layers.map((linear, l) => ({ linear, ...encoderNames(layers.length)[l]! })));
    const trained = weightsFrom([{ linear: head, weightName: headWeight("pretraining"), biasName: headBias("pretraining") }]);
    return { encoder, classifier: trained, curve };
  } finally {
    disposeLayers([...layers, head]);
  }
}

/** The encoder fine-tuned on one task's data, read through that task's frozen head. */
export function fineTuneEncoder(encoder: Weights, head: Weights, task: string, data: LabelledInputs, classes: number, settings: TrainSettings, rng: Rng): { encoder: Weights; curve: LossCurve } {
  const depth = encoderDepth(encoder);
  const layers = encoderLayers(encoder, true);
  const frozen = headLayer(head, task, false);
  try {
    const curve = runEpochs(data, classes, settings, variablesOf(layers), (x, y) => softmaxCrossEntropy(dense(encodeForTraining(layers, x), frozen.weight, frozen.bias), y), rng);
    return { encoder: weightsFrom(layers.map((linear, l) => ({ linear, ...encoderNames(depth)[l]! }))), curve };
  } finally {
    disposeLayers([...layers, frozen]);
  }
}
