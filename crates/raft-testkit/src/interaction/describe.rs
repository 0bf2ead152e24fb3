//! How a transcript prints what it sees: one line per message with every
//! field, log entries as `term/index` with their content, configurations
//! with both halves while joint.

use std::fmt::Write as _;

use raft_core::{EntryKind, LogEntry, Membership, Message};

/// A command's bytes as text (commands in scripts are text).
pub(super) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A configuration: `voters=[..]`, then `outgoing=[..]` while joint and
/// `learners=[..]` when there are any.
pub(super) fn membership_text(membership: &Membership) -> String {
    let mut out = format!("voters={:?}", membership.voters());
    if membership.is_joint() {
        let _ = write!(out, " outgoing={:?}", membership.outgoing_voters());
    }
    if !membership.learners().is_empty() {
        let _ = write!(out, " learners={:?}", membership.learners());
    }
    out
}

fn entry_text(entry: &LogEntry) -> String {
    let content = match entry.kind {
        EntryKind::Normal if entry.is_noop() => "noop".to_owned(),
        EntryKind::Normal => format!("{:?}", text(&entry.command)),
        EntryKind::Config => match entry.membership() {
            Some(membership) => format!("config {}", membership_text(&membership)),
            None => "config (undecodable)".to_owned(),
        },
    };
    format!("{}/{} {content}", entry.term, entry.index)
}

/// Entries as `[term/index content, ..]`.
pub(super) fn entries_text(entries: &[LogEntry]) -> String {
    let parts: Vec<String> = entries.iter().map(entry_text).collect();
    format!("[{}]", parts.join(", "))
}

/// One line per message, every field shown.
pub(super) fn describe(message: &Message) -> String {
    match message {
        Message::PreVote(m) => format!(
            "PreVote term={} last={}/{}",
            m.term, m.last_log_term, m.last_log_index
        ),
        Message::PreVoteReply(m) => {
            format!("PreVoteReply term={} granted={}", m.term, m.vote_granted)
        }
        Message::RequestVote(m) => format!(
            "RequestVote term={} last={}/{}{}",
            m.term,
            m.last_log_term,
            m.last_log_index,
            if m.force { " force" } else { "" }
        ),
        Message::RequestVoteReply(m) => {
            format!(
                "RequestVoteReply term={} granted={}",
                m.term, m.vote_granted
            )
        }
        Message::AppendEntries(m) => format!(
            "AppendEntries term={} prev={}/{} commit={} entries={}",
            m.term,
            m.prev_log_term,
            m.prev_log_index,
            m.leader_commit,
            entries_text(&m.entries)
        ),
        Message::AppendEntriesReply(m) if m.success => {
            format!(
                "AppendEntriesReply term={} ok match={}",
                m.term, m.match_index
            )
        }
        Message::AppendEntriesReply(m) => format!(
            "AppendEntriesReply term={} reject conflict={}/{}",
            m.term, m.conflict_term, m.conflict_index
        ),
        Message::InstallSnapshot(m) => format!(
            "InstallSnapshot term={} snapshot={}/{}",
            m.term, m.snapshot.term, m.snapshot.index
        ),
        Message::InstallSnapshotReply(m) => {
            format!("InstallSnapshotReply term={} last={}", m.term, m.last_index)
        }
        Message::TimeoutNow(m) => format!("TimeoutNow term={}", m.term),
        Message::ReadProbe(m) => format!("ReadProbe term={} seq={}", m.term, m.seq),
        Message::ReadProbeReply(m) => format!("ReadProbeReply term={} seq={}", m.term, m.seq),
        other => format!("{other:?}"),
    }
}
