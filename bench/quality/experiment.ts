/**
 * The experiment's steps, each a function a notebook can call on its own:
 * prepareData → pretrainBase → zeroShotHeads → fineTuneTasks → saveFamily → searchMethod (per
 * method, validation only) → evaluateEncoder (test) → interferenceFor. `runExperiment` chains them.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { checkRecipe } from "../../src/language/service.js";
import { runSearch, type CandidateModel } from "../../src/search/search-runner.js";
import { inspectInterference, type Report } from "../../src/inspect/index.js";
import type { QualityConfig } from "./config.js";
import { CLASS_COUNT, type DigitSet, loadMnistDigits } from "./digits.js";
import { type Domain, domainByName } from "./domains.js";
import { type LabelledInputs, domainInputs, mixedInputs } from "./inputs.js";
import { mergeWithRecipe } from "./merge.js";
import { accuracy, type TaskScores } from "./metrics.js";
import { loadWeights, saveWeights } from "./model-folder.js";
import { predictClasses } from "./network.js";
import { streamRng } from "./random.js";
import { type GridPoint, type MethodSpec, type RecipeModels, describePoint, mergeRecipe, searchRecipe } from "./recipes.js";
import { type Split, splitDigits } from "./split.js";
import { type LossCurve, fineTuneEncoder, pretrainEncoder } from "./train.js";
import { type Weights, headBias, headWeight, pickHead } from "./weights.js";

export interface TaskData {
  name: string;
  domain: Domain;
  /** Fine-tuning part (also what the task's head is trained on). */
  train: LabelledInputs;
  validation: LabelledInputs;
  test: LabelledInputs;
}

export interface PreparedData {
  split: Split;
  /** Pre-training part, each digit in one pre-training domain drawn with the seed. */
  pretrainPool: LabelledInputs;
  tasks: TaskData[];
}

export type Log = (line: string) => void;

/** Splits the digits and builds every task's inputs; the test part is only turned into test inputs. */
export function prepareData(config: QualityConfig, given?: DigitSet): PreparedData {
  const digits = given ?? loadMnistDigits();
  const split = splitDigits(digits.labels, config.fractions, config.seed);
  const domains = config.tasks.map(domainByName);
  const pretrainDomains = config.pretrainDomains.map(domainByName);
  const overlap = pretrainDomains.filter((d) => domains.includes(d));
  if (overlap.length) throw new Error(`pre-training domain "${overlap[0]!.name}" is also a task: the pre-trained encoder must not have seen the tasks' domains`);
  const pick = streamRng(config.seed, "pretrain-domains");
  const pretrainPool = mixedInputs(digits, split.pretrain, pretrainDomains, () => pick.int(pretrainDomains.length));
  const tasks = domains.map((domain) => ({
    name: domain.name,
    domain,
    train: domainInputs(digits, split.finetune, domain),
    validation: domainInputs(digits, split.validation, domain),
    test: domainInputs(digits, split.test, domain),
  }));
  return { split, pretrainPool, tasks };
}

/** The pre-trained encoder and its classifier (`heads.pretraining.*`). */
export function pretrainBase(data: PreparedData, config: QualityConfig): { encoder: Weights; classifier: Weights; curve: LossCurve } {
  return pretrainEncoder(config.encoderSizes, data.pretrainPool, CLASS_COUNT, config.pretrain, streamRng(config.seed, "pretrain"));
}

/**
 * Each task's head: the pre-trained classifier, copied (`heads.<task>.*`). Every task classifies the
 * same ten digits, so, like CLIP's zero-shot heads built from the class names (MNIST's and SVHN's are
 * the same text), the heads coincide; they are kept per task so a task could be given its own.
 */
export function zeroShotHeads(classifier: Weights, tasks: readonly string[]): Weights {
  const w = classifier.get(headWeight("pretraining"));
  const b = classifier.get(headBias("pretraining"));
  if (!w || !b) throw new Error("the classifier has no heads.pretraining tensors");
  const heads: Weights = new Map();
  for (const task of tasks) {
    heads.set(headWeight(task), { shape: [...w.shape], data: Float32Array.from(w.data) });
    heads.set(headBias(task), { shape: [...b.shape], data: Float32Array.from(b.data) });
  }
  return heads;
}

/** One fine-tuned encoder per task, each from the same pre-trained encoder. */
export function fineTuneTasks(base: Weights, heads: Weights, data: PreparedData, config: QualityConfig, log: Log = () => {}): { encoders: Map<string, Weights>; curves: Record<string, LossCurve> } {
  const encoders = new Map<string, Weights>();
  const curves: Record<string, LossCurve> = {};
  for (const task of data.tasks) {
    const started = performance.now();
    const { encoder, curve } = fineTuneEncoder(base, pickHead(heads, task.name), task.name, task.train, CLASS_COUNT, config.finetune, streamRng(config.seed, `finetune-${task.name}`));
    encoders.set(task.name, encoder);
    curves[task.name] = curve;
    log(`fine-tuned ${task.name} in ${((performance.now() - started) / 1000).toFixed(1)} s (loss ${curve.map((l) => l.toFixed(3)).join(" → ")})`);
  }
  return { encoders, curves };
}

/** Where the saved model family lives. */
export interface FamilyPaths extends RecipeModels {
  /** The task heads (not part of any merge). */
  heads: string;
}

function modelConfig(config: QualityConfig, role: string): Record<string, unknown> {
  return {
    architectures: ["DigitEncoderMLP"],
    model_type: "mergelang-digit-mlp",
    layer_sizes: config.encoderSizes,
    activation: "relu",
    input: "14x14 average-pooled MNIST digit, pixels mapped to [-1, 1]",
    role,
  };
}

/** Writes base, fine-tuned encoders and heads as Hugging Face style folders under `dir`. */
export async function saveFamily(dir: string, base: Weights, encoders: Map<string, Weights>, heads: Weights, config: QualityConfig): Promise<FamilyPaths> {
  const meta = (model: string): Record<string, string> => ({ generator: "mergelang quality benchmark", model, seed: String(config.seed) });
  const basePath = await saveWeights(join(dir, "base"), base, { config: modelConfig(config, "pre-trained encoder"), metadata: meta("base") });
  const tasks: { name: string; path: string }[] = [];
  for (const [name, encoder] of encoders) {
    tasks.push({ name, path: await saveWeights(join(dir, name), encoder, { config: modelConfig(config, `encoder fine-tuned on ${name}`), metadata: meta(name) }) });
  }
  const headsPath = await saveWeights(join(dir, "heads"), heads, { config: { model_type: "mergelang-digit-heads", tasks: config.tasks }, metadata: meta("heads") });
  return { base: basePath, tasks, heads: headsPath };
}

/** Accuracy of `encoder` on every task of `data` (or the listed ones), each read by its own head. */
export function evaluateEncoder(encoder: Weights, heads: Weights, data: PreparedData, part: "validation" | "test", only?: readonly string[]): TaskScores {
  const scores: TaskScores = {};
  for (const task of data.tasks) {
    if (only && !only.includes(task.name)) continue;
    const rows = task[part];
    scores[task.name] = accuracy(predictClasses(encoder, heads, task.name, rows), rows.labels);
  }
  return scores;
}

export interface GridResult {
  point: GridPoint;
  validation: TaskScores;
  validationAverage: number;
}

export interface MethodSearch {
  spec: MethodSpec;
  /** Every candidate evaluated, in order (the grid, or CMA-ES's generations). */
  grid: GridResult[];
  best: GridResult;
  strategy: "grid" | "cmaes";
  /** The merge at the chosen point, saved by its own recipe. */
  folder: string;
  recipe: string;
}

const mean = (s: TaskScores): number => {
  const v = Object.values(s);
  return v.reduce((a, b) => a + b, 0) / v.length;
};

/** The encoder a candidate merged in memory: every tensor, as float32. */
async function candidateWeights(model: CandidateModel): Promise<Weights> {
  const weights: Weights = new Map();
  for (const name of model.tensorNames()) weights.set(name, { shape: [...model.shape(name)], data: await model.tensor(name) });
  return weights;
}

/**
 * Searches `spec`'s coefficients with the recipe language's own search: a recipe with search(...)
 * spaces and optimize(...) (a grid, or CMA-ES), each candidate merged in memory and scored by its
 * average validation accuracy; the best recipe it writes is then saved by its own recipe to
 * `workDir/merges/<id>` (float32). Equal scores keep the first candidate.
 */
export async function searchMethod(spec: MethodSpec, paths: FamilyPaths, heads: Weights, data: PreparedData, workDir: string, log: Log = () => {}): Promise<MethodSearch> {
  const recipeDir = join(workDir, "recipes");
  const merges = join(workDir, "merges", spec.id);
  const strategy = spec.evolve ? "cmaes" : "grid";
  let grid: GridResult[];
  let recipe: string;
  if (spec.evolve || Object.keys(spec.grid).length > 0) {
    const text = searchRecipe(spec, paths, join(workDir, "search", spec.id), recipeDir);
    const file = join(recipeDir, `${spec.id}.search.merge`);
    mkdirSync(recipeDir, { recursive: true });
    writeFileSync(file, text);
    const scores = new Map<number, TaskScores>();
    const result = await runSearch(checkRecipe(text, file), {
      fresh: true,
      metric: async (model) => {
        const validation = evaluateEncoder(await candidateWeights(model), heads, data, "validation");
        scores.set(model.index, validation);
        return mean(validation);
      },
    });
    grid = result.candidates.map((c) => ({
      point: Object.fromEntries(result.dimensions.map((d, i) => [d, c.values[i]!])),
      validation: scores.get(c.index)!,
      validationAverage: c.score,
    }));
    // The best recipe has the values filled in and optimize(...) commented out: add the save.
    recipe = readFileSync(result.files.bestRecipe, "utf8") + `save(merged, ${JSON.stringify(relative(recipeDir, merges).split(sep).join("/"))}, dtype: "f32")\n`;
    rmSync(result.files.bestRecipe, { force: true });
  } else {
    recipe = mergeRecipe(spec, {}, paths, merges, recipeDir);
    grid = [];
  }
  const folder = await mergeWithRecipe(recipe, recipeDir, `${spec.id}.merge`);
  if (grid.length === 0) {
    const validation = evaluateEncoder(loadWeights(folder), heads, data, "validation");
    grid.push({ point: {}, validation, validationAverage: mean(validation) });
  }
  // The search's own best: the first of equal scores, in evaluation order.
  const best = grid.reduce((b, g) => (g.validationAverage > b.validationAverage ? g : b), grid[0]!);
  log(`${spec.label}: ${grid.length} candidate${grid.length === 1 ? "" : "s"} (${strategy}), chose ${describePoint(best.point)} (validation ${(100 * best.validationAverage).toFixed(2)}%)`);
  return { spec, grid, best, strategy, folder, recipe };
}

/** The interference report behind a merge: TIES's view at its density, plus PCB's balancing view for PCB. */
export async function interferenceFor(spec: MethodSpec, point: GridPoint, paths: FamilyPaths): Promise<Report> {
  return inspectInterference({
    models: paths.tasks.map((t) => t.path),
    labels: paths.tasks.map((t) => t.name),
    base: paths.base,
    density: point.density ?? 0.2,
    by: "layer",
    pcb: spec.fn === "pcb" ? { ratio: point.ratio ?? 0.1 } : null,
  });
}

