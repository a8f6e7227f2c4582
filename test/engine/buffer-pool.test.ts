import { test } from "node:test";
import assert from "node:assert/strict";
import { BufferPool } from "../../src/engine/buffer-pool.js";

test("a lent buffer is not handed out again until its loan ends, even once released", async () => {
  const pool = new BufferPool();
  const a = pool.acquire(1000);
  let end!: () => void;
  pool.lend(a, new Promise<void>((resolve) => (end = resolve)));
  pool.release(a);
  const b = pool.acquire(1000);
  assert.notEqual(b.buffer, a.buffer);
  assert.equal(pool.bytes, 8000);
  end();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(pool.acquire(1000).buffer, a.buffer);
});

test("acquireSoon waits for a lent buffer that fits rather than allocating, even when the loan fails", async () => {
  const pool = new BufferPool();
  const a = pool.acquire(1000);
  let fail!: (e: Error) => void;
  const loan = new Promise<void>((_, reject) => (fail = reject));
  loan.catch(() => undefined);
  pool.lend(a, loan);
  pool.release(a);
  const soon = pool.acquireSoon(900);
  let got: Float32Array | null = null;
  void soon.then((x) => (got = x));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(got, null);
  fail(new Error("write failed"));
  const b = await soon;
  assert.equal(b.buffer, a.buffer);
  assert.equal(b.length, 900);
  assert.equal(pool.bytes, 4000);
  // Nothing lent that fits: allocate at once.
  assert.equal((await pool.acquireSoon(10)).length, 10);
});
