//! Who may do what: three roles, each including the ones before it.

use serde::{Deserialize, Serialize};

/// What a caller may do; ordered, so `role >= Role::Editor` reads as "may edit".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything.
    Viewer,
    /// Also writes flags and segments, and uses the operators' shortcuts.
    Editor,
    /// Also restores versions, imports documents and filters the audit log by actor.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Creates, changes, deletes and switches flags and segments.
    pub fn can_edit(self) -> bool {
        self >= Role::Editor
    }

    /// Restores versions and imports documents.
    pub fn can_admin(self) -> bool {
        self >= Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_below() {
        assert!(!Role::Viewer.can_edit());
        assert!(Role::Editor.can_edit() && !Role::Editor.can_admin());
        assert!(Role::Admin.can_edit() && Role::Admin.can_admin());
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
