//! Deployment overrides beyond one flag's pin: switching every flag off at once.
//!
//! An incident can call for turning every feature off without touching the document (the edge
//! worker's `FF_ALL=off`). What "off" means for a flag is the evaluator's business, so it is
//! decided here: the off variant of the snapshot's environment, else a boolean flag's `false`
//! variant, pinned with reason `STATIC`; a flag with neither is switched off as its environment
//! would be (the caller's default, `DISABLED`). Flags the document broke stay broken.

use crate::snapshot::{Body, Kind, Snapshot};

/// What [`Snapshot::force_off`] did to one flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Off {
    /// Pinned to its off variant (or `false`), reason `STATIC`.
    Pinned,
    /// No off variant: disabled, so callers get their default (`DISABLED`).
    Disabled,
    /// Broken by the document; left as it is.
    Broken,
}

impl Snapshot {
    /// Switches flag number `index` off (see the module documentation).
    fn force_off_at(&mut self, index: usize) -> Option<Off> {
        let flag = self.flags.get_mut(index)?;
        let off = match &mut flag.body {
            Body::Broken(_) => return Some(Off::Broken),
            Body::Forced(_) => None,
            Body::Live(settings) => {
                let off = settings.off;
                if off.is_none() && flag.kind != Some(Kind::Boolean) {
                    settings.enabled = false;
                    return Some(Off::Disabled);
                }
                off
            }
        };
        let off = off.or_else(|| {
            (flag.kind == Some(Kind::Boolean))
                .then(|| flag.variants.iter().position(|v| &*v.json == "false"))
                .flatten()
                .map(|i| i as u32)
        });
        match off {
            Some(variant) => {
                flag.body = Body::Forced(variant);
                Some(Off::Pinned)
            }
            None => {
                if let Body::Live(settings) = &mut flag.body {
                    settings.enabled = false;
                }
                Some(Off::Disabled)
            }
        }
    }

    /// Switches every flag off; how many were pinned, disabled and left broken.
    pub fn force_all_off(&mut self) -> [usize; 3] {
        let mut counts = [0; 3];
        for i in 0..self.flags.len() {
            let slot = match self.force_off_at(i) {
                Some(Off::Pinned) => 0,
                Some(Off::Disabled) => 1,
                Some(Off::Broken) | None => 2,
            };
            if let Some(c) = counts.get_mut(slot) {
                *c += 1;
            }
        }
        counts
    }
}

#[cfg(all(test, feature = "compile"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    #[test]
    fn everything_off_serves_off_variants_statically() {
        let doc = json!({"environments": ["p"], "flags": {
            "with-off": {"kind": "string", "variants": {"a": "A", "b": "B"},
                "environments": {"p": {"enabled": true, "offVariant": "b", "defaultServe": {"variant": "a"}}}},
            "bool": {"kind": "boolean", "variants": {"yes": true, "no": false},
                "environments": {"p": {"enabled": true, "defaultServe": {"variant": "yes"}}}},
            "no-off": {"kind": "number", "variants": {"one": 1},
                "environments": {"p": {"enabled": true, "defaultServe": {"variant": "one"}}}},
            "broken": {"kind": "boolean", "variants": {"on": "not a boolean"},
                "environments": {"p": {"enabled": true, "defaultServe": {"variant": "on"}}}}}});
        let mut s = crate::load_value(doc).unwrap().compile("p").snapshot;
        assert_eq!(s.force_all_off(), [2, 1, 1]);
        let ctx = s.context(&json!({"targetingKey": "u"}));
        let d = s.evaluate("with-off", &ctx, 0, None);
        assert_eq!(
            (d.variant_name(), d.reason().as_str()),
            (Some("b"), "STATIC")
        );
        let d = s.evaluate("bool", &ctx, 0, None);
        assert_eq!(
            (d.value_json(), d.reason().as_str()),
            (Some("false"), "STATIC")
        );
        let d = s.evaluate("no-off", &ctx, 0, None);
        assert_eq!((d.variant_name(), d.reason().as_str()), (None, "DISABLED"));
        assert_eq!(
            s.evaluate("broken", &ctx, 0, None).reason().as_str(),
            "ERROR"
        );
    }
}
