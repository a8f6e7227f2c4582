/**
 * The differentiable operations training uses, each with its gradient given through `tf.customGrad`.
 * Why: the Node build of @tensorflow/tfjs-core registers no gradient functions (they ship with the
 * full `@tensorflow/tfjs` package), so `tf.variableGrads` can only differentiate ops whose gradient
 * is supplied here. Autograd still chains them: the optimizers call `variableGrads` as usual.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";

let ready: Promise<void> | null = null;

/** Selects the CPU backend (registered by the import above); call before any tensor work. */
export function useCpuBackend(): Promise<void> {
  // Production mode: skips debug checks, and the backend's "install tfjs-node" banner on stderr.
  tf.enableProdMode();
  ready ??= tf.setBackend("cpu").then((ok) => {
    if (!ok) throw new Error("the tfjs CPU backend could not be initialised");
  });
  return ready;
}

type Saver = tf.GradSaveFunc;

/** x·Wᵀ + b for x [batch, in], W [out, in] (PyTorch's layout), b [out]. */
export const dense = tf.customGrad((...args: (tf.Tensor | Saver)[]) => {
  const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, Saver];
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w, false, true), b) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy, sw), tf.matMul(dy, sx, true, false), tf.sum(dy, 0)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

export const relu = tf.customGrad((...args: (tf.Tensor | Saver)[]) => {
  const [x, save] = args as [tf.Tensor2D, Saver];
  const y = tf.relu(x);
  save([y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => tf.mul(dy, tf.step(saved[0]!)),
  };
}) as (x: tf.Tensor2D) => tf.Tensor2D;

/** Mean softmax cross-entropy of logits [batch, classes] against one-hot targets (no gradient to targets). */
export const softmaxCrossEntropy = tf.customGrad((...args: (tf.Tensor | Saver)[]) => {
  const [logits, targets, save] = args as [tf.Tensor2D, tf.Tensor2D, Saver];
  const logProbs = tf.logSoftmax(logits);
  save([logProbs, targets]);
  const batch = logits.shape[0];
  return {
    value: tf.div(tf.neg(tf.sum(tf.mul(targets, logProbs))), batch) as tf.Scalar,
    gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
      const [lp, t] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.mul(dy, tf.div(tf.sub(tf.exp(lp), t), batch)), tf.zerosLike(t)];
    },
  };
}) as (logits: tf.Tensor2D, targets: tf.Tensor2D) => tf.Scalar;
