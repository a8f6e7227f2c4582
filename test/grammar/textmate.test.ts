import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ISerializedGast } from "chevrotain";
import { functionNames } from "../../src/language/catalog.js";
import { recipeParser } from "../../src/language/parser.js";
import * as T from "../../src/language/tokens.js";
import { followersOf } from "../../scripts/grammar/productions.js";
import { buildTextMateGrammar, type TmGrammar, type TmRule } from "../../scripts/grammar/textmate.js";
import { TEXTMATE_FILE } from "../../scripts/grammar/outputs.js";
import { repoRoot } from "../support/paths.js";
import { regexProblems } from "./regex-compat.js";
import { scopesOf, scopesPerCharacter } from "./textmate-matcher.js";

const grammar = JSON.parse(readFileSync(join(repoRoot(), TEXTMATE_FILE), "utf8")) as TmGrammar;
const S = ".mergelang";

function allRegexes(rules: Iterable<TmRule>): string[] {
  return [...rules].flatMap((r) => [
    ...[r.match, r.begin, r.end].filter((x): x is string => x !== undefined),
    ...allRegexes(r.patterns ?? []),
  ]);
}

test("the grammar names the language and its file type", () => {
  assert.equal(grammar.scopeName, "source.mergelang");
  assert.equal(grammar.name, "mergelang");
  assert.deepEqual(grammar.fileTypes, ["merge"]);
});

test("every regex compiles as a strict JS RegExp and avoids Oniguruma incompatibilities", () => {
  const regexes = allRegexes([...grammar.patterns, ...Object.values(grammar.repository)]);
  assert.ok(regexes.length > 15);
  for (const source of regexes) assert.deepEqual(regexProblems(source), [], `/${source}/`);
});

test("the regex checker itself catches what Oniguruma reads differently", () => {
  assert.deepEqual(regexProblems("\\b\\d+(?:\\.\\d+)?%?"), []);
  assert.deepEqual(regexProblems("(?<=ab)c"), []);
  assert.equal(regexProblems("(?<=a+)b").length, 1);
  assert.equal(regexProblems("[[]").length, 1);
  assert.equal(regexProblems("\\h").length, 1); // a hex digit in Oniguruma, a plain 'h' in sloppy JS
  assert.equal(regexProblems("(?i)where").length, 1);
});

const line = 'merged = ties(math, code, base: base, density: 20%, lambda: 1e-4) # x';

test("a recipe line gets the expected scopes", () => {
  const has = (text: string, scope: string, occurrence = 0) =>
    assert.ok(scopesOf(grammar, line, text, occurrence).includes(scope), `'${text}' should have ${scope}: ${scopesOf(grammar, line, text, occurrence).join(" ")}`);
  has("merged", `variable.other.assignment${S}`);
  has("=", `keyword.operator.assignment${S}`);
  has("ties", `support.function.builtin${S}`);
  has("(", `punctuation.section.parens.begin${S}`);
  has("math", `variable.other.readwrite${S}`);
  has("base", `variable.parameter${S}`);
  has(":", `punctuation.separator.key-value${S}`);
  has("base", `variable.other.readwrite${S}`, 1);
  has("density", `variable.parameter${S}`);
  has("20%", `constant.numeric.decimal${S}`);
  has("1e-4", `constant.numeric.decimal${S}`);
  has("# x", `comment.line.number-sign${S}`);
  assert.deepEqual(scopesOf(grammar, line, ","), ["source.mergelang", `punctuation.separator.comma${S}`]);
});

test("where clauses, strings with escapes, ranges, booleans and user calls", () => {
  const where = '  where "*.self_attn.*\\n\\q" { density: 0.4 }';
  assert.ok(scopesOf(grammar, where, "where").includes(`keyword.control.where${S}`));
  assert.ok(scopesOf(grammar, where, '"*.self_attn.*').includes(`string.quoted.double${S}`));
  assert.ok(scopesOf(grammar, where, '"').includes(`punctuation.definition.string.begin${S}`));
  assert.ok(scopesOf(grammar, where, "\\n").includes(`constant.character.escape${S}`));
  assert.ok(scopesOf(grammar, where, "\\q").includes(`invalid.illegal.unknown-escape${S}`));
  assert.ok(scopesOf(grammar, where, "{").includes(`punctuation.section.braces.begin${S}`));

  const layers = "  where layers 0..3 { density: ramp(0.6, 0.2) }";
  assert.ok(scopesOf(grammar, layers, "layers").includes(`keyword.other.layers${S}`));
  assert.ok(scopesOf(grammar, layers, "0").includes(`constant.numeric.decimal${S}`));
  assert.ok(scopesOf(grammar, layers, "..").includes(`keyword.operator.range${S}`));
  assert.ok(scopesOf(grammar, layers, "3").includes(`constant.numeric.decimal${S}`));
  assert.ok(scopesOf(grammar, layers, "ramp").includes(`support.function.builtin${S}`));

  const other = "layers2 = model_x(true, false) - 2 * y";
  assert.ok(scopesOf(grammar, other, "layers2").includes(`variable.other.assignment${S}`));
  assert.ok(scopesOf(grammar, other, "model_x").includes(`entity.name.function${S}`));
  assert.ok(scopesOf(grammar, other, "true").includes(`constant.language.boolean${S}`));
  assert.ok(scopesOf(grammar, other, "-").includes(`keyword.operator.arithmetic${S}`));
});

test("an unterminated string stops at the end of the line and hides what looks like a comment", () => {
  const text = 's = "open # not a comment';
  const scopes = scopesPerCharacter(grammar, text);
  for (let i = text.indexOf('"'); i < text.length; i++) assert.ok(scopes[i]!.includes(`string.quoted.double${S}`), `char ${i}`);
  assert.ok(!scopes.some((s) => s.includes(`comment.line.number-sign${S}`)));
});

/** What the grammar must say for each lexer token, with the identifier's role read from the next token. */
function expectedScope(token: { tokenType: { name: string }; image: string }, next: { tokenType: { name: string } } | undefined): RegExp {
  const name = token.tokenType.name;
  if (name === "Comment") return /^comment\.line\.number-sign\./;
  if (name === "StringLiteral" || name === "UnterminatedString") return /^string\.quoted\.double\./;
  if (name === "NumberLiteral") return /^constant\.numeric\./;
  if (name === "Where" || name === "Layers") return /^keyword\.(control|other)\./;
  if (name === "True" || name === "False") return /^constant\.language\.boolean\./;
  if (name === "Identifier") {
    const follower = next?.tokenType.name;
    if (follower === "Equals") return /^variable\.other\.assignment\./;
    if (follower === "Colon") return /^variable\.parameter\./;
    if (follower === "LParen") return functionNames().includes(token.image) ? /^support\.function\.builtin\./ : /^entity\.name\.function\./;
    return /^variable\.other\.readwrite\./;
  }
  return /^(keyword\.operator|punctuation)\./;
}

test("on a sample recipe, every lexer token gets the scope that matches its token type", () => {
  const recipe = [
    "# header comment",
    'base = model("models/base")  ; a = model("m/a", "bf16")',
    'merged = ties(a, [a, 0.5], base: base, density: 20%, lambda: 1e-4, normalize: true)',
    '  where "*.mlp.\\"x\\"" { density: 0.4, scope: "global" }',
    "  where layers 0..3 { density: ramp(0.6, 0.2) }",
    "x = -(merged - base) * 2 / 4 + helper(false)",
    's = "unterminated',
  ].join("\n");
  const lexed = T.recipeLexer.tokenize(recipe);
  assert.deepEqual(lexed.errors, []);
  const tokens = [...lexed.tokens, ...(lexed.groups["comments"] ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  const lines = recipe.split("\n");
  const perLine = lines.map((l) => scopesPerCharacter(grammar, l));
  const kinds = new Set<string>();
  tokens.forEach((token, i) => {
    const next = lexed.tokens.find((t) => t.startOffset > token.startOffset);
    const expected = expectedScope(token, next);
    kinds.add(token.tokenType.name);
    const lineScopes = perLine[token.startLine! - 1]!;
    for (let c = token.startColumn! - 1; c < T.tokenEndColumn(token) - 1; c++) {
      const innermost = lineScopes[c]!.slice(1);
      assert.ok(innermost.some((s) => expected.test(s)), `token ${i} '${token.image}' (${token.tokenType.name}) got ${innermost.join(" ")}`);
    }
  });
  // The sample exercises every token type except whitespace.
  const missing = T.allTokens.filter((t) => t !== T.WhiteSpace && !kinds.has(t.name)).map((t) => t.name);
  assert.deepEqual(missing, []);
});

test("the identifier roles come from the parser: a new follower of Identifier stops generation", () => {
  const rules = recipeParser().getSerializedGastProductions();
  assert.deepEqual([...followersOf(rules, "Identifier")].sort(), ["Colon", "Equals", "LParen"]);
  const identifierThenPlus: ISerializedGast = {
    type: "Rule",
    name: "extra",
    definition: [
      { type: "Terminal", name: "Identifier", definition: [] } as ISerializedGast,
      { type: "Option", definition: [{ type: "Terminal", name: "Plus" } as ISerializedGast] },
    ],
  } as ISerializedGast;
  assert.throws(() => buildTextMateGrammar([...rules, identifierThenPlus], functionNames()), /identifier followed by Plus/);
});

test("catalog names that are not plain identifiers are rejected", () => {
  const rules = recipeParser().getSerializedGastProductions();
  assert.throws(() => buildTextMateGrammar(rules, [...functionNames(), "bad-name"]), /bad-name/);
  assert.throws(() => buildTextMateGrammar(rules, [...functionNames(), "where"]), /where/);
});
