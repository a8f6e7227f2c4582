/**
 * Checks that a regex reads the same in JavaScript and in Oniguruma (the engine TextMate grammars run on),
 * as far as can be told without Oniguruma: it must compile as a strict (`u` flag) JS RegExp, which rejects
 * escapes JS would read as literals (`\h`, `\A`, `\z`) and inline flags, and must avoid constructs the two
 * engines read differently or that Oniguruma rejects.
 */
export function regexProblems(source: string): string[] {
  const problems: string[] = [];
  try {
    new RegExp(source, "u");
  } catch (error) {
    problems.push(`not a valid JS RegExp: ${(error as Error).message}`);
    return problems;
  }
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (ch === "[") problems.push(`unescaped '[' inside a class at ${i} (a nested class in Oniguruma)`);
      if (ch === "]") inClass = false;
      continue;
    }
    if (ch === "[") {
      if (source.startsWith("[^]", i) || source.startsWith("[]", i)) problems.push(`empty class at ${i} (JS only)`);
      inClass = true;
      // A `]` right after `[` or `[^` is literal in Oniguruma but closes the class in JS.
      if (source[i + 1] === "]" || (source[i + 1] === "^" && source[i + 2] === "]")) problems.push(`ambiguous ']' at ${i}`);
      continue;
    }
    if (source.startsWith("(?<=", i) || source.startsWith("(?<!", i)) {
      const body = groupBody(source, i);
      if (/(?<!\\)(?:[*+]|\{\d*,|\?(?![:=!<]))/.test(body.replace(/\\./g, "x"))) {
        problems.push(`lookbehind of variable length at ${i}: (${body})`);
      }
    }
  }
  return problems;
}

/** The text inside the group that opens at `open` (escapes and classes respected). */
function groupBody(source: string, open: number): string {
  let depth = 0;
  let inClass = false;
  for (let i = open; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === "\\") {
      i++;
    } else if (inClass) {
      if (ch === "]") inClass = false;
    } else if (ch === "[") {
      inClass = true;
    } else if (ch === "(") {
      depth++;
    } else if (ch === ")" && --depth === 0) {
      return source.slice(open + 4, i);
    }
  }
  throw new Error(`unclosed group at ${open} in /${source}/`);
}
