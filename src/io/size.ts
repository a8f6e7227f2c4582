/** Shard sizes as people write them: "5GB" (10^9, like Hugging Face and mergekit), "2GiB" (2^30), bytes. */

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  k: 1e3, m: 1e6, g: 1e9, t: 1e12,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
};

/** Bytes in a size such as "5GB", "500MB", "2GiB", "1.5 GB" or a plain number of bytes. */
export function parseSize(size: string | number): number {
  if (typeof size === "number") {
    if (!Number.isFinite(size) || size <= 0) throw new RangeError(`invalid size ${size}: expected a positive number of bytes`);
    return Math.floor(size);
  }
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(size);
  const unit = m ? UNITS[(m[2] ?? "").toLowerCase() || "b"] : undefined;
  if (!m || unit === undefined) {
    throw new RangeError(`invalid size "${size}": write a number with a unit, such as "5GB", "500MB" or "2GiB"`);
  }
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes <= 0) throw new RangeError(`invalid size "${size}": it must be more than zero bytes`);
  return bytes;
}

/** "1.23 GB"-style text for messages and model cards. */
export function formatSize(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = bytes / 1e3;
  let i = 0;
  while (v >= 1e3 && i < units.length - 1) {
    v /= 1e3;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}
