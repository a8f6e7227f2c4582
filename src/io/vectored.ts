/**
 * Reads and writes of consecutive file bytes to or from many separate memory ranges (readv, writev):
 * one system call per up to 1024 ranges instead of a call, or a copy, per range.
 */
import { readv, writev } from "node:fs";

/** Ranges per call (the usual IOV_MAX). */
const MAX_PARTS = 1024;

type Vectored = (fd: number, parts: Uint8Array[], position: number, cb: (err: NodeJS.ErrnoException | null, n: number) => void) => void;

/** Calls `op` until the parts are done (or, for reads, the file ends); returns the bytes moved. */
async function vectored(op: Vectored, fd: number, parts: readonly Uint8Array[], position: number): Promise<number> {
  let i = 0;
  let offset = 0;
  let moved = 0;
  for (;;) {
    while (i < parts.length && offset === parts[i]!.length) {
      i++;
      offset = 0;
    }
    if (i === parts.length) return moved;
    const batch: Uint8Array[] = [parts[i]!.subarray(offset)];
    for (let j = i + 1; j < parts.length && batch.length < MAX_PARTS; j++) batch.push(parts[j]!);
    const n = await new Promise<number>((res, rej) => op(fd, batch, position + moved, (err, count) => (err ? rej(err) : res(count))));
    if (n === 0) return moved;
    moved += n;
    let left = n;
    while (left > 0) {
      const room = parts[i]!.length - offset;
      if (left < room) {
        offset += left;
        left = 0;
      } else {
        left -= room;
        i++;
        offset = 0;
      }
    }
  }
}

/** Reads the file's bytes from `position` on into `parts`, in order; returns the bytes read (fewer at the end of the file). */
export function readParts(fd: number, parts: readonly Uint8Array[], position: number): Promise<number> {
  return vectored(readv as Vectored, fd, parts, position);
}

/** Writes `parts`, in order, as consecutive bytes of the file from `position` on. */
export async function writeParts(fd: number, parts: readonly Uint8Array[], position: number): Promise<void> {
  const total = parts.reduce((a, p) => a + p.length, 0);
  const written = await vectored(writev as Vectored, fd, parts, position);
  if (written !== total) throw new Error(`wrote ${written} of ${total} bytes`);
}
