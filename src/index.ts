/** mergelang's public API: the language service, the engine, tensor I/O and interference reports. */
export { checkRecipe, checkFile, hasErrors, type CheckedRecipe, type CheckOptions } from "./language/service.js";
export { parseRecipe, type ParseResult } from "./language/parse.js";
export { formatRecipe, type FormatResult } from "./language/formatter.js";
export { catalog, lookupFunction, functionDoc, signatureOf, type FunctionSpec, type ParamSpec } from "./language/catalog.js";
export { diagnosticCodes, type Diagnostic, type DiagnosticCode, type Severity, type Fix } from "./language/diagnostics.js";
export { headerLookup } from "./language/header-lookup.js";
export type { ModelLookup } from "./language/model-lookup.js";
export type * from "./graph/graph.js";
export { resolveParams, layerIndex } from "./graph/params.js";
export { executeGraph, type ExecuteOptions, type ExecuteResult, type EngineProgress, type SaveResult } from "./engine/executor.js";
export { runGraph, RunError, type RunHooks, type RunOutcome } from "./runner/recipe-runner.js";
export { planGraph, type GraphPlan, type SavePlan } from "./engine/index.js";
export {
  HeaderCache,
  ModelFormatError,
  ModelReader,
  ModelWriter,
  openModel,
  readModelHeader,
  parseSize,
  type ModelHeader,
  type TensorHeader,
  type DType,
} from "./io/index.js";
export { inspectInterference, renderHtml, renderSvg, renderText, reportToJson, summaryLine, type Report } from "./inspect/index.js";
export { generateExampleModels } from "./demo/example-models.js";
export { Session, CellResult, type SessionOptions, type CellOutput, type MimeBundle } from "./session/index.js";
export { resolveDevice, DeviceError, DEVICE_NAMES, cpuBackend, type Backend, type DeviceOptions } from "./backends/index.js";
export {
  runSearch,
  SearchError,
  type SearchOptions,
  type SearchResult,
  type SearchProgress,
  type Candidate,
  type CandidateModel,
  type MetricFunction,
} from "./search/search-runner.js";
export { CmaEs, type CmaOptions } from "./search/cmaes.js";
export { MetricError } from "./search/metric-command.js";
