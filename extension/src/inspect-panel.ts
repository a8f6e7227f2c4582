/** The interference view: one webview panel beside the recipe, showing the report's HTML page. */
import * as vscode from "vscode";

/** No scripts, no network: the page is self-contained HTML and inline CSS (and an inline SVG). */
const CSP = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;">`;

export function withPolicy(html: string): string {
  return html.includes("<head>") ? html.replace("<head>", `<head>${CSP}`) : `${CSP}${html}`;
}

export class InspectPanel {
  private static panel: vscode.WebviewPanel | undefined;

  /** Shows `html` in the panel (created beside the editor on first use, reused after). */
  static show(title: string, html: string): void {
    let panel = InspectPanel.panel;
    if (!panel) {
      panel = vscode.window.createWebviewPanel(
        "mergelang.interference",
        title,
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        { enableScripts: false, enableFindWidget: true, retainContextWhenHidden: false, localResourceRoots: [] },
      );
      panel.onDidDispose(() => (InspectPanel.panel = undefined));
      InspectPanel.panel = panel;
    }
    panel.title = title;
    panel.webview.html = withPolicy(html);
    panel.reveal(vscode.ViewColumn.Beside, true);
  }
}
