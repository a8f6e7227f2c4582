/** An interference report as a notebook shows it: the HTML heat map, the text table, the SVG and the data. */
import { randomUUID } from "node:crypto";
import { renderHtml, renderSvg, renderText, reportToJson, type Report } from "../inspect/index.js";
import type { MimeBundle } from "./mimebundle.js";

/** The report's JSON under its own MIME type, so code reading a notebook can get the numbers back. */
export const REPORT_MIME = "application/vnd.mergelang.report+json";

export function reportBundle(report: Report): MimeBundle {
  return {
    "text/plain": renderText(report),
    "text/html": renderHtml(report, { fragment: true }),
    "image/svg+xml": renderSvg(report, { id: `ml-${randomUUID().slice(0, 8)}` }),
    [REPORT_MIME]: JSON.parse(reportToJson(report, 0)) as unknown,
  };
}
