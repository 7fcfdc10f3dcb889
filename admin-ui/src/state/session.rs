//! Who is signed in and what they may do (API.md, "Authentication and roles").

use serde::Deserialize;

/// Each role includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }
}

/// The answer of `GET /api/v1/whoami`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Identity {
    pub name: String,
    pub role: Role,
}

impl Identity {
    /// Flags and segments: create, change, delete, toggle.
    pub fn can_edit(&self) -> bool {
        self.role >= Role::Editor
    }

    /// Restore a version, import a document.
    pub fn can_admin(&self) -> bool {
        self.role >= Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_below() {
        let who = |role| Identity {
            name: "n".into(),
            role,
        };
        assert!(!who(Role::Viewer).can_edit());
        assert!(who(Role::Editor).can_edit() && !who(Role::Editor).can_admin());
        assert!(who(Role::Admin).can_edit() && who(Role::Admin).can_admin());
        let id: Identity = serde_json::from_str(r#"{"name":"ci","role":"editor"}"#).unwrap();
        assert_eq!(id.role, Role::Editor);
    }
}
