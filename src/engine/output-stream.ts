/**
 * The saved tensors on their way to the writer. With worker threads, a 16-bit output is rounded by
 * every thread, in place (into the lower halves of its buffer's segments, see parallel/decode.ts),
 * and written from there while the next chunks are computed: the buffer stays out of the pool until
 * its write is done. Writes run one after the other (writer calls may not overlap); behind the one
 * under way, up to QUEUED_BYTES of buffers may wait, so that the small tensors after a large one go
 * on computing while its hundred megabytes are written. A failed write surfaces at the next call or
 * at `drain`.
 */
import { type HalfDType, type ModelWriter, isHalfDType, outputDTypeToDType } from "../io/index.js";
import { encodedHalves } from "./parallel/decode.js";
import type { RunContext } from "./tensor-run.js";

/** Buffer bytes that may wait behind the write under way. */
export const QUEUED_BYTES = 64 << 20;

export class OutputStream {
  private writing: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  /** The writes not yet done, oldest first, with their buffers' bytes. */
  private readonly inFlight: { done: Promise<void>; bytes: number }[] = [];

  constructor(
    private readonly ctx: RunContext,
    private readonly writer: ModelWriter,
  ) {}

  /**
   * The 16-bit dtype chunks are rounded to in place before they are written (by `writeValues`, or
   * already by whoever computed them, see TensorRun.evaluate), or null: written as floats.
   */
  get roundTo(): HalfDType | null {
    const stored = outputDTypeToDType(this.writer.outputDType);
    return this.ctx.parallel.threads > 1 && isHalfDType(stored) ? stored : null;
  }

  /**
   * A chunk of a float tensor's values (a pool buffer), from element `start` on, or with `rounded`
   * already rounded to `roundTo` in place. The values may be rounded in place: the caller must not
   * read them afterwards.
   */
  async writeValues(name: string, values: Float32Array, start: number, rounded = false): Promise<void> {
    const roundTo = this.roundTo;
    if (!roundTo) {
      await this.drain();
      await this.writer.writeF32(name, values, start);
      return;
    }
    await this.makeRoom(values.byteLength);
    if (!rounded) await this.ctx.parallel.encode(roundTo, values);
    const parts = encodedHalves(values);
    const written = this.writing.then(() => this.writer.writeRawParts(name, parts, start * 2));
    this.ctx.pool.lend(values, written);
    this.writing = written.catch((e: Error) => {
      this.failure ??= e;
    });
    const entry = { done: this.writing, bytes: values.byteLength };
    this.inFlight.push(entry);
    void this.writing.then(() => this.inFlight.splice(this.inFlight.indexOf(entry), 1));
  }

  /** Waits for the oldest writes until `bytes` more fit behind the one under way. */
  private async makeRoom(bytes: number): Promise<void> {
    for (;;) {
      this.check();
      const waiting = this.inFlight.slice(1).reduce((a, w) => a + w.bytes, 0);
      if (this.inFlight.length === 0 || waiting + bytes <= QUEUED_BYTES) return;
      await this.inFlight[0]!.done;
    }
  }

  /** Bytes already in the stored dtype (carried tensors). */
  async writeRaw(name: string, bytes: Uint8Array): Promise<void> {
    await this.drain();
    await this.writer.writeRaw(name, bytes);
  }

  /** Waits for the writes in flight; throws the first that failed. */
  async drain(): Promise<void> {
    await this.writing;
    this.check();
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}
