/**
 * A node:test reporter that `npm test` runs next to `spec`: at the end, one line per group of skipped
 * tests (the tests skipped for one reason, e.g. one missing Debian package) with its count, then one
 * summary line listing the groups, so a skip is never silent. Under MERGELANG_TEST_ALL=1 any skip
 * fails the run.
 *
 *   node --test --test-reporter=spec --test-reporter-destination=stdout \
 *     --test-reporter=./dist/test/support/skip-summary.js --test-reporter-destination=stdout FILES
 */

/** The part of node:test's reporter events this reporter reads. */
interface ReporterEvent {
  type: string;
  data?: { skip?: string | boolean; details?: { type?: string } };
}

export default async function* skipSummary(source: AsyncIterable<ReporterEvent>): AsyncGenerator<string> {
  const groups = new Map<string, number>();
  for await (const event of source) {
    const skip = event.data?.skip;
    if (event.type !== "test:pass" || skip === undefined || skip === false) continue;
    // A skipped suite's tests are never collected: it counts as one.
    const reason = typeof skip === "string" ? skip : "skipped";
    groups.set(reason, (groups.get(reason) ?? 0) + 1);
  }
  const testAll = process.env["MERGELANG_TEST_ALL"] === "1";
  if (testAll && groups.size > 0) process.exitCode = 1;
  for (const line of summaryLines(groups, testAll)) yield line;
}

/** The lines for the skipped groups (reason → test count): one per group, then the summary. */
export function summaryLines(groups: ReadonlyMap<string, number>, testAll: boolean): string[] {
  if (groups.size === 0) return ["ℹ skipped groups: none\n"];
  const sorted = [...groups].sort(([a], [b]) => a.localeCompare(b));
  const lines = sorted.map(([reason, n]) => `﹣ skipped ${count(n)}: ${reason}\n`);
  const total = sorted.reduce((sum, [, n]) => sum + n, 0);
  const list = sorted.map(([reason, n]) => `${shortReason(reason)} (${count(n)})`).join(", ");
  lines.push(`ℹ skipped groups: ${list}; ${count(total)} in all (sudo npm run setup:test installs the Debian packages)\n`);
  if (testAll) lines.push("✖ MERGELANG_TEST_ALL=1 allows no skipped test\n");
  return lines;
}

/** "needs WHAT (INSTALL)" → "needs WHAT": the install commands are on the group's own line. */
function shortReason(reason: string): string {
  return reason.replace(/ \([^()]*\)$/, "");
}

function count(n: number): string {
  return `${n} test${n === 1 ? "" : "s"}`;
}
