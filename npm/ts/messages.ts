/**
 * The core's error messages, composed in JavaScript from its templates (./codes.ts), so that
 * an error result crosses the wasm boundary as a few integers.
 */
import { MESSAGES } from "./codes.js";

/** The message of error `code` (an `ERROR_CODES` index) for flag `key`. */
export function message(code: number, key: string, a?: string, b?: string): string {
  const args = [key, a, b];
  return MESSAGES[code].replace(/\$(\d)/g, (_, i: string) => args[+i] ?? "");
}
