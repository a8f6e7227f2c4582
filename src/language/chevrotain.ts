/**
 * Chevrotain, from the single-file build its package ships (lib/chevrotain.mjs: the same release),
 * which `npm run build` copies next to this module as chevrotain-bundle.js. The package's entry point
 * loads hundreds of lodash-es modules one by one: about a quarter of a second of every start (CLI,
 * language server, kernel), against ~20 ms for the bundle. Its "exports" names only that entry point,
 * hence the copy. Bundlers (the VS Code extension's esbuild step) take the package itself instead.
 */
export { createSyntaxDiagramsCode, createToken, CstParser, EOF, Lexer } from "./chevrotain-bundle.js";
