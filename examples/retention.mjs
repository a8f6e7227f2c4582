// A stand-in metric for `search.merge` (run with `node retention.mjs MODEL_FOLDER`): how much of every
// fine-tune's task vector the merge keeps, as the smallest cosine between the merged task vector and
// a task's, over the tasks. A real search would run an evaluator (lm-eval, a script) here instead.
import { openModel } from "../dist/src/index.js";

const root = new URL("./models/llama-mini/", import.meta.url).pathname;
const merged = openModel(process.argv[2]);
const base = openModel(`${root}base`);
const tasks = ["math", "code", "chat"].map((t) => openModel(`${root}${t}`));
const dot = tasks.map(() => 0);
const norms = tasks.map(() => 0);
let mergedNorm = 0;
for (const name of merged.header.tensors.keys()) {
  const m = merged.readF32Sync(name);
  const b = base.readF32Sync(name);
  const ts = tasks.map((t) => t.readF32Sync(name));
  for (let i = 0; i < m.length; i++) {
    const d = m[i] - b[i];
    mergedNorm += d * d;
    ts.forEach((t, k) => {
      const dt = t[i] - b[i];
      dot[k] += d * dt;
      norms[k] += dt * dt;
    });
  }
}
const cosines = dot.map((x, k) => x / Math.sqrt(mergedNorm * norms[k] || 1));
console.log(`cosine per task: ${cosines.map((c) => c.toFixed(4)).join(", ")}`);
console.log(Math.min(...cosines).toFixed(6));
