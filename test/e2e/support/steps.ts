/**
 * Steps of an end-to-end scenario. Each runs under its own time limit; after it, a screenshot goes to
 * the results folder and must not be blank. A failure names the step and carries what the user would
 * have seen: the notifications, a screenshot, and the extension's and code-server's last log lines.
 */
import { join } from "node:path";
import { assertNotBlank } from "./png.js";
import type { Session } from "./session.js";

export interface Step {
  name: string;
  /** How long the step may take. */
  timeoutMs: number;
  /** Whether to keep a screenshot of the page after the step (default: when there is a page). */
  screenshot?: boolean;
  run(session: Session): Promise<void>;
}

export class StepFailure extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
    this.name = "StepFailure";
  }
}

const slug = (name: string): string =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 48);

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

/** Runs step number `index` (for the screenshot's name); throws a StepFailure naming it. */
export async function runStep(session: Session, step: Step, index: number): Promise<void> {
  const shot = join(session.results, `${String(index).padStart(2, "0")}-${slug(step.name)}`);
  try {
    await withTimeout(step.run(session), step.timeoutMs);
  } catch (e) {
    throw new StepFailure(step.name, await describeFailure(session, step, e as Error, `${shot}-FAILED.png`));
  }
  const page = session.workbench?.page;
  if (!page || step.screenshot === false) return;
  try {
    await page.screenshot({ path: `${shot}.png` });
    assertNotBlank(`${shot}.png`);
  } catch (e) {
    throw new StepFailure(step.name, `e2e step "${step.name}" passed but its screenshot failed: ${(e as Error).message}`);
  }
}

async function describeFailure(session: Session, step: Step, error: Error, shot: string): Promise<string> {
  const parts = [`e2e step "${step.name}" failed: ${error.message}`];
  const wb = session.workbench;
  if (wb) {
    const notes = await wb.notifications().catch(() => []);
    if (notes.length) parts.push(`notifications on screen:\n  ${notes.join("\n  ")}`);
    const saved = await wb.page.screenshot({ path: shot }).then(
      () => true,
      () => false,
    );
    if (saved) parts.push(`screenshot: ${shot}`);
  }
  const logs = session.extensionLogs();
  if (logs) parts.push(`VS Code logs about the extension:\n${logs}`);
  if (session.server) parts.push(`code-server's last lines:\n${session.server.logTail(10)}`);
  return parts.join("\n");
}
