/**
 * The recipe text an import produces, with a map from its character ranges back to the YAML
 * ranges they were written from, so that problems the recipe checker finds are shown at the
 * mergekit key that caused them.
 */
import type { Range } from "../language/ast.js";
import type { Diagnostic } from "../language/diagnostics.js";

interface Mark {
  start: number;
  end: number;
  yaml: Range;
}

export class RecipeSourceMap {
  constructor(
    private readonly marks: readonly Mark[],
    /** Where problems outside every mark are shown (the merge_method key). */
    private readonly fallback: Range,
  ) {}

  /** The YAML range of the innermost mark around recipe offset `offset`. */
  yamlRangeAt(offset: number): Range {
    let best: Mark | null = null;
    for (const m of this.marks) {
      if (m.start <= offset && offset < m.end && (!best || m.end - m.start < best.end - best.start)) best = m;
    }
    return best?.yaml ?? this.fallback;
  }

  /** A recipe diagnostic at the YAML key it came from (fixes and related spans refer to the recipe: dropped). */
  toYaml(d: Diagnostic): Diagnostic {
    const { fixes: _fixes, related: _related, ...rest } = d;
    return { ...rest, range: this.yamlRangeAt(d.range.start.offset) };
  }
}

export class RecipeWriter {
  private text = "";
  private readonly marks: Mark[] = [];
  private readonly open: { start: number; yaml: Range }[] = [];

  write(s: string): this {
    this.text += s;
    return this;
  }

  /** Writes `s` as coming from `yaml` (no mapping when null). */
  from(yaml: Range | null, s: string): this {
    const start = this.text.length;
    this.text += s;
    if (yaml) this.marks.push({ start, end: this.text.length, yaml });
    return this;
  }

  /** Starts a span mapped to `yaml`, closed by `end()` (for text written in several pieces). */
  begin(yaml: Range): this {
    this.open.push({ start: this.text.length, yaml });
    return this;
  }

  end(): this {
    const o = this.open.pop();
    if (o) this.marks.push({ start: o.start, end: this.text.length, yaml: o.yaml });
    return this;
  }

  get length(): number {
    return this.text.length;
  }

  finish(fallback: Range): { text: string; map: RecipeSourceMap } {
    return { text: this.text, map: new RecipeSourceMap([...this.marks], fallback) };
  }
}
