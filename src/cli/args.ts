/**
 * Command-line options through node's parseArgs, with the language's kind of message: an unknown
 * option gets a "did you mean", a missing value says what the option takes.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { closest } from "../language/suggest.js";
import { UsageError } from "./command.js";

type Options = NonNullable<ParseArgsConfig["options"]>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: O }>>;

/** `command` names the command for the pointer to its --help. */
export function parseCommandArgs<const O extends Options>(command: string, argv: string[], options: O): Parsed<O> {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    if (!code.startsWith("ERR_PARSE_ARGS")) throw e;
    throw new UsageError(describeArgsError(code, (e as Error).message, options, command));
  }
}

function describeArgsError(code: string, raw: string, options: Options, command: string): string {
  const flag = /'(-[^' <]+)/.exec(raw)?.[1] ?? "";
  const names = Object.keys(options).map((n) => `--${n}`);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const s = closest(flag.replace(/=.*$/, ""), names);
    return `unknown option '${flag}'${s ? `: did you mean '${s}'?` : ` (mergelang ${command} --help lists the options)`}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const name = flag.replace(/^-+/, "");
    const option = options[name];
    return option?.type === "boolean" ? `${flag} takes no value` : `${flag} needs a value (${flag} VALUE)`;
  }
  return raw;
}
