/** Bad input to an interference report: says which model file and tensor, never a stack trace. */
export class InterferenceInputError extends Error {
  override readonly name = "InterferenceInputError";
  readonly file: string | undefined;
  readonly tensor: string | undefined;

  constructor(message: string, file?: string, tensor?: string) {
    super(message);
    this.file = file;
    this.tensor = tensor;
  }
}
