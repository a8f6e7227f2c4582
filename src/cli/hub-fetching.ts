/**
 * Fetching Hub models for the command line: the plan (files and sizes) for --dry-run, the download
 * with a progress line (bytes, speed, ETA) otherwise. Shared by `mergelang fetch` and `run`.
 */
import { formatSize } from "../io/index.js";
import { hubIdText, type HubId, type HubSettings } from "../hub/hf-cache.js";
import { type FetchPlan, HubFetchError, fetchIntoCache, planFetch } from "../hub/hub-download.js";
import { formatDuration } from "./progress.js";

export function describeFetch(plan: FetchPlan): string {
  const lines = [`${hubIdText(plan.id)} (commit ${plan.commit.slice(0, 12)}): ${plan.files.length} files, ${formatSize(plan.files.reduce((a, f) => a + f.size, 0))}, ${formatSize(plan.bytesToFetch)} to download`];
  for (const f of plan.files) lines.push(`  ${f.path}  ${formatSize(f.size)}`);
  return lines.join("\n");
}

/** A redrawn line on a terminal, a line every 5 s in logs. */
class DownloadLine {
  private readonly started = Date.now();
  private last = 0;
  private lastDone = -1;
  private startBytes: number | null = null;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, total: number, file: string): void {
    const now = Date.now();
    this.startBytes ??= done;
    const tty = this.stream.isTTY === true;
    if ((now - this.last < (tty ? 100 : 5000) && done < total) || done === this.lastDone) return;
    this.last = now;
    this.lastDone = done;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? (done - this.startBytes) / seconds : 0;
    const eta = rate > 0 ? (total - done) / rate : NaN;
    const pct = total > 0 ? ((100 * done) / total).toFixed(0) : "100";
    const line = `${this.label} ${pct}% ${formatSize(done)}/${formatSize(total)} · ${formatSize(rate)}/s · ETA ${formatDuration(eta)} · ${file}`;
    this.stream.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }

  finish(): void {
    if (this.stream.isTTY === true) this.stream.write("\n");
  }
}

/**
 * Plans (and unless `dryRun`, downloads) each model; prints what it does on stderr.
 * Returns the messages of the models that could not be fetched (empty when all were).
 */
export async function fetchModels(ids: HubId[], settings: HubSettings, opts: { dryRun: boolean; signal?: AbortSignal }): Promise<string[]> {
  const failures: string[] = [];
  for (const id of ids) {
    try {
      const plan = await planFetch(id, settings);
      console.error(`${opts.dryRun ? "would fetch" : "fetching"} ${describeFetch(plan)}`);
      if (opts.dryRun) continue;
      const line = new DownloadLine(hubIdText(id));
      try {
        const folder = await fetchIntoCache(plan, settings, (p) => line.update(p.bytesDone, p.bytesTotal, p.file), opts.signal);
        line.finish();
        console.error(`${hubIdText(id)}: in the cache at ${folder}`);
      } catch (e) {
        line.finish();
        throw e;
      }
    } catch (e) {
      if (!(e instanceof HubFetchError)) throw e;
      failures.push(e.message);
    }
  }
  return failures;
}
