/** The one error type for unreadable or inconsistent model files: names the file, the tensor and a code. */

export type ModelFormatErrorCode =
  | "missing-file"
  | "not-safetensors"
  | "header-too-large"
  | "header-json"
  | "header-invalid"
  | "unknown-dtype"
  | "offsets-out-of-range"
  | "offsets-overlap"
  | "size-mismatch"
  | "truncated"
  | "index-json"
  | "index-mismatch"
  | "config-json"
  | "unknown-tensor"
  | "read-range"
  | "dtype-not-float"
  | "io-error"
  | "outside-folder"
  | "non-finite"

  | "pickle-refused"
  | "pickle-invalid"
  | "lora-invalid";

export class ModelFormatError extends Error {
  override readonly name = "ModelFormatError";
  readonly file: string;
  readonly tensor: string | undefined;
  readonly code: ModelFormatErrorCode;

  constructor(code: ModelFormatErrorCode, file: string, message: string, tensor?: string) {
    super(message);
    this.code = code;
    this.file = file;
    this.tensor = tensor;
  }
}

/** "tensor X in file Y" / "file Y", for messages. */
export function where(file: string, tensor?: string): string {
  return tensor === undefined ? file : `tensor "${tensor}" in ${file}`;
}
