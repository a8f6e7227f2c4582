/**
 * Colours for the heat map. Every colour has a mid luminance (WCAG relative luminance 0.16–0.26), so
 * both ends of the ramp keep a contrast of at least 3:1 against a white page and against a dark
 * editor or notebook background (#1e1e1e); the order reads as hue, blue (less) to orange (more).
 */

/** Ramp stops from "less interference" to "more". */
export const RAMP = ["#3b82c4", "#7c62c0", "#c2558f", "#e0643a"] as const;

/** One colour per task, for norm bars. */
export const TASK_COLOURS = ["#2a8a8f", "#c8612a", "#7c62c0", "#4a8a3a", "#c2558f", "#3b82c4"] as const;

function parse(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

function hex(rgb: [number, number, number]): string {
  return "#" + rgb.map((c) => Math.round(Math.min(255, Math.max(0, c))).toString(16).padStart(2, "0")).join("");
}

/** The ramp colour at t ∈ [0, 1] (clamped; NaN gives the middle). */
export function rampColour(t: number): string {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0.5;
  const scaled = x * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(scaled));
  const f = scaled - i;
  const a = parse(RAMP[i]!);
  const b = parse(RAMP[i + 1]!);
  return hex([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f]);
}

export function taskColour(i: number): string {
  return TASK_COLOURS[i % TASK_COLOURS.length]!;
}

/** WCAG relative luminance of a #rrggbb colour. */
export function luminance(colour: string): number {
  const [r, g, b] = parse(colour).map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two #rrggbb colours. */
export function contrast(a: string, b: string): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** Text colour for a label drawn on `background`: near-black or white, whichever contrasts more. */
export function textOn(background: string): string {
  return contrast(background, "#111111") >= contrast(background, "#ffffff") ? "#111111" : "#ffffff";
}
