/** Unreadable or inconsistent tokenizer files, or vocabularies that cannot be aligned: names the file. */
export class VocabError extends Error {
  override readonly name = "VocabError";
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}
