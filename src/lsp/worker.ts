/** The server's worker threads: `workerData.role` picks the analysis worker or the job worker. */
import { workerData } from "node:worker_threads";

export type WorkerRole = "analysis" | "jobs";

const role = (workerData as { role?: WorkerRole } | null)?.role;
// Each role loads only its own modules (no top-level await: the extension bundles this as CommonJS).
if (role === "analysis") void import("./analysis/analysis-worker.js").then((m) => m.serveAnalysis());
else void import("./jobs/job-worker.js").then((m) => m.serveJobs());
