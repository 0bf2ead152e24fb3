//! How `MemoryLog` holds an entry: as it was handed over, owned or shared,
//! so that neither the seed's owned path nor the shared fast path copies a
//! command on the way in.

use crate::shared::SharedEntry;
use crate::types::{EntryKind, Index, LogEntry, Term};

/// One held entry. Equality and `Debug` see the entry, not how it is held.
#[derive(Clone)]
pub(super) enum StoredEntry {
    /// Appended through `append` / `append_from`.
    Owned(LogEntry),
    /// Appended through `append_shared`.
    Shared(SharedEntry),
}

impl StoredEntry {
    pub(super) fn index(&self) -> Index {
        match self {
            Self::Owned(entry) => entry.index,
            Self::Shared(entry) => entry.index,
        }
    }

    pub(super) fn term(&self) -> Term {
        match self {
            Self::Owned(entry) => entry.term,
            Self::Shared(entry) => entry.term,
        }
    }

    pub(super) fn kind(&self) -> EntryKind {
        match self {
            Self::Owned(entry) => entry.kind,
            Self::Shared(entry) => entry.kind,
        }
    }

    pub(super) fn command(&self) -> &[u8] {
        match self {
            Self::Owned(entry) => &entry.command,
            Self::Shared(entry) => &entry.command,
        }
    }

    /// An owned copy (the seed's read path).
    pub(super) fn to_log_entry(&self) -> LogEntry {
        match self {
            Self::Owned(entry) => entry.clone(),
            Self::Shared(entry) => entry.to_log_entry(),
        }
    }

    /// A shared reference; an owned entry is copied once.
    pub(super) fn to_shared(&self) -> SharedEntry {
        match self {
            Self::Owned(entry) => SharedEntry::from(entry.clone()),
            Self::Shared(entry) => entry.clone(),
        }
    }
}

impl PartialEq for StoredEntry {
    fn eq(&self, other: &Self) -> bool {
        (self.index(), self.term(), self.kind(), self.command())
            == (other.index(), other.term(), other.kind(), other.command())
    }
}

impl Eq for StoredEntry {}

impl std::fmt::Debug for StoredEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Owned(entry) => entry.fmt(f),
            Self::Shared(entry) => entry.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_equal_to_itself_however_it_is_held() {
        let owned = LogEntry::new(3, 9, b"cmd".to_vec());
        let shared = SharedEntry::from(owned.clone());
        assert_eq!(
            StoredEntry::Owned(owned.clone()),
            StoredEntry::Shared(shared.clone())
        );
        assert_ne!(
            StoredEntry::Owned(LogEntry::new(3, 9, b"other".to_vec())),
            StoredEntry::Shared(shared.clone())
        );
        assert_eq!(StoredEntry::Shared(shared.clone()).to_log_entry(), owned);
        assert_eq!(StoredEntry::Owned(owned).to_shared(), shared);
    }

    #[test]
    fn a_shared_entry_is_handed_out_by_reference() {
        let shared = SharedEntry::new(1, 1, b"x"[..].into());
        let out = StoredEntry::Shared(shared.clone()).to_shared();
        assert!(std::sync::Arc::ptr_eq(&out.command, &shared.command));
    }
}
