/** Tensor I/O: safetensors headers, ranged tensor reads, dtype conversion and the atomic writer. */
export * from "./dtype.js";
export * from "./errors.js";
export * from "./model-header.js";
export * from "./header-cache.js";
export * from "./model-reader.js";
export { readSafetensorsHeader, MAX_HEADER_BYTES, type SafetensorsFileHeader, type FileTensor } from "./safetensors-file.js";
export * from "./model-writer.js";
export { planShards, shardFileName, type ShardPlan, type PlannedShard, type PlannedTensor } from "./shard-plan.js";
export { parseSize, formatSize } from "./size.js";
export { OutputFolderError, replaceRefusal, MERGELANG_METADATA_PREFIX } from "./atomic-dir.js";
export { countNonFinite, countNonFiniteF32 } from "./non-finite.js";
export { allowedRoots, confinedPath } from "./confine.js";
export { loraPath, splitLoraPath, LORA_SEPARATOR, ADAPTER_CONFIG } from "./lora-model.js";
export { TORCH_SINGLE_FILE, TORCH_INDEX_FILE } from "./torch-checkpoint.js";
