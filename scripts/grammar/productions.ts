/**
 * Facts read from the parser's serialized grammar (`getSerializedGastProductions()`): which terminals it
 * uses, and which tokens can directly follow an identifier. The latter decides the identifier roles a
 * TextMate grammar can tell apart on one line (`name =`, `name:`, `name(`).
 */
import type { ISerializedGast } from "chevrotain";

type Gast = ISerializedGast & { definition?: ISerializedGast[]; name?: string };

/** Every terminal (token type name) the grammar consumes somewhere. */
export function terminalNames(rules: readonly ISerializedGast[]): Set<string> {
  const names = new Set<string>();
  const visit = (node: Gast): void => {
    if (node.type === "Terminal" && node.name) names.add(node.name);
    for (const child of node.definition ?? []) visit(child as Gast);
  };
  for (const rule of rules) visit(rule as Gast);
  return names;
}

/** FIRST sets and nullability over the serialized productions (enough for the follower question below). */
class FirstSets {
  private readonly rules = new Map<string, Gast>();
  private readonly ruleFirst = new Map<string, { first: Set<string>; nullable: boolean }>();

  constructor(rules: readonly ISerializedGast[]) {
    for (const rule of rules) this.rules.set((rule as Gast).name!, rule as Gast);
  }

  /** FIRST of a sequence of items, and whether the whole sequence can match nothing. */
  ofSequence(items: readonly ISerializedGast[]): { first: Set<string>; nullable: boolean } {
    const first = new Set<string>();
    for (const item of items) {
      const f = this.of(item as Gast);
      for (const t of f.first) first.add(t);
      if (!f.nullable) return { first, nullable: false };
    }
    return { first, nullable: true };
  }

  private of(node: Gast): { first: Set<string>; nullable: boolean } {
    switch (node.type) {
      case "Terminal":
        return { first: new Set([node.name!]), nullable: false };
      case "NonTerminal":
        return this.ofRule(node.name!);
      case "Option":
      case "Repetition":
      case "RepetitionWithSeparator":
        return { first: this.ofSequence(node.definition ?? []).first, nullable: true };
      case "Alternation": {
        const first = new Set<string>();
        let nullable = false;
        for (const alt of node.definition ?? []) {
          const f = this.of(alt as Gast);
          for (const t of f.first) first.add(t);
          nullable ||= f.nullable;
        }
        return { first, nullable };
      }
      default: // Rule, Alternative, RepetitionMandatory(WithSeparator): a sequence
        return this.ofSequence(node.definition ?? []);
    }
  }

  private ofRule(name: string): { first: Set<string>; nullable: boolean } {
    const known = this.ruleFirst.get(name);
    if (known) return known;
    const rule = this.rules.get(name);
    if (!rule) throw new Error(`serialized grammar refers to unknown rule ${name}`);
    // Guard against left recursion (Chevrotain rejects it, but stay total): assume empty while computing.
    this.ruleFirst.set(name, { first: new Set(), nullable: false });
    const result = this.ofSequence(rule.definition ?? []);
    this.ruleFirst.set(name, result);
    return result;
  }
}

/**
 * Token names that can come right after `terminal` inside the same rule (from FIRST of the rest of its
 * sequence). Positions at the end of a rule are not followed further: what follows there is context.
 */
export function followersOf(rules: readonly ISerializedGast[], terminal: string): Set<string> {
  const firsts = new FirstSets(rules);
  const followers = new Set<string>();
  const visit = (node: Gast): void => {
    const items = node.definition ?? [];
    if (node.type !== "Alternation") {
      items.forEach((item, i) => {
        const g = item as Gast;
        if (g.type === "Terminal" && g.name === terminal) {
          for (const t of firsts.ofSequence(items.slice(i + 1)).first) followers.add(t);
        }
      });
    }
    for (const child of items) visit(child as Gast);
  };
  for (const rule of rules) visit(rule as Gast);
  return followers;
}
