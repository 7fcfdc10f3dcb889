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

/// Roles that differ by environment: a person or token may be an editor in general and only a
/// viewer in `production` (`{"production": "viewer"}`), or the other way round. A role in an
/// environment decides whether a write may change what that environment serves; the general
/// role decides everything else.
pub type EnvironmentRoles = std::collections::BTreeMap<String, Role>;

/// The role `general` has in `environment`, given its per-environment `roles`.
pub fn role_in(general: Role, roles: &EnvironmentRoles, environment: &str) -> Role {
    roles.get(environment).copied().unwrap_or(general)
}

/// The highest role anywhere: what the route table's least role is checked against (the
/// store then checks each environment a write changes).
pub fn highest_role(general: Role, roles: &EnvironmentRoles) -> Role {
    roles.values().copied().fold(general, Role::max)
}

/// The internal header's form of per-environment roles: `production=viewer,staging=admin`
/// (environment names are keys, which hold neither `=` nor `,`).
pub fn roles_to_header(roles: &EnvironmentRoles) -> String {
    roles
        .iter()
        .map(|(e, r)| format!("{e}={}", r.as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

/// [`roles_to_header`] read back; a malformed part is skipped.
pub fn roles_from_header(text: &str) -> EnvironmentRoles {
    text.split(',')
        .filter_map(|part| {
            let (e, r) = part.split_once('=')?;
            Some((e.trim().to_string(), Role::parse(r.trim())?))
        })
        .collect()
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

    #[test]
    fn environment_roles_override_the_general_one_and_round_trip() {
        let roles: EnvironmentRoles = [
            ("production".to_string(), Role::Viewer),
            ("sandbox".to_string(), Role::Admin),
        ]
        .into();
        assert_eq!(role_in(Role::Editor, &roles, "production"), Role::Viewer);
        assert_eq!(role_in(Role::Editor, &roles, "staging"), Role::Editor);
        assert_eq!(highest_role(Role::Editor, &roles), Role::Admin);
        assert_eq!(
            highest_role(Role::Viewer, &EnvironmentRoles::new()),
            Role::Viewer
        );
        let header = roles_to_header(&roles);
        assert_eq!(header, "production=viewer,sandbox=admin");
        assert_eq!(roles_from_header(&header), roles);
        assert_eq!(roles_from_header(""), EnvironmentRoles::new());
        assert_eq!(roles_from_header("x=root,y"), EnvironmentRoles::new());
    }
}
