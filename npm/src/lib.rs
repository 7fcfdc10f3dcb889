//! The wasm side of the `burgee` npm package: glue, no decisions.
//!
//! What crosses the boundary decides the speed (a JS object through serde costs ~4 µs, a raw
//! export ~0.2 µs), so the design keeps every hot call to a few integers: one [`Engine`] holds one decoded snapshot and one bound context; JavaScript reads
//! the snapshot's manifest once (flag keys, variant values, rule ids, static outcomes), hands a
//! context across once as flat typed arrays of only the attributes the snapshot reads, and then
//! asks for outcomes by flag index. An outcome comes back as one number: the packed `u32`
//! ([`pack`]) and the auxiliary field (rule, prerequisite) above it ([`with_aux`]). Names, values,
//! result objects and error messages are built on the JavaScript side from the manifest and
//! `ts/codes.ts`, the core's code tables and message templates, which a test below renders
//! from the core and compares with the committed file.
//!
//! Only numbers and byte/number arrays go in, and only numbers and the manifest's text come
//! out: every other type that crosses (strings in, `JsError`, `Option`) adds code to the
//! wasm-bindgen glue that every page downloads (see the size test).
//!
//! The lean build (default features) is the evaluator and the binary snapshot decoder only,
//! for browsers and workers. The `full` feature (the Node build) adds compiling a flag document
//! (JSON text, or a JS object through serde-wasm-bindgen) and validation.

// The lean wasm leaves std out: std's panic machinery formats messages, which drags in
// `core::fmt` (~10 % of the binary). Evaluation never panics; should anything else, the wasm
// traps and JavaScript turns that into an `ERROR` result.
#![cfg_attr(all(target_arch = "wasm32", not(feature = "full")), no_std)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

use burgee_core::{Attr, Context, DecodeError, Outcome, Snapshot, Text, ValueType};
use wasm_bindgen::prelude::*;

#[cfg(all(target_arch = "wasm32", not(feature = "full")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// Talc in both builds: smaller than std's dlmalloc in the lean build, and faster at what a
/// snapshot does (thousands of small allocations decoded at once, freed at once).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A context as JavaScript writes it into wasm memory: per attribute slot, a kind byte and
/// its payload; numbers, lengths and counts are little-endian `f64`s. Mirrored in
/// `ts/context.ts`.
pub mod kind {
    pub const MISSING: u8 = 0;
    pub const FALSE: u8 = 1;
    pub const TRUE: u8 = 2;
    /// An `f64` follows.
    pub const NUMBER: u8 = 3;
    /// A length `n` follows, then `n` bytes of UTF-8 (what `TextEncoder` makes of it).
    pub const STRING: u8 = 4;
    /// Present, but of a type no operator compares (an object, a nested array).
    pub const OTHER: u8 = 5;
    /// An element count follows, then that many scalars.
    pub const LIST: u8 = 6;
    /// Alone: the context is unusable, every evaluation answers `INVALID_CONTEXT`
    /// (JavaScript found it invalid and keeps the message).
    pub const INVALID: u8 = 7;
    /// The slot keeps the value it has: JavaScript sent that string for it in the last
    /// context and nothing has replaced it since (a role, a plan, a region repeat).
    pub const SAME: u8 = 8;
}

/// An outcome in one `u32`: `variant + 1` in bits 0–23 (0: the caller's default), the reason
/// in bits 24–27 (`Reason as u8`), `errorCode + 1` in bits 28–31 (0: no error).
pub fn pack(outcome: Outcome) -> u32 {
    let variant = outcome.variant.wrapping_add(1) & 0x00ff_ffff;
    let reason = u32::from(outcome.reason as u8 & 0x0f) << 24;
    let error = outcome.error.map_or(0, |e| u32::from(e as u8) + 1) << 28;
    variant | reason | error
}

/// The auxiliary field as [`with_aux`] carries "none" ([`Outcome::NONE`]) and anything as
/// large: the fields that matter are indexes of rules, flags and attributes.
pub const AUX_NONE: u32 = (1 << 21) - 1;

/// An outcome in one `f64`, so that one call answers everything: [`pack`] in the low 32 bits,
/// the auxiliary field (at most [`AUX_NONE`]) in the 21 above, exact in a double's 53.
pub fn with_aux(outcome: Outcome) -> f64 {
    let aux = outcome.aux.min(AUX_NONE);
    f64::from(pack(outcome)) + f64::from(aux) * 4_294_967_296.0
}

/// The type a caller expects, as JavaScript passes it: `ValueType as u8`, anything else none.
fn value_type(expected: u32) -> Option<ValueType> {
    Some(match expected {
        0 => ValueType::Boolean,
        1 => ValueType::String,
        2 => ValueType::Number,
        3 => ValueType::Object,
        _ => return None,
    })
}

/// Why the bytes are not a snapshot, as the manifest says it: `{"error":"…"}`.
fn decode_error(e: &DecodeError) -> String {
    let mut out = String::from("{\"error\":\"");
    out.push_str(match e {
        DecodeError::BadMagic => "not a Burgee snapshot (bad magic)",
        DecodeError::Truncated => "the snapshot is truncated",
        DecodeError::Invalid(what) => what,
        DecodeError::TrailingBytes => "the snapshot has trailing bytes",
        _ => "the snapshot is corrupt",
    });
    out.push_str("\"}");
    out
}

/// Reads a context JavaScript wrote ([`kind`]) back into slot values.
struct Slots<'a> {
    bytes: &'a [u8],
}

impl Slots<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        if let Some((head, rest)) = self.bytes.split_first_chunk::<N>() {
            out = *head;
            self.bytes = rest;
        } else {
            self.bytes = &[];
        }
        out
    }

    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(first)
    }

    fn number(&mut self) -> f64 {
        f64::from_le_bytes(self.take())
    }

    fn count(&mut self) -> usize {
        self.number() as usize
    }

    /// A string of UTF-8, after its length.
    fn text(&mut self) -> &str {
        let len = self.count();
        let (bytes, rest) = self
            .bytes
            .split_at_checked(len)
            .unwrap_or((self.bytes, &[]));
        self.bytes = rest;
        core::str::from_utf8(bytes).unwrap_or_default()
    }

    /// Reads one scalar of `kind` into `slot`, reusing the room of a string already there.
    fn scalar(&mut self, kind: u8, slot: &mut Attr) {
        *slot = match kind {
            kind::FALSE => Attr::Bool(false),
            kind::TRUE => Attr::Bool(true),
            kind::NUMBER => Attr::Num(self.number()),
            kind::STRING => {
                let text = self.text();
                if let Attr::Str(old) = slot {
                    old.assign(text);
                    return;
                }
                Attr::Str(Text::new(text))
            }
            kind::OTHER => Attr::Other,
            _ => Attr::Missing,
        }
    }

    /// Reads a value of `kind` into `slot`: a list's elements into the list already there.
    fn value(&mut self, kind: u8, slot: &mut Attr) {
        if kind != kind::LIST {
            return self.scalar(kind, slot);
        }
        let count = self.count().min(self.bytes.len());
        if !matches!(slot, Attr::List(_)) {
            *slot = Attr::List(Vec::with_capacity(count));
        }
        if let Attr::List(items) = slot {
            let mut used = 0;
            while used < count {
                let Some(kind) = self.byte() else {
                    break;
                };
                self.scalar(kind, at(items, used));
                used += 1;
            }
            items.truncate(used);
        }
    }

    /// Reads every value, in slot order, over the ones `values` had (reusing their room).
    fn read_into(&mut self, values: &mut Vec<Attr>) {
        let mut used = 0;
        while let Some(kind) = self.byte() {
            let slot = at(values, used);
            if kind != kind::SAME {
                self.value(kind, slot);
            }
            used += 1;
        }
        values.truncate(used);
    }
}

/// The value at `i`, where `i` is at most one past the end (a new value then).
fn at(values: &mut Vec<Attr>, i: usize) -> &mut Attr {
    if i >= values.len() {
        values.push(Attr::Missing);
    }
    let last = values.len() - 1;
    &mut values[i.min(last)]
}

/// One loaded snapshot and the context bound to it.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Engine {
    /// The snapshot, or why the bytes were not one (the manifest says which).
    snapshot: Result<Snapshot, DecodeError>,
    /// The bound context (`None` only when there is no snapshot).
    context: Option<Context>,
    outcomes: Vec<Outcome>,
    /// `[packed, aux]` per flag, filled by [`Engine::evaluate_all`] and read by JavaScript
    /// through a view of wasm memory.
    bulk: Vec<u32>,
    /// Where JavaScript writes a context before [`Engine::set_context`]: straight into wasm
    /// memory, so binding allocates nothing on either side of the boundary.
    scratch: Vec<u8>,
    #[cfg(feature = "full")]
    diagnostics: String,
}

impl Engine {
    fn with(snapshot: Result<Snapshot, DecodeError>) -> Engine {
        let context = snapshot
            .as_ref()
            .ok()
            .map(|s| Context::from_slots(s, Vec::new()));
        Engine {
            snapshot,
            context,
            outcomes: Vec::new(),
            bulk: Vec::new(),
            scratch: Vec::new(),
            #[cfg(feature = "full")]
            diagnostics: String::from("[]"),
        }
    }
}

#[wasm_bindgen]
impl Engine {
    /// Decodes a binary snapshot (`Snapshot::encode`, what `GET /v1/snapshot/{env}` serves).
    /// Never throws: when the bytes are not a snapshot, [`Engine::manifest`] says why.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Engine {
        Engine::with(Snapshot::decode(bytes))
    }

    /// The snapshot's manifest (`Snapshot::write_manifest`), read once by JavaScript; for bytes
    /// that were not a snapshot, `{"error": why}`.
    pub fn manifest(&self) -> String {
        match &self.snapshot {
            Ok(snapshot) => {
                let mut out = String::new();
                snapshot.write_manifest(&mut out);
                out
            }
            Err(e) => decode_error(e),
        }
    }

    /// Makes room for a context of `len` bytes and returns where it goes in wasm memory
    /// (valid until the next call of this method).
    pub fn scratch(&mut self, len: u32) -> u32 {
        self.scratch.resize(len as usize, 0);
        self.scratch.as_ptr() as usize as u32
    }

    /// Binds the context JavaScript wrote at [`Engine::scratch`], its first `len` bytes: one
    /// value per attribute the manifest lists, in its order (see [`kind`]), or an invalid one
    /// (`[kind::INVALID]`). Evaluations use it until the next call.
    #[wasm_bindgen(js_name = setContext)]
    pub fn set_context(&mut self, len: u32) {
        let Ok(snapshot) = &self.snapshot else {
            return;
        };
        let bytes = self.scratch.get(..len as usize).unwrap_or_default();
        if bytes == [kind::INVALID] {
            self.context = Some(Context::invalid(snapshot, ""));
            return;
        }
        let mut slots = Slots { bytes };
        // The last context's values are overwritten in place, reusing their strings' room.
        let context = self
            .context
            .get_or_insert_with(|| Context::from_slots(snapshot, Vec::new()));
        slots.read_into(context.refill(snapshot));
    }

    /// [`Engine::set_context`] then [`Engine::evaluate`], in one call: what evaluating one
    /// flag for a context read for that call costs is mostly crossings.
    #[wasm_bindgen(js_name = evaluateWith)]
    pub fn evaluate_with(&mut self, len: u32, index: u32, expected: u32, now: f64) -> f64 {
        self.set_context(len);
        self.evaluate(index, expected, now)
    }

    /// The outcome ([`with_aux`]) of the flag at `index` for the bound context. `expected`
    /// is `ValueType as u8`, or anything larger for "no type expected"; `now` is epoch ms.
    pub fn evaluate(&mut self, index: u32, expected: u32, now: f64) -> f64 {
        let (Ok(snapshot), Some(context)) = (&self.snapshot, &self.context) else {
            return 0.0;
        };
        with_aux(snapshot.outcome(index as usize, context, now as i64, value_type(expected)))
    }

    /// Evaluates every flag and returns the address of `[packed, aux]` × flag count in wasm
    /// memory; valid until the next call into this engine.
    #[wasm_bindgen(js_name = evaluateAll)]
    pub fn evaluate_all(&mut self, now: f64) -> u32 {
        self.bulk.clear();
        if let (Ok(snapshot), Some(context)) = (&self.snapshot, &self.context) {
            snapshot.outcomes(context, now as i64, &mut self.outcomes);
            self.bulk.resize(2 * self.outcomes.len(), 0);
            for (pair, outcome) in self.bulk.chunks_exact_mut(2).zip(&self.outcomes) {
                pair.copy_from_slice(&[pack(*outcome), outcome.aux]);
            }
        }
        self.bulk.as_ptr() as usize as u32
    }
}

#[cfg(feature = "full")]
mod cli;

#[cfg(feature = "full")]
mod full {
    use super::*;

    fn compile(loaded: burgee_core::Loaded, environment: &str) -> Result<Engine, JsError> {
        if !loaded
            .document
            .environments
            .iter()
            .any(|e| e == environment)
        {
            let mut message = String::from("unknown environment \"");
            message.push_str(environment);
            message.push_str("\"; the document has: ");
            message.push_str(&loaded.document.environments.join(", "));
            return Err(JsError::new(&message));
        }
        let compilation = loaded.compile(environment);
        let mut engine = Engine::with(Ok(compilation.snapshot));
        engine.diagnostics =
            serde_json::to_string(&compilation.diagnostics).unwrap_or_else(|_| "[]".into());
        Ok(engine)
    }

    fn not_a_document(d: &burgee_core::Diagnostic) -> JsError {
        JsError::new(&d.to_string())
    }

    #[wasm_bindgen]
    impl Engine {
        /// Loads and compiles one environment of a flag document given as JSON text, in UTF-8
        /// (bytes, because JavaScript copies them into wasm memory natively, and a string
        /// character by character). Flags with errors evaluate to `PARSE_ERROR`; the
        /// diagnostics say why.
        #[wasm_bindgen(js_name = fromJson)]
        pub fn from_json(json: &[u8], environment: &str) -> Result<Engine, JsError> {
            let loaded = burgee_core::load(text(json)?).map_err(|d| not_a_document(&d))?;
            compile(loaded, environment)
        }

        /// The same from a JavaScript object (through serde-wasm-bindgen).
        #[wasm_bindgen(js_name = fromObject)]
        pub fn from_object(document: JsValue, environment: &str) -> Result<Engine, JsError> {
            let value: serde_json::Value = serde_wasm_bindgen::from_value(document)
                .map_err(|e| JsError::new(&e.to_string()))?;
            let loaded = burgee_core::load_value(value).map_err(|d| not_a_document(&d))?;
            compile(loaded, environment)
        }

        /// The compiler's diagnostics as JSON: `[{severity, code, pointer, message}]`.
        pub fn diagnostics(&self) -> String {
            self.diagnostics.clone()
        }

        /// The snapshot in its binary form, as the edge serves it to browsers.
        pub fn encode(&self) -> Vec<u8> {
            self.snapshot
                .as_ref()
                .map(Snapshot::encode)
                .unwrap_or_default()
        }
    }

    /// JSON text that JavaScript encoded (so always UTF-8; checked all the same).
    fn text(json: &[u8]) -> Result<&str, JsError> {
        core::str::from_utf8(json).map_err(|_| JsError::new("the document is not UTF-8 text"))
    }

    /// Validates a flag document (JSON text in UTF-8): every diagnostic, as JSON.
    #[wasm_bindgen]
    pub fn validate(json: &[u8]) -> Result<String, JsError> {
        let diagnostics = match burgee_core::load(text(json)?) {
            Ok(loaded) => loaded.validate(),
            Err(d) => vec![d],
        };
        Ok(serde_json::to_string(&diagnostics).unwrap_or_else(|_| "[]".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burgee_core::{ErrorCode, Reason};

    /// `ts/codes.ts` as the core defines it: the enums JavaScript decodes packed outcomes with,
    /// in `#[repr(u8)]` order, and the core's error messages as templates (`$0` the flag key,
    /// `$1` and `$2` the details).
    fn render_codes() -> String {
        use burgee_core::EvalError;
        let list = |items: &mut dyn Iterator<Item = &str>| {
            let items: Vec<String> = items.map(|s| serde_json::json!(s).to_string()).collect();
            format!("[{}]", items.join(", "))
        };
        for (i, r) in Reason::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i, "Reason::ALL is not in #[repr(u8)] order");
        }
        for (i, c) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i, "ErrorCode::ALL is not in #[repr(u8)] order");
        }
        for (i, t) in ValueType::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i, "ValueType::ALL is not in #[repr(u8)] order");
            assert_eq!(
                value_type(i as u32),
                Some(*t),
                "the boundary numbers types otherwise"
            );
        }
        assert_eq!(value_type(ValueType::ALL.len() as u32), None);
        let template = |code: ErrorCode| {
            let (actual, expected) = (ValueType::Object, ValueType::Number);
            let error = match code {
                ErrorCode::FlagNotFound => EvalError::FlagNotFound,
                ErrorCode::TypeMismatch => EvalError::TypeMismatch { expected, actual },
                ErrorCode::ParseError => EvalError::Parse("$1"),
                ErrorCode::TargetingKeyMissing => {
                    EvalError::TargetingKeyMissing { attribute: "$1" }
                }
                ErrorCode::InvalidContext => EvalError::InvalidContext("$1"),
                ErrorCode::General => EvalError::General("$1"),
            };
            error
                .message("$0")
                .replacen(actual.as_str(), "$1", 1)
                .replacen(expected.as_str(), "$2", 1)
        };
        let messages: Vec<String> = ErrorCode::ALL.into_iter().map(template).collect();
        format!(
            r#"/**
 * The core's code tables as the wasm boundary numbers them (`#[repr(u8)]` in
 * core/src/detail.rs), and its error messages. Rendered from burgee-core by a unit test in
 * npm/src/lib.rs, which fails when this file differs: do not edit it, run
 * `BURGEE_BLESS=1 cargo test -p burgee-npm codes_ts` to write it again.
 */
export const REASONS = {reasons} as const;
export const ERROR_CODES = {codes} as const;
export const VALUE_TYPES = {types} as const;

/**
 * The core's error messages (`EvalError::message`) by error code: `$0` is the flag key, `$1`
 * and `$2` the details (./messages.ts fills them in).
 */
export const MESSAGES = {messages};
/** `GENERAL` messages by the outcome's auxiliary number (`EvalError::GENERAL_MESSAGES`). */
export const GENERAL = {general};

export type Reason = (typeof REASONS)[number];
export type ErrorCode = (typeof ERROR_CODES)[number];
export type ValueType = (typeof VALUE_TYPES)[number];
"#,
            reasons = list(&mut Reason::ALL.iter().map(|r| r.as_str())),
            codes = list(&mut ErrorCode::ALL.iter().map(|c| c.as_str())),
            types = list(&mut ValueType::ALL.iter().map(|t| t.as_str())),
            messages = list(&mut messages.iter().map(String::as_str)),
            general = list(&mut EvalError::GENERAL_MESSAGES.into_iter()),
        )
    }

    /// The committed `ts/codes.ts` is exactly what the core renders; `BURGEE_BLESS=1` writes it.
    #[test]
    fn codes_ts_is_rendered_from_the_core() {
        let want = render_codes();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ts/codes.ts");
        if std::env::var("BURGEE_BLESS").as_deref() == Ok("1") {
            std::fs::write(path, &want).unwrap();
        }
        let got = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            got == want,
            "npm/ts/codes.ts differs from the core's tables (run `BURGEE_BLESS=1 cargo test -p \
             burgee-npm codes_ts` to write it); it should read:\n{want}"
        );
    }

    #[test]
    fn carries_the_auxiliary_field_above_the_packed_outcome() {
        let mut rule = Outcome::served(Some(1), Reason::TargetingMatch);
        rule.aux = 3;
        assert_eq!(
            with_aux(rule),
            f64::from(pack(rule)) + 3.0 * 4_294_967_296.0
        );
        let none = Outcome::served(Some(0), Reason::Split);
        assert_eq!(none.aux, Outcome::NONE);
        let carried = with_aux(none);
        assert_eq!(carried as u64 & 0xffff_ffff, u64::from(pack(none)));
        assert_eq!(carried as u64 >> 32, u64::from(AUX_NONE));
    }

    #[test]
    fn packs_outcomes() {
        let none = Outcome::error(ErrorCode::FlagNotFound, Outcome::NONE);
        assert_eq!(pack(none), (6 << 24) | (1 << 28));
        let served = Outcome::served(Some(2), Reason::Split);
        assert_eq!(pack(served), 3 | (3 << 24));
        let default = Outcome::served(None, Reason::Disabled);
        assert_eq!(pack(default), 4 << 24);
    }

    #[test]
    fn reads_flat_slots() {
        let mut bytes = Vec::new();
        let string = |bytes: &mut Vec<u8>, s: &str| {
            bytes.push(kind::STRING);
            bytes.extend((s.len() as f64).to_le_bytes());
            bytes.extend(s.bytes());
        };
        string(&mut bytes, "u-ü1");
        bytes.push(kind::NUMBER);
        bytes.extend(1.5f64.to_le_bytes());
        bytes.push(kind::LIST);
        bytes.extend(2f64.to_le_bytes());
        string(&mut bytes, "a😀");
        bytes.extend([kind::TRUE, kind::OTHER]);
        string(&mut bytes, "");
        let read = |values: &mut Vec<Attr>| {
            let mut slots = Slots { bytes: &bytes };
            slots.read_into(values);
        };
        let want = vec![
            Attr::Str(Text::new("u-ü1")),
            Attr::Num(1.5),
            Attr::List(vec![Attr::Str(Text::new("a😀")), Attr::Bool(true)]),
            Attr::Other,
            Attr::Str(Text::new("")),
        ];
        let mut fresh = Vec::new();
        read(&mut fresh);
        assert_eq!(fresh, want);
        // Over another context's values: longer, other types, a longer list, a string where
        // a number goes; nothing of them is left.
        let mut reused = vec![
            Attr::Str(Text::new("a much longer string than before")),
            Attr::Str(Text::new("x")),
            Attr::List(vec![Attr::Num(1.0), Attr::Str(Text::new("y")), Attr::Other]),
            Attr::Bool(true),
            Attr::Missing,
            Attr::Num(7.0),
        ];
        read(&mut reused);
        assert_eq!(reused, want);
    }

    #[test]
    fn same_keeps_a_slots_value() {
        let mut values = vec![Attr::Str(Text::new("member")), Attr::Num(2.0)];
        let mut bytes = vec![kind::SAME, kind::SAME, kind::SAME];
        Slots { bytes: &bytes }.read_into(&mut values);
        // A slot that had no value before stays missing.
        assert_eq!(
            values,
            vec![
                Attr::Str(Text::new("member")),
                Attr::Num(2.0),
                Attr::Missing
            ]
        );
        bytes = vec![kind::MISSING, kind::SAME];
        Slots { bytes: &bytes }.read_into(&mut values);
        assert_eq!(values, vec![Attr::Missing, Attr::Num(2.0)]);
    }

    /// An array of string literals `export const NAME = [...]` in a TypeScript file.
    fn ts_strings(ts: &str, name: &str) -> Vec<String> {
        let start = ts.find(&format!("export const {name} = [")).unwrap_or(0);
        let body = &ts[start..];
        let body = &body[body.find('[').unwrap_or(0)..=body.find(']').unwrap_or(0)];
        serde_json::from_str(body).unwrap_or_default()
    }

    /// JavaScript composes error messages from templates (`$0` the flag key, `$1`, `$2` the
    /// details); they must say exactly what the core says.
    #[test]
    fn message_templates_match_the_core() {
        use burgee_core::EvalError;
        let ts = include_str!("../ts/codes.ts");
        let templates = ts_strings(ts, "MESSAGES");
        let fill = |code: ErrorCode, args: &[&str]| {
            let mut out = templates[code as usize].clone();
            for (i, a) in args.iter().enumerate() {
                out = out.replace(&format!("${i}"), a);
            }
            out
        };
        let key = "new-checkout";
        let cases = [
            (EvalError::FlagNotFound, vec![key]),
            (
                EvalError::TypeMismatch {
                    expected: ValueType::Number,
                    actual: ValueType::Object,
                },
                vec![key, "object", "number"],
            ),
            (
                EvalError::Parse("unknown variant `x`"),
                vec![key, "unknown variant `x`"],
            ),
            (
                EvalError::TargetingKeyMissing {
                    attribute: "org.id",
                },
                vec![key, "org.id"],
            ),
            (
                EvalError::InvalidContext("not an object"),
                vec![key, "not an object"],
            ),
            (EvalError::General("too deep"), vec![key, "too deep"]),
        ];
        assert_eq!(templates.len(), ErrorCode::ALL.len());
        for (error, args) in cases {
            assert_eq!(fill(error.code(), &args), error.message(key), "{error:?}");
        }
        assert_eq!(
            ts_strings(ts, "GENERAL"),
            EvalError::GENERAL_MESSAGES.to_vec()
        );
    }
}
