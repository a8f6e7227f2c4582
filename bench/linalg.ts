/**
 * The spectral kernels' figures (`npm run bench:linalg [-- sizes...]`): matrix products by kernel
 * (JavaScript loop, ml-matrix, the FMA kernel, TensorFlow.js WebAssembly), the eigendecomposition (ours: auto, the
 * tred2 + tql2 reference and divide and conquer, against ml-matrix's), and per
 * n×n layer of 3 tasks: the fast spectral interference (randomized SVD, top 16), TSV-M, Iso-C and
 * Iso-CTS, and TSV-M of 2 tasks (its own polar path); TSV-M of 3 tasks also with its
 * decompositions one after the other instead of side by side (side-by-side.ts). Each figure is the best of `repeats` runs (the machine is shared). Products are shared
 * with the product thread when it runs (MERGELANG_PRODUCT_THREAD=0: one thread throughout).
 */
import { EigenvalueDecomposition, Matrix as MlMatrix } from "ml-matrix";
import { hasProductThread, multiply, multiplyJs, setProductSplitting } from "../src/linalg/matmul.js";
import { type Float32Engine, type Matrix, float32Engine, setEigenSolver, setFloat32Engine, setProductKernel, symmetricEigen, useFastProducts, zeros } from "../src/linalg/index.js";
import { hasFmaProducts } from "../src/linalg/fma-product.js";
import { spectralTotals } from "../src/inspect/spectral.js";
import { isoCMerge, isoCtsMerge } from "../src/methods/iso.js";
import { tsvMerge } from "../src/methods/tsv.js";
import { setSideBySideMin } from "../src/linalg/side-by-side.js";
import { Random } from "../src/util/random.js";

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = new Random(seed);
  const a = zeros(rows, cols);
  for (let i = 0; i < a.data.length; i++) a.data[i] = rng.normal();
  return a;
}

function best(repeats: number, f: () => void): number {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    f();
    min = Math.min(min, (performance.now() - t) / 1000);
  }
  return min;
}

const line = (label: string, seconds: number, flops?: number): void =>
  console.log(`${label.padEnd(58)} ${seconds.toFixed(3).padStart(9)} s${flops ? `  ${(flops / seconds / 1e9).toFixed(2)} GFLOP/s` : ""}`);

export async function benchLinalg(sizes: number[], methodSizes: number[], eigenSizes: number[] = [], repeats = 2): Promise<void> {
  const n = 1024;
  const a = gaussian(n, n, 1);
  const b = gaussian(n, n, 2);
  const flops = 2 * n ** 3;
  line(`product ${n}³, JavaScript float64 loop`, best(1, () => multiplyJs(a, b)), flops);
  const ma = new MlMatrix(n, n);
  const mb = new MlMatrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) (ma.set(i, j, a.data[i * n + j]!), mb.set(i, j, b.data[i * n + j]!));
  line(`product ${n}³, ml-matrix`, best(1, () => ma.mmul(mb)), flops);
  console.log(`float32 products: ${await useFastProducts()}, engine ${float32Engine() ?? "none"}`);
  const chosen = float32Engine();
  const engines: Float32Engine[] = [...(hasFmaProducts() ? (["fma"] as const) : []), "tfjs"];
  const engineName = { fma: "FMA kernel", tfjs: "TensorFlow.js" } as const;
  for (const s of sizes) {
    const x = gaussian(s, s, 3);
    const was = setProductSplitting(false);
    for (const e of engines) {
      await setFloat32Engine(e);
      line(`product ${s}³, ${engineName[e]}, one thread`, best(repeats, () => multiply(x, x)), 2 * s ** 3);
    }
    if (chosen) await setFloat32Engine(chosen);
    if (hasProductThread() && chosen) {
      setProductSplitting(true);
      line(`product ${s}³, ${engineName[chosen]}, with the product thread`, best(repeats, () => multiply(x, x)), 2 * s ** 3);
    }
    setProductSplitting(was);
  }
  for (const s of [256, 512, n, ...eigenSizes]) {
    const g = multiply(gaussian(s, s, 4), gaussian(s, s, 4), true, false);
    line(`symmetric eigendecomposition ${s} (ours, auto)`, best(1, () => symmetricEigen(g)));
    if (s > 2048) continue; // QL would take minutes
    const was = setEigenSolver("ql");
    line(`symmetric eigendecomposition ${s} (ours, tred2 + tql2)`, best(1, () => symmetricEigen(g)));
    setEigenSolver("dc");
    line(`symmetric eigendecomposition ${s} (ours, divide and conquer)`, best(1, () => symmetricEigen(g)));
    setEigenSolver(was);
    if (s > n) continue; // ml-matrix would take minutes
    const mg = new MlMatrix(s, s);
    for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) mg.set(i, j, g.data[i * s + j]!);
    line(`symmetric eigendecomposition ${s} (ml-matrix)`, best(1, () => new EigenvalueDecomposition(mg, { assumeSymmetric: true })));
  }
  for (const s of sizes) {
    const tasks = [0, 1, 2].map((i) => gaussian(s, s, 10 + i));
    line(`spectral interference, fast, ${s}² × 3 tasks`, best(repeats, () => spectralTotals(tasks, false)));
  }
  for (const s of methodSizes) {
    const tasks = [0, 1, 2].map((i) => gaussian(s, s, 20 + i));
    const sum = zeros(s, s);
    for (const t of tasks) for (let j = 0; j < sum.data.length; j++) sum.data[j] += t.data[j]!;
    line(`iso_c, ${s}² × 3 tasks`, best(1, () => isoCMerge(sum, "auto")));
    const tsv3 = (): Matrix => tsvMerge(tasks, { rankShare: null, orthogonalize: true, svd: "auto" });
    line(`tsv, ${s}² × 3 tasks`, best(1, tsv3));
    const was = setSideBySideMin(Number.POSITIVE_INFINITY);
    line(`tsv, ${s}² × 3 tasks, decompositions one after the other`, best(1, tsv3));
    setSideBySideMin(was);
    line(`iso_cts, ${s}² × 3 tasks`, best(1, () => isoCtsMerge(tasks, 0.8, "auto")));
    line(`tsv, ${s}² × 2 tasks`, best(1, () => tsvMerge(tasks.slice(0, 2), { rankShare: null, orthogonalize: true, svd: "auto" })));
  }
  setProductKernel("js");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2).map(Number).filter((x) => x > 0);
  // MERGELANG_BENCH_METHOD_SIZES / _EIGEN_SIZES: the per-layer merges and the larger eigendecompositions.
  const sizesOf = (name: string, fallback: string): number[] => (process.env[name] ?? fallback).split(",").map(Number).filter((x) => x > 0);
  await benchLinalg(args.length ? args : [1024, 2048, 4096], sizesOf("MERGELANG_BENCH_METHOD_SIZES", "1024,2048"), sizesOf("MERGELANG_BENCH_EIGEN_SIZES", "2048,4096"));
}
