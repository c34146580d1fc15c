/**
 * Control characters (but newline and tab), C1 controls and bidirectional overrides, as visible
 * `\uXXXX`. Command's messages and store paths are somebody else's text: an `ESC [2J` in a job's
 * Message must not clear the pipeline's terminal, a `\r` or a bidi override must not disguise a line.
 */
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(HIDDEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
