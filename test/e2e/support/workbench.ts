/**
 * The VS Code workbench in a browser page, driven the way a user does: keyboard shortcuts, Quick
 * Open, the command palette, the mouse. Selectors are VS Code 1.99's DOM.
 */
import type { Frame, Locator, Page } from "playwright-core";

/** Thrown by a probe to stop waiting at once: what was awaited can no longer happen. */
export class GiveUp extends Error {}

/** Waits until `probe` returns a value that is not null/undefined/false, or throws `what` after `ms`. */
export async function until<T>(what: string, ms: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== null && v !== undefined && v !== false) return v;
    } catch (e) {
      if (e instanceof GiveUp) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message.split("\n")[0]})` : "";
      throw new Error(`timed out after ${(ms / 1000).toFixed(0)} s waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The little of the DOM these page functions touch (the project compiles without the DOM types). */
interface DomElement {
  textContent: string | null;
  style: { top: string };
  classList: Iterable<string>;
}
declare function getComputedStyle(element: DomElement): { color: string };

export interface Token {
  text: string;
  className: string;
  colour: string;
}

export class Workbench {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.locator(".monaco-workbench").waitFor({ timeout: 90_000 });
    await this.page.locator(".explorer-folders-view .monaco-list-row").first().waitFor({ timeout: 60_000 });
  }

  /** The editor of the active group. */
  editor(): Locator {
    return this.page.locator(".editor-group-container.active .monaco-editor[data-uri]").first();
  }

  async activeTabTitle(): Promise<string> {
    return ((await this.page.locator(".editor-group-container.active .tab.active .label-name").first().textContent()) ?? "").trim();
  }

  /** Opens a workspace file with Quick Open (Ctrl+P), trying again if a stray widget ate the keys. */
  async openFile(name: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.page.keyboard.press("Escape");
        await this.page.keyboard.press("Control+P");
        const input = this.page.locator(".quick-input-widget .quick-input-box input");
        await input.waitFor({ timeout: 10_000 });
        await input.fill(name);
        const row = this.page.locator(`.quick-input-list .monaco-list-row[aria-label*="${name}"]`).first();
        await row.waitFor({ timeout: 15_000 });
        await row.click();
        await until(`the editor tab "${name}"`, 10_000, async () => (await this.activeTabTitle()) === name);
        break;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
    await this.editor().locator(".view-lines .view-line").first().waitFor({ timeout: 20_000 });
    await this.focusEditor();
  }

  async focusEditor(): Promise<void> {
    await this.editor().locator(".view-lines").click({ position: { x: 5, y: 5 } });
  }

  /** Runs a command from the palette (F1) by its title, e.g. "mergelang: Run Recipe". */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press("F1");
    const input = this.page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor({ timeout: 15_000 });
    await input.fill(`>${title}`);
    const row = this.page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
    await row.waitFor({ timeout: 20_000 });
    await row.click();
    await input.waitFor({ state: "hidden", timeout: 10_000 }).catch(() => undefined);
  }

  /** The suggest widget: as typing opened it, else opened with Ctrl+Space (quick suggestions may wait). */
  async suggestions(): Promise<Locator> {
    const widget = this.page.locator(".editor-widget.suggest-widget.visible");
    const opened = await widget.waitFor({ timeout: 3_000 }).then(() => true, () => false);
    if (!opened) {
      await this.page.keyboard.press("Control+Space");
      await widget.waitFor({ timeout: 15_000 });
    }
    return widget;
  }

  /** Closes the suggest widget if typing opened it (so Tab and Enter reach the editor). */
  async dismissSuggestions(): Promise<void> {
    const widget = this.page.locator(".editor-widget.suggest-widget.visible");
    if (await widget.waitFor({ timeout: 1_500 }).then(() => true, () => false)) {
      await this.page.keyboard.press("Escape");
      await widget.waitFor({ state: "hidden", timeout: 5_000 });
    }
  }

  /** Moves the cursor with Go to Line (Ctrl+G); line and column from 1. */
  async goTo(line: number, column = 1): Promise<void> {
    await this.page.keyboard.press("Control+G");
    const input = this.page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor({ timeout: 15_000 });
    await input.fill(`:${line}:${column}`);
    await this.page.keyboard.press("Enter");
    await input.waitFor({ state: "hidden", timeout: 10_000 });
  }

  /**
   * The text of the editor's rendered lines, top to bottom (non-breaking spaces as spaces), without
   * injected text such as inlay hints (spans styled by a `dyn-rule-*` class).
   */
  async lines(): Promise<string[]> {
    return this.editor().evaluate((el) =>
      [...(el.querySelectorAll(".view-lines .view-line") as Iterable<DomElement & { querySelectorAll(s: string): Iterable<DomElement> }>)]
        .map((l) => ({
          top: parseFloat(l.style.top),
          text: [...l.querySelectorAll("span[class*='mtk']")]
            .filter((s) => ![...s.classList].some((c) => c.startsWith("dyn-rule-")))
            .map((s) => s.textContent ?? "")
            .join("")
            .replace(/\u00a0/g, " "),
        }))
        .sort((a, b) => a.top - b.top)
        .map((l) => l.text),
    );
  }

  /** Waits until the editor shows `line` (rendering follows typing by a frame or two). */
  async waitForLine(line: string, ms = 10_000): Promise<void> {
    let seen: string[] = [];
    try {
      await until(`the line "${line}"`, ms, async () => (seen = await this.lines()).includes(line));
    } catch (e) {
      throw new Error(`${(e as Error).message}; the editor shows:\n${seen.join("\n")}`);
    }
  }

  /** The editor's coloured tokens: Monaco renders each as a span with an `mtkN` class. */
  async tokens(): Promise<Token[]> {
    return this.editor().evaluate((el) =>
      [...(el.querySelectorAll(".view-lines .view-line span[class*='mtk']") as Iterable<DomElement>)].map((s) => ({
        text: (s.textContent ?? "").replace(/\u00a0/g, " "),
        className: [...s.classList].find((c) => /^mtk\d+$/.test(c)) ?? "",
        colour: getComputedStyle(s).color,
      })),
    );
  }

  /** The rendered span of the first token with exactly this text. */
  token(text: string): Locator {
    return this.editor().locator(".view-lines .view-line span[class*='mtk']", { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) }).first();
  }

  async squiggles(kind: "error" | "warning"): Promise<number> {
    return this.editor().locator(`.view-overlays .squiggly-${kind}`).count();
  }

  /** Messages of the notification toasts on screen. */
  async notifications(): Promise<string[]> {
    return this.page.locator(".notifications-toasts .notification-list-item-message").allTextContents();
  }

  /** The frame showing a webview whose document has `selector`. */
  async webviewFrame(selector: string, ms: number): Promise<Frame> {
    return until(`a webview showing ${selector}`, ms, async () => {
      for (const frame of this.page.frames()) {
        if (frame === this.page.mainFrame()) continue;
        if ((await frame.locator(selector).count().catch(() => 0)) > 0) return frame;
      }
      return null;
    });
  }
}
