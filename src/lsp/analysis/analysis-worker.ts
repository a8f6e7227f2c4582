/** The analysis worker's message loop: document updates in, answers to queries out, in order. */
import { parentPort, workerData } from "node:worker_threads";
import { ResponseError } from "vscode-languageserver/node";
import { AnalysisService } from "./analysis-service.js";
import type { FromAnalysis, QueryKind, ToAnalysis } from "./queries.js";

export function serveAnalysis(): void {
  const root = (workerData as { root?: string } | null)?.root ?? process.cwd();
  const service = new AnalysisService(root);
  const post = (m: FromAnalysis): void => parentPort!.postMessage(m);
  parentPort!.on("message", (m: ToAnalysis) => {
    switch (m.type) {
      case "update":
        service.update(m.uri, m.version, m.text);
        return;
      case "close":
        service.close(m.uri);
        return;
      case "models-changed":
        service.modelsChanged();
        return;
      case "query":
        try {
          post({ type: "result", id: m.id, result: service.answer(m.kind as QueryKind, m.uri, m.params as never) });
        } catch (e) {
          if (e instanceof ResponseError) post({ type: "error", id: m.id, message: e.message, code: e.code });
          else post({ type: "error", id: m.id, message: (e as Error)?.stack ?? String(e) });
        }
        return;
    }
  });
}
