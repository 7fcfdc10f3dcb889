//! Evaluation contexts, bound to a snapshot's attribute slots.
//!
//! A context is read once, when it is bound: every attribute the snapshot's clauses name is
//! looked up (top-level key first, then a dotted path) and stored in a slot. Evaluating many
//! flags for one context then costs no map lookups and no re-marshalling, which is what makes
//! "set the context once, evaluate many flags" cheap on every host.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::hash::Text;
use crate::snapshot::Snapshot;

/// One attribute value, as the evaluator sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Attr {
    /// Absent or `null`.
    Missing,
    Bool(bool),
    Num(f64),
    Str(Text),
    /// An array; its elements are matched one by one.
    List(Vec<Attr>),
    /// Present, but of a type no operator compares (an object, or a nested array).
    Other,
}

/// A context bound to one snapshot's slot layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Context {
    pub(crate) layout: u64,
    pub(crate) slots: Vec<Attr>,
    /// Why the context is unusable (`INVALID_CONTEXT`), if it is.
    pub(crate) invalid: Option<Box<str>>,
}

impl Context {
    /// Builds a context from values already read in slot order (see
    /// [`Snapshot::attributes`]). Missing trailing slots count as [`Attr::Missing`].
    pub fn from_slots(snapshot: &Snapshot, mut slots: Vec<Attr>) -> Context {
        slots.resize(snapshot.attributes.len(), Attr::Missing);
        Context {
            layout: snapshot.layout,
            slots,
            invalid: None,
        }
    }

    /// Makes this a usable context for `snapshot` again and hands out its slot values, to be
    /// overwritten in place with the next context's (reusing their strings' room). The values
    /// must end up in slot order; missing trailing slots count as [`Attr::Missing`].
    pub fn refill(&mut self, snapshot: &Snapshot) -> &mut Vec<Attr> {
        self.layout = snapshot.layout;
        self.invalid = None;
        &mut self.slots
    }

    /// A context that makes every evaluation answer `INVALID_CONTEXT` with this message.
    pub fn invalid(snapshot: &Snapshot, why: &str) -> Context {
        Context {
            layout: snapshot.layout,
            slots: Vec::new(),
            invalid: Some(why.into()),
        }
    }

    /// True when this context was bound to a snapshot with the same attribute layout, so it
    /// can be reused after a snapshot refresh without binding again.
    pub fn fits(&self, snapshot: &Snapshot) -> bool {
        self.layout == snapshot.layout
    }

    #[inline]
    pub(crate) fn slot(&self, slot: u32) -> &Attr {
        self.slots.get(slot as usize).unwrap_or(&Attr::Missing)
    }

    pub(crate) fn targeting_key(&self) -> Option<&Text> {
        match self.slot(crate::snapshot::TARGETING_KEY) {
            Attr::Str(s) => Some(s),
            _ => None,
        }
    }
}

#[cfg(feature = "json")]
mod json {
    use super::*;
    use crate::snapshot::AttrPath;
    use serde_json::Value;

    fn convert(value: &Value, depth: usize) -> Attr {
        match value {
            Value::Null => Attr::Missing,
            Value::Bool(b) => Attr::Bool(*b),
            Value::Number(n) => n.as_f64().map_or(Attr::Other, Attr::Num),
            Value::String(s) => Attr::Str(Text::new(s)),
            Value::Array(items) if depth == 0 => {
                Attr::List(items.iter().map(|v| convert(v, depth + 1)).collect())
            }
            Value::Array(_) | Value::Object(_) => Attr::Other,
        }
    }

    fn lookup<'v>(
        object: &'v serde_json::Map<alloc::string::String, Value>,
        name: &str,
    ) -> Option<&'v Value> {
        if let Some(v) = object.get(name) {
            return Some(v);
        }
        if !name.contains('.') {
            return None;
        }
        let mut parts = name.split('.');
        let mut current = object.get(parts.next()?)?;
        for part in parts {
            current = current.as_object()?.get(part)?;
        }
        Some(current)
    }

    /// The value that names a context: `targetingKey`, else its alias `userId` (either may be
    /// absent or not a string; binding decides what that means).
    fn key_value(object: &serde_json::Map<alloc::string::String, Value>) -> Option<&Value> {
        match object.get("targetingKey") {
            None | Some(Value::Null) => object.get("userId"),
            some => some,
        }
    }

    /// A context's targeting key, when it has one that is a string.
    pub fn targeting_key(context: &Value) -> Option<&str> {
        key_value(context.as_object()?)?.as_str()
    }

    impl Snapshot {
        /// Binds an OpenFeature evaluation context (a JSON object) to this snapshot.
        pub fn context(&self, context: &Value) -> Context {
            let Some(object) = context.as_object() else {
                return Context::invalid(self, "the evaluation context must be a JSON object");
            };
            let key = key_value(object);
            let key = match key {
                None | Some(Value::Null) => Attr::Missing,
                Some(Value::String(s)) => Attr::Str(Text::new(s)),
                Some(_) => {
                    return Context::invalid(
                        self,
                        "targetingKey (or its alias userId) must be a string",
                    );
                }
            };
            let mut slots = Vec::with_capacity(self.attributes.len());
            for path in &self.attributes {
                slots.push(match path {
                    AttrPath::TargetingKey => key.clone(),
                    AttrPath::Named(name) => {
                        lookup(object, name).map_or(Attr::Missing, |v| convert(v, 0))
                    }
                });
            }
            Context {
                layout: self.layout,
                slots,
                invalid: None,
            }
        }
    }
}

#[cfg(feature = "json")]
pub use json::targeting_key;
