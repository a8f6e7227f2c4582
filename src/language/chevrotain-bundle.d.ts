// Types of dist/src/language/chevrotain-bundle.js, Chevrotain's single-file build (see chevrotain.ts).
export * from "chevrotain";
