/**
 * The one resolver of model references, shared by the language, `check`, the language server, the
 * kernel and the mergekit import. A reference is a local folder or weights file (relative to the
 * recipe), else a Hub id `org/name[@revision]` looked up in the Hugging Face cache; a LoRA adapter
 * is resolved the same way and combined with its base. It never makes a request: what is missing
 * from the cache is recorded, for `run` to download and `check` to report.
 */
import { existsSync, readdirSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { INDEX_FILE, SINGLE_FILE, TORCH_INDEX_FILE, TORCH_SINGLE_FILE, loraPath } from "../io/index.js";
import { type HubId, type HubSettings, cachedSnapshot, hubIdText, hubSettings, parseHubId, repoFolder } from "./hf-cache.js";

export interface ResolvedPart {
  /** The reference as written. */
  ref: string;
  /** The local path it would be. */
  local: string;
  /** The folder or file it resolved to (for a missing Hub model, where its snapshot would be). */
  path: string;
  hub: (HubId & { commit: string | null }) | null;
}

export interface MissingModel {
  ref: string;
  /** The local path tried first. */
  local: string;
  id: HubId;
  /** The cache folder searched. */
  searched: string;
}

export interface ResolvedModel {
  /** What a load reads: a folder, a weights file, or BASE+lora:ADAPTER. */
  path: string;
  base: ResolvedPart;
  lora: ResolvedPart | null;
  /** The parts not in the cache (empty when the model can be read). */
  missing: MissingModel[];
}

/** Files whose presence makes a snapshot folder hold weights (transformers may have cached only config.json). */
const WEIGHT_FILES = [INDEX_FILE, SINGLE_FILE, TORCH_INDEX_FILE, TORCH_SINGLE_FILE, "adapter_model.safetensors", "adapter_model.bin"];

function holdsWeights(folder: string): boolean {
  if (WEIGHT_FILES.some((f) => existsSync(join(folder, f)))) return true;
  try {
    return readdirSync(folder).some((f) => f.endsWith(".safetensors"));
  } catch {
    return false;
  }
}

export class ModelResolver {
  /** Hub models not in the cache, by id text, as resolved so far. */
  readonly missing = new Map<string, MissingModel>();

  constructor(readonly settings: HubSettings = hubSettings()) {}

  /** `ref` (with an optional LoRA adapter reference), relative to `fromDir`. */
  resolve(ref: string, fromDir: string, lora: string | null = null): ResolvedModel {
    const base = this.part(ref, fromDir);
    const adapter = lora === null ? null : this.part(lora, fromDir);
    const missing = [base, adapter].flatMap((p) => (p && this.isMissing(p) ? [this.record(p)] : []));
    return { path: adapter ? loraPath(base.path, adapter.path) : base.path, base, lora: adapter, missing };
  }

  /** mergekit's `base+adapter` form (either may be a Hub id with @revision). */
  resolveCombined(text: string, fromDir: string): ResolvedModel {
    const plus = text.indexOf("+");
    if (plus < 0 || existsSync(this.localPath(text, fromDir))) return this.resolve(text, fromDir);
    return this.resolve(text.slice(0, plus), fromDir, text.slice(plus + 1));
  }

  /** The message for a model missing from the cache: the id, the folder searched, the command that fetches it. */
  missingMessage(m: MissingModel): string {
    const id = hubIdText(m.id);
    const how = this.settings.offline
      ? "HF_HUB_OFFLINE is set, so nothing is downloaded: unset it and"
      : "`mergelang run` downloads it, or";
    return `'${m.ref}' is not a local folder (no ${m.local}) and not in the Hugging Face cache (searched ${m.searched}); ${how} run \`mergelang fetch ${id}\``;
  }

  /** One line on where a part was found, for hovers and plans. */
  describe(part: ResolvedPart): string {
    if (!part.hub) return `local: ${part.path}`;
    const at = part.hub.commit ? ` at ${part.hub.commit.slice(0, 12)}` : "";
    return `Hugging Face cache: ${hubIdText(part.hub)}${at} (${part.path})`;
  }

  private localPath(ref: string, fromDir: string): string {
    return isAbsolute(ref) ? ref : resolve(fromDir, ref);
  }

  private part(ref: string, fromDir: string): ResolvedPart {
    const local = this.localPath(ref, fromDir);
    const id = existsSync(local) ? null : parseHubId(ref);
    if (!id) return { ref, local, path: local, hub: null };
    const snapshot = cachedSnapshot(this.settings.cacheDir, id);
    if (snapshot && holdsWeights(snapshot.folder)) return { ref, local, path: snapshot.folder, hub: { ...id, commit: snapshot.commit } };
    return { ref, local, path: join(repoFolder(this.settings.cacheDir, id.repo), "snapshots", id.revision), hub: { ...id, commit: null } };
  }

  private isMissing(p: ResolvedPart): boolean {
    return p.hub !== null && p.hub.commit === null;
  }

  private record(p: ResolvedPart): MissingModel {
    const id: HubId = { repo: p.hub!.repo, revision: p.hub!.revision };
    const m: MissingModel = { ref: p.ref, local: p.local, id, searched: repoFolder(this.settings.cacheDir, id.repo) };
    this.missing.set(hubIdText(id), m);
    return m;
  }
}
