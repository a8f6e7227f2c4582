/**
 * The entries of a zip archive from its central directory (zip64 included), with the offset of each
 * entry's data: enough to read the stored (uncompressed) records `torch.save` writes in place.
 */
import { readSync } from "node:fs";
import { ModelFormatError } from "./errors.js";

export interface ZipEntry {
  name: string;
  /** 0 = stored; anything else is compressed and cannot be read in place. */
  method: number;
  size: number;
  /** Absolute offset of the entry's data. */
  dataOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/** Whether the file starts like a zip archive. */
export function isZip(fd: number): boolean {
  const head = readAt(fd, 0, 4);
  return head.length === 4 && head.readUInt32LE(0) === LOCAL;
}

export function zipEntries(fd: number, file: string, size: number): ZipEntry[] {
  const bad = (why: string): ModelFormatError => new ModelFormatError("pickle-invalid", file, `${file} is not a readable zip archive: ${why}`);
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = readAt(fd, size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad("no end of central directory");
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || tail.readUInt32LE(loc) !== ZIP64_LOCATOR) throw bad("a zip64 archive without its locator");
    const rec = readAt(fd, Number(tail.readBigUInt64LE(loc + 8)), 56);
    if (rec.length < 56 || rec.readUInt32LE(0) !== ZIP64_EOCD) throw bad("a broken zip64 end of central directory");
    count = Number(rec.readBigUInt64LE(32));
    cdSize = Number(rec.readBigUInt64LE(40));
    cdOffset = Number(rec.readBigUInt64LE(48));
  }
  const cd = readAt(fd, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw bad(`central directory entry ${i} is damaged`);
    const method = cd.readUInt16LE(p + 10);
    let compressed = cd.readUInt32LE(p + 20);
    let uncompressed = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    let local = cd.readUInt32LE(p + 42);
    const name = cd.toString("utf8", p + 46, p + 46 + nameLen);
    // zip64 extra field: 64-bit values for exactly the fields that are 0xFFFFFFFF, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = cd.readUInt16LE(e);
      const len = cd.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const next = (): number => {
          const v = Number(cd.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (uncompressed === 0xffffffff) uncompressed = next();
        if (compressed === 0xffffffff) compressed = next();
        if (local === 0xffffffff) local = next();
      }
      e += 4 + len;
    }
    const lh = readAt(fd, local, 30);
    if (lh.length < 30 || lh.readUInt32LE(0) !== LOCAL) throw bad(`the local header of ${name} is damaged`);
    const dataOffset = local + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
    entries.push({ name, method, size: method === 0 ? uncompressed : compressed, dataOffset });
    p = extraEnd + commentLen;
  }
  return entries;
}

export { readAt };
