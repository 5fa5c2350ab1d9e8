//! Who is asking, and what they may do with a document: pure rules, no I/O.

use crate::store::{AccessRow, TokenHash};
use tandem_sync::{DocId, Role};

/// How a member proved who they are; revoking it ends what it opened.
/// Serialized in the notices that reach the other nodes (clustered mode).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Credential {
    /// A browser session (the hash of its cookie's token).
    Session(TokenHash),
    /// An API token, by id.
    Token(i64),
}

/// A signed-in member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The sign-in name as stored.
    pub username: String,
    /// Whether they administer the workspace.
    pub admin: bool,
    /// The session or token the request carried.
    pub via: Credential,
}

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The server runs in open mode: everyone may do everything.
    Open,
    /// No valid credentials (in accounts mode).
    Anonymous,
    /// A member, through a session or an API token.
    Member(Member),
    /// The holder of a share link: that one document, with the link's role.
    Guest {
        /// The link's id.
        link: i64,
        /// The document it opens.
        doc: DocId,
        /// What it lets its holder do.
        role: Role,
    },
}

/// What decides a member's role on one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRights {
    /// The owner's name: the stored one, or the first administrator's.
    pub owner: Option<String>,
    /// What every member gets.
    pub workspace: Option<Role>,
    /// The member's own role, if they have one.
    pub own: Option<Role>,
}

impl DocRights {
    /// The rights a document has from its stored `row` (or, without one, the
    /// defaults: `first_admin` owns it and members get `default_workspace`).
    pub fn from_row(row: Option<AccessRow>, first_admin: Option<String>, default_workspace: Option<Role>, own: Option<Role>) -> Self {
        match row {
            Some(AccessRow { owner, workspace }) => DocRights { owner: owner.or(first_admin), workspace, own },
            None => DocRights { owner: first_admin, workspace: default_workspace, own },
        }
    }
}

impl Caller {
    /// The member, if the caller is one.
    pub fn member(&self) -> Option<&Member> {
        match self {
            Caller::Member(member) => Some(member),
            _ => None,
        }
    }

    /// Whose edits the caller's are, in a document's versions: a member's
    /// name, `guest` for a share link, `anonymous` in open mode.
    pub fn author(&self) -> std::sync::Arc<str> {
        match self {
            Caller::Member(member) => std::sync::Arc::from(member.username.as_str()),
            Caller::Guest { .. } => std::sync::Arc::from("guest"),
            Caller::Open | Caller::Anonymous => std::sync::Arc::from(crate::doc::ANONYMOUS),
        }
    }

    /// Whether the caller may create documents (members, and everyone in open mode).
    pub fn may_create(&self) -> bool {
        matches!(self, Caller::Open | Caller::Member(_))
    }

    /// The caller's role on `doc`, given its `rights`; `None`: the document is
    /// not theirs to see (it answers 404).
    pub fn role_on(&self, doc: &DocId, rights: &DocRights) -> Option<Role> {
        match self {
            Caller::Open => Some(Role::Owner),
            Caller::Anonymous => None,
            Caller::Guest { doc: linked, role, .. } => (linked == doc).then_some(*role),
            Caller::Member(member) if member.admin => Some(Role::Owner),
            Caller::Member(member) => {
                let owns = rights.owner.as_deref().is_some_and(|owner| owner.eq_ignore_ascii_case(&member.username));
                if owns { Some(Role::Owner) } else { rights.own.max(rights.workspace) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, admin: bool) -> Caller {
        Caller::Member(Member { username: name.into(), admin, via: Credential::Token(1) })
    }

    fn rights(owner: &str, workspace: Option<Role>, own: Option<Role>) -> DocRights {
        DocRights { owner: Some(owner.into()), workspace, own }
    }

    #[test]
    fn owners_and_admins_own_members_get_the_better_of_their_role_and_the_workspaces() {
        let doc = DocId::parse("d").unwrap();
        let r = rights("Ada", Some(Role::Viewer), None);
        assert_eq!(member("ada", false).role_on(&doc, &r), Some(Role::Owner), "names match without regard to case");
        assert_eq!(member("root", true).role_on(&doc, &r), Some(Role::Owner));
        assert_eq!(member("bob", false).role_on(&doc, &r), Some(Role::Viewer));
        let r = rights("ada", Some(Role::Viewer), Some(Role::Editor));
        assert_eq!(member("bob", false).role_on(&doc, &r), Some(Role::Editor));
        let r = rights("ada", None, None);
        assert_eq!(member("bob", false).role_on(&doc, &r), None);
        assert_eq!(Caller::Anonymous.role_on(&doc, &r), None);
        assert_eq!(Caller::Open.role_on(&doc, &r), Some(Role::Owner));
    }

    #[test]
    fn a_guest_sees_only_the_linked_document_with_the_links_role() {
        let (doc, other) = (DocId::parse("d").unwrap(), DocId::parse("e").unwrap());
        let guest = Caller::Guest { link: 1, doc: doc.clone(), role: Role::Viewer };
        let r = rights("ada", Some(Role::Editor), None);
        assert_eq!(guest.role_on(&doc, &r), Some(Role::Viewer));
        assert_eq!(guest.role_on(&other, &r), None);
        assert!(!guest.may_create() && member("bob", false).may_create() && !Caller::Anonymous.may_create());
    }

    #[test]
    fn a_document_without_stored_access_belongs_to_the_first_admin() {
        let r = DocRights::from_row(None, Some("root".into()), Some(Role::Editor), None);
        assert_eq!(r.owner.as_deref(), Some("root"));
        assert_eq!(r.workspace, Some(Role::Editor));
        let orphan = AccessRow { owner: None, workspace: None };
        let r = DocRights::from_row(Some(orphan), Some("root".into()), Some(Role::Editor), None);
        assert_eq!((r.owner.as_deref(), r.workspace), (Some("root"), None));
    }
}
