import { test } from "node:test";
import assert from "node:assert/strict";
import { loadMnistDigits } from "../../bench/quality/digits.js";
import { SPLIT_PARTS, splitDigits } from "../../bench/quality/split.js";
import { DEFAULT_CONFIG } from "../../bench/quality/config.js";
import { prepareData } from "../../bench/quality/experiment.js";
import { syntheticDigits } from "./synthetic.js";

const FRACTIONS = DEFAULT_CONFIG.fractions;

test("the mnist package gives 10,000 labelled 28×28 digits with pixels in [0, 1]", () => {
  const d = loadMnistDigits();
  assert.equal(d.count, 10000);
  assert.equal(d.side, 28);
  assert.equal(d.images.length, 10000 * 784);
  const counts = new Array(10).fill(0);
  for (const l of d.labels) counts[l]++;
  assert.ok(counts.every((c) => c > 800), `every class is present: ${counts}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of d.images) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.equal(lo, 0);
  assert.equal(hi, 1);
});

test("the split's parts are disjoint and together hold every digit exactly once", () => {
  const { labels } = loadMnistDigits();
  const split = splitDigits(labels, FRACTIONS, 7);
  const seen = new Uint8Array(labels.length);
  for (const part of SPLIT_PARTS) for (const i of split[part]) seen[i]!++;
  assert.ok(seen.every((n) => n === 1));
});

test("every part keeps the class balance (stratified within one digit per class)", () => {
  const { labels } = loadMnistDigits();
  const split = splitDigits(labels, FRACTIONS, 7);
  const perClass = new Array(10).fill(0);
  for (const l of labels) perClass[l]++;
  for (const part of SPLIT_PARTS) {
    const counts = new Array(10).fill(0);
    for (const i of split[part]) counts[labels[i]!]++;
    counts.forEach((c, k) => assert.ok(Math.abs(c - perClass[k] * FRACTIONS[part]) <= 1.5, `${part}, class ${k}: ${c} of ${perClass[k]}`));
  }
});

test("the split is a function of the seed", () => {
  const { labels } = loadMnistDigits();
  const a = splitDigits(labels, FRACTIONS, 11);
  const b = splitDigits(labels, FRACTIONS, 11);
  const c = splitDigits(labels, FRACTIONS, 12);
  for (const part of SPLIT_PARTS) assert.deepEqual(a[part], b[part]);
  assert.notDeepEqual(a.test, c.test);
});

test("fractions that do not sum to 1 are refused", () => {
  assert.throws(() => splitDigits([0, 1, 2], { pretrain: 0.5, finetune: 0.5, validation: 0.1, test: 0.1 }, 1), /sum to 1/);
});

test("no test digit reaches pre-training, fine-tuning, heads or the validation used for selection", () => {
  const digits = syntheticDigits(300, 8, 3);
  const data = prepareData({ ...DEFAULT_CONFIG, seed: 5 }, digits);
  const test = new Set(data.split.test);
  const used = [data.pretrainPool.sources, ...data.tasks.flatMap((t) => [t.train.sources, t.validation.sources])];
  for (const sources of used) for (const s of sources) assert.ok(!test.has(s), `test digit ${s} used before testing`);
  for (const t of data.tasks) {
    assert.deepEqual([...t.test.sources], [...data.split.test]);
    assert.deepEqual([...t.validation.sources], [...data.split.validation]);
    assert.deepEqual([...t.train.sources], [...data.split.finetune]);
    // And by content: no test input equals a training or validation input of the same task.
    const key = (rows: Float32Array, w: number, r: number): string => rows.subarray(r * w, (r + 1) * w).join(",");
    const seen = new Set<string>();
    for (const part of [t.train, t.validation]) for (let r = 0; r < part.count; r++) seen.add(key(part.inputs, part.width, r));
    for (let r = 0; r < t.test.count; r++) assert.ok(!seen.has(key(t.test.inputs, t.test.width, r)));
  }
  assert.deepEqual([...data.pretrainPool.sources], [...data.split.pretrain]);
});
