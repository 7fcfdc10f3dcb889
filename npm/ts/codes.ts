/**
 * The core's code tables as the wasm boundary numbers them (`#[repr(u8)]` in
 * core/src/detail.rs), and its error messages. Rendered from burgee-core by a unit test in
 * npm/src/lib.rs, which fails when this file differs: do not edit it, run
 * `BURGEE_BLESS=1 cargo test -p burgee-npm codes_ts` to write it again.
 */
export const REASONS = ["STATIC", "DEFAULT", "TARGETING_MATCH", "SPLIT", "DISABLED", "PREREQUISITE_FAILED", "ERROR"] as const;
export const ERROR_CODES = ["FLAG_NOT_FOUND", "TYPE_MISMATCH", "PARSE_ERROR", "TARGETING_KEY_MISSING", "INVALID_CONTEXT", "GENERAL"] as const;
export const VALUE_TYPES = ["boolean", "string", "number", "object"] as const;

/**
 * The core's error messages (`EvalError::message`) by error code: `$0` is the flag key, `$1`
 * and `$2` the details (./messages.ts fills them in).
 */
export const MESSAGES = ["flag `$0` does not exist", "flag `$0` is a $1 flag, but a $2 was requested", "flag `$0` has a configuration error: $1", "flag `$0` is rolled out by `$1`, which the context lacks (or is not a string)", "$1", "$1"];
/** `GENERAL` messages by the outcome's auxiliary number (`EvalError::GENERAL_MESSAGES`). */
export const GENERAL = ["prerequisites nest deeper than 32 flags", "segments nest deeper than 32 levels", "the context was bound to a snapshot with other attributes", "the flag has no default serve", "the flag reaches more than 128 segments and prerequisites"];

export type Reason = (typeof REASONS)[number];
export type ErrorCode = (typeof ERROR_CODES)[number];
export type ValueType = (typeof VALUE_TYPES)[number];
