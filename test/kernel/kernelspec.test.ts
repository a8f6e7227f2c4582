import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inflateSync } from "node:zlib";
import { test } from "node:test";
import { crc32 } from "../../kernel/png.js";
import { run, tempDir } from "./support.js";

const CLI = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

function cli(args: string[], env: NodeJS.ProcessEnv = process.env): ReturnType<typeof run> {
  return run(process.execPath, [CLI, ...args], { cwd: tempDir("cli"), env, timeoutMs: 30_000 });
}

/** Checks a PNG's structure (signature, chunk CRCs, IHDR) and returns its size and pixels. */
function readPng(bytes: Buffer): { width: number; height: number; rgba: Buffer } {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  for (;;) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString("ascii", at + 4, at + 8);
    assert.equal(bytes.readUInt32BE(at + 8 + length), crc32(bytes.subarray(at + 4, at + 8 + length)), `CRC of ${type}`);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8);
      assert.equal(data[9], 6);
    } else if (type === "IDAT") idat.push(data);
    at += 12 + length;
    if (type === "IEND") break;
  }
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, height * (1 + width * 4));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) raw.copy(rgba, y * width * 4, y * (1 + width * 4) + 1, (y + 1) * (1 + width * 4));
  return { width, height, rgba };
}

test("crc32 matches the standard check value", () => {
  assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
});

test("kernel install --prefix writes kernel.json and two logos; remove deletes them", async () => {
  const prefix = tempDir("prefix");
  const r = await cli(["kernel", "install", "--prefix", prefix]);
  assert.equal(r.code, 0, r.stderr);
  const dir = join(prefix, "share", "jupyter", "kernels", "mergelang");
  assert.match(r.stdout, /installed the mergelang kernel/);
  const spec = JSON.parse(readFileSync(join(dir, "kernel.json"), "utf8")) as { argv: string[]; language: string; display_name: string };
  assert.equal(spec.language, "mergelang");
  assert.equal(spec.display_name, "mergelang");
  assert.equal(spec.argv[0], process.execPath);
  assert.equal(spec.argv[1], CLI);
  assert.ok(existsSync(spec.argv[1]!));
  assert.deepEqual(spec.argv.slice(2), ["kernel", "start", "{connection_file}"]);
  for (const size of [32, 64]) {
    const png = readPng(readFileSync(join(dir, `logo-${size}x${size}.png`)));
    assert.equal(png.width, size);
    assert.equal(png.height, size);
    const center = ((size / 2) * size + size / 2) * 4;
    assert.equal(png.rgba[center + 3], 255, "the logo is opaque in the middle");
    assert.equal(png.rgba[3], 0, "and transparent in the rounded corner");
  }
  const removed = await cli(["kernel", "remove", "--prefix", prefix]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.ok(!existsSync(dir));
  const again = await cli(["kernel", "remove", "--prefix", prefix]);
  assert.equal(again.code, 1);
});

test("kernel install --user goes to the Jupyter data folder, with the cache cap in the environment", async () => {
  const data = tempDir("data");
  const r = await cli(["kernel", "install", "--user", "--cache", "2GB"], { ...process.env, JUPYTER_DATA_DIR: data });
  assert.equal(r.code, 0, r.stderr);
  const spec = JSON.parse(readFileSync(join(data, "kernels", "mergelang", "kernel.json"), "utf8")) as { env: Record<string, string> };
  assert.deepEqual(spec.env, { MERGELANG_CACHE: "2GB" });
});

test("kernel install --sys-prefix uses the active virtual environment", async () => {
  const venv = tempDir("venv");
  const r = await cli(["kernel", "install", "--sys-prefix"], { ...process.env, VIRTUAL_ENV: venv });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(venv, "share", "jupyter", "kernels", "mergelang", "kernel.json")));
});

test("kernel install refuses two locations and a bad cache size", async () => {
  const both = await cli(["kernel", "install", "--user", "--prefix", tempDir("x")]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /choose one of --user, --prefix DIR and --sys-prefix/);
  const bad = await cli(["kernel", "install", "--prefix", tempDir("y"), "--cache", "lots"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--cache/);
});

test("kernel start without a connection file is a usage error", async () => {
  const r = await cli(["kernel", "start"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /connection file/);
  const missing = await cli(["kernel", "start", "/nonexistent/connection.json"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no such connection file/);
  assert.ok(!missing.stderr.includes("    at "), "no stack trace");
});
