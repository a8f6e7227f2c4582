/** Per-layer interference inspection (spec §7): the report, its two speeds and its views. */
export { inspectInterference, type InterferenceOptions, type InterferenceProgress } from "./inspect.js";
export {
  type Estimate,
  type GroupMetrics,
  type MetricColumn,
  type PcbMetrics,
  type Report,
  type ReportGroup,
  metricColumns,
  reportFromJson,
  reportToJson,
  summaryLine,
} from "./report.js";
export { renderText } from "./render-text.js";
export { renderHtml, type HtmlOptions } from "./render-html.js";
export { renderSvg, type SvgOptions } from "./render-svg.js";
export { classifyTensor, groupOf, type GroupBy, type GroupId, type GroupKind } from "./groups.js";
export { InterferenceInputError } from "./errors.js";
export { spectralTotals, singularTaskInterference, SPECTRAL_METHODS, FAST_RANK, type SpectralTotals } from "./spectral.js";
export { DEFAULT_SAMPLE_ELEMENTS } from "./sample-plan.js";
