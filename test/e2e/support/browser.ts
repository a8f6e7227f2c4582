/** Debian's Chromium, headless, driven by playwright-core (never a downloaded browser). */
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { detachedChildren, stopGroup, trackGroup } from "./process-group.js";

const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export interface LaunchedBrowser {
  browser: Browser;
  /** Process groups Chromium runs in. */
  groups: number[];
  /** Closes the browser and stops its process group. */
  close(): Promise<void>;
}

export async function launchChromium(executablePath: string, home: string): Promise<LaunchedBrowser> {
  const before = new Set(detachedChildren());
  const browser = await chromium.launch({
    executablePath,
    args: ARGS,
    headless: true,
    env: { ...process.env, XDG_CONFIG_HOME: join(home, "xdg-config"), XDG_CACHE_HOME: join(home, "xdg-cache") },
  });
  // Playwright starts Chromium as the leader of its own process group: remember it to stop it for sure.
  const groups = detachedChildren().filter((pid) => !before.has(pid));
  groups.forEach(trackGroup);
  return {
    browser,
    groups,
    async close() {
      await Promise.race([browser.close().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
      for (const pid of groups) await stopGroup(pid);
    },
  };
}
