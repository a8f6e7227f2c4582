/**
 * Element ranges handed out on demand: every thread (the main one included) takes the next `grain`
 * elements from a shared cursor until none are left. Threads that start late or get less CPU simply
 * take fewer ranges, so nobody waits for a fixed share. Which thread computes a range never changes
 * its bits: ranges are fixed by `grain` alone.
 */

export interface ClaimRef {
  /** One Int32: the index of the next range to take. */
  cursor: SharedArrayBuffer;
  grain: number;
  length: number;
}

export function newClaims(length: number, grain: number): ClaimRef {
  if (!(grain >= 1)) throw new Error(`engine: bad claim grain ${grain}`);
  return { cursor: new SharedArrayBuffer(4), grain, length };
}

/** Runs `work` on every range this thread claims; returns the number of elements it covered. */
export function forEachClaim(ref: ClaimRef, work: (start: number, end: number) => void): number {
  const cursor = new Int32Array(ref.cursor);
  let covered = 0;
  for (;;) {
    const start = Atomics.add(cursor, 0, 1) * ref.grain;
    if (start >= ref.length) return covered;
    const end = Math.min(ref.length, start + ref.grain);
    work(start, end);
    covered += end - start;
  }
}

/** A multiple of `unit` near `target` (at least one unit): ranges that keep whole rows or blocks. */
export function grainOf(unit: number, target: number): number {
  return Math.max(1, Math.round(target / unit)) * unit;
}
