import * as path from 'path';

/**
 * `text` as one POSIX shell word. Store keys are free text: a quote in one must not turn a
 * pasted hint into a different command.
 */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(text) ? text : singleQuoted(text);
}

/** `text` in single quotes, as one POSIX shell word whatever it holds. */
export function singleQuoted(text: string): string {
  return `'${text.replace(/'/g, '\'\\\'\'')}'`;
}

/**
 * The command that re-runs one carrier instance, runnable as printed: in the stack's directory
 * (Terraform's address, not cdktf-cli's decorated one), the address quoted for the shell. The
 * directory is relative to `from` when given, else absolute.
 */
export function replaceCommand(address: string, stackDir: string, from?: string): string {
  const dir = from === undefined ? path.resolve(stackDir) : path.relative(from, stackDir) || '.';
  return `cd ${shellQuote(dir)} && terraform apply -replace=${shellQuote(address)}`;
}
