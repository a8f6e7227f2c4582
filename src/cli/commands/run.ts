/** `mergelang run FILE [--threads N] [--dry-run]`: check, then merge and write the outputs. */
import { existsSync, readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { type CheckedRecipe, checkRecipe, hasErrors } from "../../language/service.js";
import { type CheckedMergekit, checkMergekitYaml, isMergekitConfigPath } from "../../mergekit/index.js";
import { ModelResolver } from "../../hub/model-resolver.js";
import { formatSize, parseSize } from "../../io/index.js";
import { DeviceError, resolveDevice, type Backend } from "../../backends/index.js";
import { runGraph, RunError, toRunError } from "../../runner/recipe-runner.js";
import { displayPath } from "../../util/display-path.js";
import { formatDiagnostic } from "../diagnostics-output.js";
import { ProgressBar, progressState } from "../progress.js";
import { UsageError, type Command } from "../command.js";
import { parseCommandArgs } from "../args.js";
import { describePlan } from "../plan-output.js";

export const runCommand: Command = {
  name: "run",
  summary: "run a recipe: merge the models and write the outputs",
  usage: `usage: mergelang run FILE [--threads N] [--dry-run] [--sampled] [--out DIR] [--overwrite] [--allow-nonfinite]

Checks the recipe, then runs its statements in order: save(...) writes model folders
(atomically: a failed run leaves no output), interference(...) prints a per-layer table,
other expression statements print their value. FILE may also be a mergekit config (.yml):
it runs as the recipe \`mergelang import\` prints, into --out (default: FILE-merged).
Hub models (org/name[@revision]) missing from the Hugging Face cache are downloaded first
(unless HF_HUB_OFFLINE is set); with --dry-run, the files and sizes are listed instead.
  --threads N   worker threads for the kernels (default: every core)
  --device D    auto | cpu | gpu | tfjs-cpu | wasm (default: cpu, the fast CPU engine;
                gpu needs @tensorflow/tfjs-node-gpu, see docs/gpu.md)
  --device-memory SIZE  device memory budget for tfjs devices (default 1GiB)
  --out DIR     for a mergekit config: the output folder
  --dry-run     print the plan (tensors, bytes read and written, peak memory) and stop
  --sampled     interference reports from the fast sampled estimate instead of the exact pass
  --overwrite   replace existing output folders even when mergelang did not write them
                (an input model's folder is never replaced)
  --allow-nonfinite  merge inputs holding NaN or ±Inf and write outputs that do
                (by default they are an error naming the model, tensor and count)`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("run", argv, { threads: { type: "string" }, "dry-run": { type: "boolean" }, sampled: { type: "boolean" }, out: { type: "string" }, device: { type: "string" }, "device-memory": { type: "string" }, overwrite: { type: "boolean" }, "allow-nonfinite": { type: "boolean" } });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError("run takes one recipe file\n" + this.usage);
    if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
    if (values.threads !== undefined && !(Number.isInteger(Number(values.threads)) && Number(values.threads) >= 1)) {
      throw new UsageError(`--threads takes a whole number ≥ 1, not '${values.threads}'`);
    }
    const text = readFileSync(file, "utf8");
    const yaml = isMergekitConfigPath(file);
    if (values.out !== undefined && !yaml) throw new UsageError("--out is for mergekit configs: a recipe names its outputs in save(...)");
    const overwrite = values.overwrite === true;
    const check = (resolver: ModelResolver): CheckedRecipe | CheckedMergekit =>
      yaml
        ? checkMergekitYaml(text, file, { resolver, ...(values.out !== undefined ? { output: resolve(values.out) } : {}), overwrite })
        : checkRecipe(text, file, { resolver, overwrite });
    let resolver = new ModelResolver();
    let checked = check(resolver);
    // Hub models missing from the cache: listed (--dry-run) or downloaded, then the recipe is checked again.
    if (resolver.missing.size > 0 && !resolver.settings.offline) {
      const ids = [...resolver.missing.values()].map((m) => m.id);
      // Loaded only when needed: the Hub library is not part of every run's start-up.
      const { fetchModels } = await import("../hub-fetching.js");
      const failures = await fetchModels(ids, resolver.settings, { dryRun: values["dry-run"] === true });
      for (const f of failures) console.error(`mergelang run: ${f}`);
      if (failures.length) return 1;
      if (values["dry-run"]) {
        console.error("mergelang run: the merge plan needs these models' headers; run without --dry-run (or mergelang fetch) to download them");
        return 0;
      }
      resolver = new ModelResolver();
      checked = check(resolver);
    }
    for (const d of checked.diagnostics) if (d.severity === "error" || d.severity === "warning") console.error(formatDiagnostic(file, d, text));
    if (hasErrors(checked.diagnostics) || !checked.graph) {
      console.error(`mergelang run: ${file} has errors; nothing was run`);
      return 1;
    }
    const threads = values.threads === undefined ? undefined : Number(values.threads);
    const optimize = "analysis" in checked ? checked.analysis.optimize : null;
    if (optimize && !values["dry-run"]) {
      const stem = file.replace(/\.merge$/, "");
      console.error(`mergelang run: ${file}:${optimize.call.range.start.line}: this recipe searches its coefficients with optimize(...): run mergelang search ${file}, then mergelang run ${stem}.best.merge`);
      return 1;
    }
    if (values["dry-run"]) {
      try {
        console.log(describePlan(checked.graph, threads));
      } catch (e) {
        const err = toRunError(e);
        if (!(err instanceof RunError)) throw err;
        console.error(`mergelang run: ${err.message}`);
        return 1;
      }
      return 0;
    }
    let backend: Backend | undefined;
    if (values.device !== undefined && values.device !== "cpu") {
      let deviceMemoryBytes: number | undefined;
      try {
        deviceMemoryBytes = values["device-memory"] === undefined ? undefined : parseSize(values["device-memory"]);
      } catch (e) {
        throw new UsageError(`--device-memory: ${(e as Error).message}`);
      }
      try {
        backend = await resolveDevice(values.device, { ...(deviceMemoryBytes ? { deviceMemoryBytes } : {}), onNote: (m) => console.error(`note: ${m}`) });
      } catch (e) {
        if (!(e instanceof DeviceError)) throw e;
        console.error(`mergelang run: ${e.message}`);
        return 1;
      }
      console.error(`device: ${backend.description}`);
    }
    const bar = new ProgressBar();
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once("SIGINT", onSigint);
    try {
      const outcome = await runGraph(checked.graph, {
        signal: controller.signal,
        inspectMode: values.sampled ? "sampled" : "exact",
        overwrite,
        allowNonFinite: values["allow-nonfinite"] === true,
        ...(threads ? { threads } : {}),
        ...(backend ? { backend } : {}),
        text: (t) => {
          bar.finish();
          console.log(t);
        },
        progress: (p) => bar.update(progressState(p)),
        // Each save is reported when it is in place, so a later failure cannot hide it.
        saved: (s) => {
          bar.finish();
          console.log(`wrote ${displayPath(s.path)}: ${s.tensors} tensors, ${formatSize(s.bytesWritten)} in ${s.files.length} file${s.files.length === 1 ? "" : "s"}`);
        },
      });
      const seconds = bar.finish();
      console.error(`done in ${seconds.toFixed(1)} s${outcome.saved.length > 1 ? ` (${outcome.saved.length} outputs)` : ""}`);
      return 0;
    } catch (e) {
      bar.finish();
      if (e instanceof RunError) {
        console.error(`mergelang run: ${e.message}`);
        return e.cancelled ? 130 : 1;
      }
      throw e;
    } finally {
      process.off("SIGINT", onSigint);
    }
  },
};
