/**
 * The analysis worker's view of open recipes: each document checked at most once per version, over
 * one header cache shared by every document (headers are re-read only when a model's files change).
 */
import { dirname } from "node:path";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { HeaderCache } from "../io/header-cache.js";
import { headerLookup } from "../language/header-lookup.js";
import type { ModelLookup } from "../language/model-lookup.js";
import { checkRecipe, type CheckedRecipe } from "../language/service.js";
import { uriToPath } from "./convert.js";

interface Entry {
  version: number;
  checked: CheckedRecipe;
}

export class RecipeStore {
  readonly headers: HeaderCache;
  readonly models: ModelLookup;
  private readonly entries = new Map<string, Entry>();

  /** `fallbackDir` is where untitled documents live (the workspace root, else the current directory). */
  constructor(
    private readonly fallbackDir: () => string,
    headers: HeaderCache = new HeaderCache(),
  ) {
    this.headers = headers;
    this.models = headerLookup(headers);
  }

  path(uri: string): string {
    return uriToPath(uri, this.fallbackDir());
  }

  /** The recipe's folder: model paths are relative to it. */
  folder(uri: string): string {
    return dirname(this.path(uri));
  }

  /** The document checked at its current version (computed now if needed). */
  check(doc: TextDocument): CheckedRecipe {
    const cached = this.entries.get(doc.uri);
    if (cached && cached.version === doc.version) return cached.checked;
    const checked = checkRecipe(doc.getText(), this.path(doc.uri), { models: this.models });
    this.entries.set(doc.uri, { version: doc.version, checked });
    return checked;
  }

  forget(uri: string): void {
    this.entries.delete(uri);
  }

  /** Model files changed on disk: re-read their headers and re-check every document on next use. */
  modelsChanged(): void {
    this.headers.invalidate();
    for (const e of this.entries.values()) e.version = -1;
  }
}
