//! What a person may do with a document: the roles the server enforces and
//! the pages show.

use serde::{Deserialize, Serialize};

/// A role on a document. Ordered: each role may do what the ones before it may.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the document and sees who is here; cannot change it.
    Viewer,
    /// Reads and edits.
    Editor,
    /// Edits, and decides who else may read or edit (admins have this role on every document).
    #[default]
    Owner,
}

impl Role {
    /// Whether the role may change the document.
    pub fn can_edit(self) -> bool {
        self >= Role::Editor
    }

    /// The role's name as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }

    /// The role named `name` (`viewer`, `editor`, `owner`).
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn roles_are_ordered_and_named_as_the_api_spells_them() {
        assert!(Role::Viewer < Role::Editor && Role::Editor < Role::Owner);
        assert!(!Role::Viewer.can_edit() && Role::Editor.can_edit() && Role::Owner.can_edit());
        for role in [Role::Viewer, Role::Editor, Role::Owner] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
