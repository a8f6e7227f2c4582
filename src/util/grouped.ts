/**
 * 1234567 → "1,234,567", as toLocaleString("en-US") writes an integer, without its first call's
 * 20 ms of loading Intl's locale data (paid at the end of every merge, by the model card).
 */
export function grouped(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const digits = String(Math.abs(Math.round(n)));
  const head = digits.length % 3 || 3;
  const parts = [digits.slice(0, head)];
  for (let i = head; i < digits.length; i += 3) parts.push(digits.slice(i, i + 3));
  return (n < 0 && Math.round(n) !== 0 ? "-" : "") + parts.join(",");
}
