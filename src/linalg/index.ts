/** Dense linear algebra for the spectral methods and the spectral interference report. */
export type { Matrix } from "./matrix.js";
export type { Svd } from "./eigen.js";
export type { SvdMode } from "./svd.js";
export { zeros, fromArray, transpose, columns, hconcat, scaleColumns, frobenius, distance } from "./matrix.js";
export { gramOf, multiply, useFastProducts, productKernel, setProductKernel, float32Engine, setFloat32Engine, type ProductKernel, type Float32Engine } from "./matmul.js";
export { exactSvd, setEigenSolver, symmetricEigen, type EigenSolver } from "./eigen.js";
export { GRAM_FLOOR, gramSvd } from "./gram-svd.js";
export { randomizedSvd, type RandomizedOptions } from "./randomized-svd.js";
export { truncatedSvd, leadingSvd, fullSvd, EXACT_LIMIT } from "./svd.js";
export { polarAndSpectrum, polarFactor, polarOf } from "./polar.js";
export { polarBordered } from "./polar-bordered.js";
export { newtonSchulzStep, orthonormalBasis } from "./orthonormal.js";
export { polarOfOrthonormalPair } from "./polar-pair.js";
export { gramSvdsSideBySide, leadingSvdsSideBySide, orthonormalPairPolarsSideBySide, polarsSideBySide, setSideBySideMin, truncatedSvdsSideBySide, SIDE_BY_SIDE_MIN } from "./side-by-side.js";
