//! Hostile input, fuzz-style: a proptest strategy of arbitrary `Message`s
//! (every variant, snapshot chunks included; terms, indices and senders including 0, `u64::MAX`, the
//! term ceiling, unknown ids and the node itself; entries including config
//! entries, garbage configs and extreme indices) fed to one node of a small
//! cluster that was first driven to a random state (elections, proposals,
//! loss, snapshots). The cluster keeps running between hostile messages.
//!
//! Checked after every step, for every node: no panic (debug assertions
//! included), no storage error, and nothing moves backwards: the term, the
//! commit index and the applied index never decrease, and a node never votes
//! twice in a term (its persisted `voted_for` never changes within a term
//! once set, and it never grants two candidates the same term).
//!
//! Cost: `PROPTEST_CASES` cases (default 256): about a second in debug;
//! 100,000 cases take about 15 s in release.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub,
    dead_code,
    clippy::cast_possible_truncation,
    reason = "tests assert by unwrapping; the shared driver is partly unused here"
)]

#[path = "rules/mini_cluster.rs"]
mod mini_cluster;

use std::collections::BTreeMap;

use proptest::collection::vec;
use proptest::prelude::*;
use raft_core::{
    AppendEntries, AppendEntriesReply, EntryKind, Event, HardState, Index, InstallSnapshot,
    InstallSnapshotReply, LogEntry, Message, NodeId, PreVote, PreVoteReply, RaftLog, ReadProbe,
    ReadProbeReply, RequestVote, RequestVoteReply, Snapshot, SnapshotChunk, SnapshotChunkReply,
    TERM_MAX, Term, TimeoutNow,
};

use mini_cluster::MiniCluster;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn term() -> impl Strategy<Value = Term> {
    prop_oneof![
        4 => 0..8u64,
        1 => Just(0),
        1 => Just(TERM_MAX),
        1 => Just(TERM_MAX + 1),
        1 => Just(u64::MAX),
        1 => any::<u64>(),
    ]
}

fn index() -> impl Strategy<Value = Index> {
    prop_oneof![
        4 => 0..16u64,
        1 => Just(u64::MAX),
        1 => Just(u64::MAX - 1),
        1 => any::<u64>(),
    ]
}

/// Members (1..=3), strangers, 0, `u64::MAX`.
fn node() -> impl Strategy<Value = NodeId> {
    prop_oneof![4 => 1..=3u64, 1 => Just(0), 1 => Just(99), 1 => Just(u64::MAX)]
}

fn command() -> impl Strategy<Value = (EntryKind, Vec<u8>)> {
    prop_oneof![
        3 => vec(any::<u8>(), 0..6).prop_map(|c| (EntryKind::Normal, c)),
        1 => vec(node(), 0..4).prop_map(|ids| {
            (EntryKind::Config, LogEntry::config(0, 0, &ids).command)
        }),
        1 => vec(any::<u8>(), 0..10).prop_map(|c| (EntryKind::Config, c)),
    ]
}

/// Entries after `(prev, prev_term)`: usually a well-formed run (contiguous,
/// terms between `prev_term` and `term`), sometimes anything at all.
fn entries(prev: Index, prev_term: Term, term: Term) -> impl Strategy<Value = Vec<LogEntry>> {
    let well_formed = vec(command(), 0..4).prop_map(move |commands| {
        commands
            .into_iter()
            .zip(1u64..)
            .map(|((kind, command), i)| LogEntry {
                term: prev_term.max(term.min(prev_term.saturating_add(i / 2))),
                index: prev.wrapping_add(i),
                kind,
                command,
            })
            .collect::<Vec<_>>()
    });
    let anything = vec((term_strategy_boxed(), index(), command()), 0..4).prop_map(|raw| {
        raw.into_iter()
            .map(|(term, index, (kind, command))| LogEntry {
                term,
                index,
                kind,
                command,
            })
            .collect()
    });
    prop_oneof![3 => well_formed, 1 => anything]
}

fn term_strategy_boxed() -> BoxedStrategy<Term> {
    term().boxed()
}

fn append_entries() -> impl Strategy<Value = Message> {
    (term(), node(), index(), term(), index()).prop_flat_map(
        |(term, leader, prev_log_index, prev_log_term, leader_commit)| {
            entries(prev_log_index, prev_log_term, term).prop_map(move |entries| {
                Message::AppendEntries(AppendEntries {
                    term,
                    leader,
                    prev_log_index,
                    prev_log_term,
                    entries,
                    leader_commit,
                })
            })
        },
    )
}

/// The same appends in the shared form (`AppendShared`).
fn append_shared() -> impl Strategy<Value = Message> {
    append_entries().prop_map(|message| match message {
        Message::AppendEntries(m) => Message::AppendShared(raft_core::AppendShared {
            term: m.term,
            leader: m.leader,
            prev_log_index: m.prev_log_index,
            prev_log_term: m.prev_log_term,
            entries: m
                .entries
                .into_iter()
                .map(raft_core::SharedEntry::from)
                .collect(),
            leader_commit: m.leader_commit,
        }),
        other => other,
    })
}

fn snapshot() -> impl Strategy<Value = Snapshot> {
    (index(), term(), vec(node(), 0..4), vec(any::<u8>(), 0..6))
        .prop_map(|(index, term, config, data)| Snapshot::with_config(index, term, config, data))
}

/// A chunk of a snapshot that is usually small (so streams complete),
/// sometimes claims any length, at any offset.
fn snapshot_chunk() -> impl Strategy<Value = Message> {
    let small = || prop_oneof![4 => 0..12u64, 1 => Just(u64::MAX), 1 => any::<u64>()];
    (
        (term(), node(), index(), term()),
        (vec(node(), 0..4), vec(node(), 0..2), vec(node(), 0..2)),
        (small(), small(), vec(any::<u8>(), 0..6)),
    )
        .prop_map(
            |(
                (term, leader, index, snapshot_term),
                (voters, learners, outgoing),
                (total_len, offset, data),
            )| {
                Message::SnapshotChunk(Box::new(SnapshotChunk {
                    term,
                    leader,
                    index,
                    snapshot_term,
                    voters,
                    learners,
                    outgoing,
                    total_len,
                    offset,
                    data,
                }))
            },
        )
}

/// Any message of any variant.
fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        2 => snapshot_chunk(),
        1 => (term(), node(), index(), any::<u64>(), any::<bool>()).prop_map(
            |(term, from, index, next_offset, installed)| {
                Message::SnapshotChunkReply(SnapshotChunkReply {
                    term,
                    from,
                    index,
                    next_offset,
                    installed,
                })
            }
        ),
        1 => (term(), node(), index(), term()).prop_map(|(term, candidate, i, t)| {
            Message::PreVote(PreVote {
                term,
                candidate,
                last_log_index: i,
                last_log_term: t,
            })
        }),
        1 => (term(), any::<bool>(), node()).prop_map(|(term, vote_granted, from)| {
            Message::PreVoteReply(PreVoteReply {
                term,
                vote_granted,
                from,
            })
        }),
        1 => (term(), node(), index(), term(), any::<bool>()).prop_map(
            |(term, candidate, i, t, force)| {
                Message::RequestVote(RequestVote {
                    term,
                    candidate,
                    last_log_index: i,
                    last_log_term: t,
                    force,
                })
            }
        ),
        1 => (term(), any::<bool>(), node()).prop_map(|(term, vote_granted, from)| {
            Message::RequestVoteReply(RequestVoteReply {
                term,
                vote_granted,
                from,
            })
        }),
        3 => append_entries(),
        2 => append_shared(),
        1 => (term(), any::<bool>(), node(), index(), index(), term()).prop_map(
            |(term, success, from, match_index, conflict_index, conflict_term)| {
                Message::AppendEntriesReply(AppendEntriesReply {
                    term,
                    success,
                    from,
                    match_index,
                    conflict_index,
                    conflict_term,
                })
            }
        ),
        1 => (term(), node(), snapshot()).prop_map(|(term, leader, snapshot)| {
            Message::InstallSnapshot(InstallSnapshot {
                term,
                leader,
                snapshot,
            })
        }),
        1 => (term(), node(), index()).prop_map(|(term, from, last_index)| {
            Message::InstallSnapshotReply(InstallSnapshotReply {
                term,
                from,
                last_index,
            })
        }),
        1 => (term(), node()).prop_map(|(term, leader)| Message::TimeoutNow(TimeoutNow { term, leader })),
        1 => (term(), node(), any::<u64>())
            .prop_map(|(term, leader, seq)| Message::ReadProbe(ReadProbe { term, leader, seq })),
        1 => (term(), node(), any::<u64>()).prop_map(|(term, from, seq)| {
            Message::ReadProbeReply(ReadProbeReply { term, from, seq })
        }),
    ]
}

/// What happens between checks.
#[derive(Clone, Debug)]
enum Op {
    /// A hostile message to the target node.
    Hostile(Message),
    /// The cluster runs for a tick (every node ticks, messages delivered).
    Tick,
    /// The leader, if any, takes a proposal.
    Propose(Vec<u8>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => message().prop_map(Op::Hostile),
        2 => Just(Op::Tick),
        1 => vec(any::<u8>(), 1..4).prop_map(Op::Propose),
    ]
}

/// What must never move backwards, per node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Watermarks {
    term: Term,
    commit: Index,
    applied: Index,
    hard_state: HardState,
}

fn watermarks(cluster: &MiniCluster) -> BTreeMap<NodeId, Watermarks> {
    cluster
        .ids()
        .into_iter()
        .map(|id| {
            let node = cluster.node(id);
            let marks = Watermarks {
                term: node.term(),
                commit: node.commit_index(),
                applied: node.last_applied(),
                hard_state: node.log().hard_state(),
            };
            (id, marks)
        })
        .collect()
}

fn check_progress(
    before: &BTreeMap<NodeId, Watermarks>,
    after: &BTreeMap<NodeId, Watermarks>,
    what: &str,
) -> Result<(), TestCaseError> {
    for (id, old) in before {
        let new = &after[id];
        prop_assert!(
            new.term >= old.term,
            "node {id} term fell: {old:?} -> {new:?} after {what}"
        );
        prop_assert!(
            new.commit >= old.commit,
            "node {id} commit fell: {old:?} -> {new:?} after {what}"
        );
        prop_assert!(
            new.applied >= old.applied,
            "node {id} applied fell: {old:?} -> {new:?} after {what}"
        );
        prop_assert!(
            new.hard_state.term >= old.hard_state.term,
            "node {id} persisted term fell after {what}"
        );
        if new.hard_state.term == old.hard_state.term && old.hard_state.voted_for.is_some() {
            prop_assert_eq!(
                new.hard_state.voted_for,
                old.hard_state.voted_for,
                "node {} voted twice in term {} after {}",
                id,
                old.hard_state.term,
                what
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn hostile_messages_never_panic_or_move_a_node_backwards(
        seed in any::<u64>(),
        warmup in 0u32..80,
        loss in prop_oneof![Just(0u64), 0..300u64],
        target in 1u64..=3,
        pre_vote in any::<bool>(),
        restore_from_log in any::<bool>(),
        shared_commands in any::<bool>(),
        snapshot_threshold in prop_oneof![Just(0usize), 1..4usize],
        ops in vec(op(), 1..40),
    ) {
        let mut cluster = MiniCluster::new(3, |config| {
            let id = config.id();
            config
                .with_election_timeout(4, 8)
                .with_heartbeat_interval(2)
                .with_pre_vote(pre_vote)
                .with_restore_from_log(restore_from_log)
                .with_shared_commands(shared_commands)
                .with_snapshot_threshold(snapshot_threshold)
                .with_seed(seed ^ id)
        });
        cluster.set_loss(loss, seed);
        for tick in 0..warmup {
            cluster.tick();
            if tick % 5 == 0
                && let Some(leader) = cluster.leader()
            {
                cluster.step(leader, Event::Propose(vec![tick as u8 | 1])).unwrap();
            }
        }
        let mut marks = watermarks(&cluster);
        for op in ops {
            let what = format!("{op:?}");
            match op {
                Op::Hostile(message) => {
                    let result = cluster.step(target, Event::Message(message));
                    prop_assert!(result.is_ok(), "{what} failed node {target}: {result:?}");
                    cluster.deliver_all(10_000);
                }
                Op::Tick => cluster.tick(),
                Op::Propose(command) => {
                    if let Some(leader) = cluster.leader() {
                        cluster.step(leader, Event::Propose(command)).unwrap();
                        cluster.deliver_all(10_000);
                    }
                }
            }
            let now = watermarks(&cluster);
            check_progress(&marks, &now, &what)?;
            prop_assert_eq!(cluster.double_votes(), &[] as &[String], "after {}", what);
            marks = now;
        }
    }
}
