/**
 * The papers' numbers: accuracy of each task with its own head, their average, and the normalised
 * accuracy (each task's accuracy divided by its fine-tuned model's, then averaged).
 */

/** Share of predictions equal to the labels. */
export function accuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predictions.length !== labels.length) throw new Error(`${predictions.length} predictions for ${labels.length} labels`);
  if (labels.length === 0) throw new Error("accuracy of an empty set");
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) correct++;
  return correct / labels.length;
}

/** Accuracy per task name. */
export type TaskScores = Record<string, number>;

function scoresOf(scores: TaskScores, tasks: readonly string[]): number[] {
  return tasks.map((t) => {
    const v = scores[t];
    if (v === undefined) throw new Error(`no score for task "${t}"`);
    return v;
  });
}

export function averageAccuracy(scores: TaskScores, tasks: readonly string[]): number {
  if (tasks.length === 0) throw new Error("no tasks");
  return scoresOf(scores, tasks).reduce((s, v) => s + v, 0) / tasks.length;
}

/** Mean over tasks of accuracy ÷ the fine-tuned model's accuracy on that task. */
export function normalisedAccuracy(scores: TaskScores, fineTuned: TaskScores, tasks: readonly string[]): number {
  const reference = scoresOf(fineTuned, tasks);
  const values = scoresOf(scores, tasks);
  reference.forEach((r, i) => {
    if (!(r > 0)) throw new Error(`fine-tuned accuracy of task "${tasks[i]}" is ${r}: cannot normalise by it`);
  });
  return values.reduce((s, v, i) => s + v / reference[i]!, 0) / tasks.length;
}
