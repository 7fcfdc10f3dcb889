/**
 * The core's enums as the wasm boundary numbers them (`#[repr(u8)]` in core/src/detail.rs).
 * A Rust unit test in npm/src/lib.rs reads this file and fails when the orders drift apart.
 */
export const REASONS = ["STATIC", "DEFAULT", "TARGETING_MATCH", "SPLIT", "DISABLED", "PREREQUISITE_FAILED", "ERROR"] as const;
export const ERROR_CODES = ["FLAG_NOT_FOUND", "TYPE_MISMATCH", "PARSE_ERROR", "TARGETING_KEY_MISSING", "INVALID_CONTEXT", "GENERAL"] as const;
export const VALUE_TYPES = ["boolean", "string", "number", "object"] as const;

export type Reason = (typeof REASONS)[number];
export type ErrorCode = (typeof ERROR_CODES)[number];
export type ValueType = (typeof VALUE_TYPES)[number];
