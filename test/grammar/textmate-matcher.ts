/**
 * A minimal TextMate tokenizer for tests: one line at a time, `match` rules and `begin`/`end` rules that
 * close on the same line, `#repository` includes and numbered captures. As in TextMate, the leftmost match
 * wins and, at the same position, the rule listed first; inside a `begin` rule its `end` is tried first.
 */
import type { TmGrammar, TmRule } from "../../scripts/grammar/textmate.js";

interface Candidate {
  rule: TmRule;
  regex: RegExp;
  isEnd: boolean;
}

interface Frame {
  rule: TmRule;
  scopes: string[];
  candidates: Candidate[];
}

/** Rules with includes replaced by what they include, and pure pattern groups flattened. */
function expand(grammar: TmGrammar, rules: readonly TmRule[]): TmRule[] {
  return rules.flatMap((rule) => {
    if (rule.include !== undefined) {
      const target = grammar.repository[rule.include.replace(/^#/, "")];
      if (!rule.include.startsWith("#") || !target) throw new Error(`unsupported include ${rule.include}`);
      return expand(grammar, [target]);
    }
    if (rule.match === undefined && rule.begin === undefined) return expand(grammar, rule.patterns ?? []);
    return [rule];
  });
}

function candidates(grammar: TmGrammar, rules: readonly TmRule[]): Candidate[] {
  return expand(grammar, rules).map((rule) => ({ rule, regex: new RegExp(rule.match ?? rule.begin!, "dgu"), isEnd: false }));
}

/** The scopes of every character of `line`, outermost first (starting with the grammar's scope name). */
export function scopesPerCharacter(grammar: TmGrammar, line: string): string[][] {
  const result: string[][] = Array.from({ length: line.length }, () => []);
  const paint = (from: number, to: number, scopes: string[]): void => {
    for (let i = from; i < to; i++) result[i] = scopes;
  };
  const paintCaptures = (match: RegExpExecArray, base: string[], captures: TmRule["captures"]): void => {
    for (const [group, { name }] of Object.entries(captures ?? {})) {
      const span = match.indices?.[Number(group)];
      if (span) paint(span[0], span[1], [...base, name]);
    }
  };
  const withName = (scopes: string[], name: string | undefined): string[] => (name ? [...scopes, name] : scopes);

  const root: Frame = { rule: {}, scopes: [grammar.scopeName], candidates: candidates(grammar, grammar.patterns) };
  const stack: Frame[] = [root];
  let pos = 0;
  while (pos < line.length || stack.length > 1) {
    const frame = stack.at(-1)!;
    let best: { candidate: Candidate; match: RegExpExecArray } | null = null;
    for (const candidate of frame.candidates) {
      candidate.regex.lastIndex = pos;
      const match = candidate.regex.exec(line);
      if (match && (!best || match.index < best.match.index)) best = { candidate, match };
    }
    if (!best) {
      if (stack.length > 1) throw new Error(`rule ${frame.rule.begin} is still open at the end of the line`);
      break;
    }
    const { candidate, match } = best;
    const start = match.index;
    const end = start + match[0].length;
    paint(pos, start, frame.scopes);
    if (candidate.isEnd) {
      paint(start, end, frame.scopes);
      paintCaptures(match, frame.scopes, frame.rule.endCaptures);
      stack.pop();
    } else if (candidate.rule.begin !== undefined) {
      const rule = candidate.rule;
      const scopes = withName(frame.scopes, rule.name);
      paint(start, end, scopes);
      paintCaptures(match, scopes, rule.beginCaptures);
      const inner = candidates(grammar, rule.patterns ?? []);
      stack.push({ rule, scopes, candidates: [{ rule, regex: new RegExp(rule.end!, "dgu"), isEnd: true }, ...inner] });
    } else {
      const scopes = withName(frame.scopes, candidate.rule.name);
      paint(start, end, scopes);
      paintCaptures(match, scopes, candidate.rule.captures);
    }
    if (end === start && !candidate.isEnd) throw new Error(`rule /${candidate.regex.source}/ matched nothing at ${start}; it would loop`);
    pos = end;
  }
  paint(pos, line.length, root.scopes);
  return result;
}

/** Scopes shared by every character of the `occurrence`-th appearance of `text` in `line`. */
export function scopesOf(grammar: TmGrammar, line: string, text: string, occurrence = 0): string[] {
  let at = -1;
  for (let n = 0; n <= occurrence; n++) {
    at = line.indexOf(text, at + 1);
    if (at < 0) throw new Error(`'${text}' (occurrence ${occurrence}) is not in: ${line}`);
  }
  const perChar = scopesPerCharacter(grammar, line).slice(at, at + text.length);
  return perChar[0]!.filter((scope) => perChar.every((scopes) => scopes.includes(scope)));
}
