//! Hostile input: the bounds a message must respect before any rule trusts
//! it, and the one place a term is incremented.
//!
//! Raft trusts its peers, but a corrupt or forged frame must not break a
//! node for good. Terms are the sharp edge: a node adopts any higher term
//! it hears (paper 5.1) and never goes back, so one frame carrying a huge
//! term would be adopted, persisted and spread, and the next campaign would
//! overflow `term + 1`. So terms live below a ceiling, [`TERM_MAX`]: no node
//! ever campaigns above it, and a message carrying a term above it is
//! corrupt and dropped before the term rules. See docs/PROTOCOL.md §2.1.

use crate::message::Message;
use crate::types::{Index, Term};

/// The highest term a node ever campaigns at or accepts: `2^48 - 1`.
///
/// At one election per millisecond a cluster needs about 8,900 years to
/// reach it, so a higher term can only come from corrupt or forged input
/// (most bit flips in a term's high bits land above it). Messages carrying
/// a term above it are dropped; a node whose persisted term reached it stops
/// campaigning rather than overflow.
///
/// ```
/// assert_eq!(raft_core::TERM_MAX, (1 << 48) - 1);
/// ```
pub const TERM_MAX: Term = (1 << 48) - 1;

/// The highest log index a node adopts from a message: `2^62 - 1`.
///
/// At a million entries a second a log needs about 146,000 years to reach
/// it. A snapshot or an entry beyond it is corrupt: adopted, it would leave
/// no room for the next index (`last_index + 1` overflows).
///
/// ```
/// assert_eq!(raft_core::INDEX_MAX, (1 << 62) - 1);
/// ```
pub const INDEX_MAX: Index = (1 << 62) - 1;

/// The term after `term`, or `None` at the ceiling. The only way a term is
/// incremented: never with wrapping arithmetic, never above [`TERM_MAX`].
pub(crate) fn next_term(term: Term) -> Option<Term> {
    term.checked_add(1).filter(|&next| next <= TERM_MAX)
}

/// Whether `message` respects the bounds every honest message does: its
/// term is at most [`TERM_MAX`], and every term it carries about a log is at
/// most its own term (a candidate's last log term, a leader's previous log
/// term, a follower's conflict term, a snapshot's term: no log holds an
/// entry newer than its owner's term), and no index it asks the node to
/// adopt (a snapshot's, an entry's) is above [`INDEX_MAX`]. Anything else is
/// corrupt or forged and must change nothing, not even the term.
#[inline(always)]
pub(crate) fn is_plausible(message: &Message) -> bool {
    let adopted_index = match message {
        Message::AppendEntries(m) => m.entries.last().map_or(0, |entry| entry.index),
        Message::AppendShared(m) => m.entries.last().map_or(0, |entry| entry.index),
        Message::InstallSnapshot(m) => m.snapshot.index,
        Message::SnapshotChunk(m) => m.index,
        _ => 0,
    };
    if adopted_index > INDEX_MAX {
        return false;
    }
    let term = message.term();
    let inner_term = match message {
        Message::PreVote(m) => m.last_log_term,
        Message::RequestVote(m) => m.last_log_term,
        Message::AppendEntries(m) => m.prev_log_term,
        Message::AppendShared(m) => m.prev_log_term,
        Message::AppendEntriesReply(m) => m.conflict_term,
        Message::InstallSnapshot(m) => m.snapshot.term,
        Message::SnapshotChunk(m) => m.snapshot_term,
        _ => 0,
    };
    term <= TERM_MAX && inner_term <= term
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_term_stops_at_the_ceiling() {
        assert_eq!(next_term(0), Some(1));
        assert_eq!(next_term(TERM_MAX - 1), Some(TERM_MAX));
        assert_eq!(next_term(TERM_MAX), None);
        assert_eq!(next_term(u64::MAX), None);
    }
}
