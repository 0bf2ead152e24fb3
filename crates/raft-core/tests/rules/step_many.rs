//! `step_many`: a batch of events, one sync, and a failing event rejected in
//! place without disturbing the others.

use raft_core::{Action, Error, Event, Message, RaftNode, Role};

use crate::common::*;

// `RaftNode::step_many` contract: a non-fatal failure of event `i` yields
// `Action::Rejected { event: i, error }` and has no effect; every other
// event's actions are present.
#[test]
fn failing_event_yields_rejected_at_its_position() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    follower
        .step(msg(ae(1, 1, (0, 0), vec![noop(1, 1)], 0)))
        .unwrap();
    let a = entry(1, 2, b"a");
    let actions = follower
        .step_many([
            msg(ae(1, 1, (1, 1), vec![a], 2)),
            Event::Propose(b"x".to_vec()),
            Event::Tick,
            Event::Read { id: 4 },
        ])
        .unwrap();
    let not_leader = Error::NotLeader { leader: Some(1) };
    assert_eq!(
        actions,
        vec![
            send(1, ae_ok(1, 2, 2)),
            Action::Rejected {
                event: 1,
                error: not_leader.clone()
            },
            Action::Rejected {
                event: 3,
                error: not_leader
            },
            Action::Apply {
                index: 2,
                term: 1,
                command: b"a".to_vec()
            },
        ]
    );
    assert_eq!(follower.log().last_index(), 2, "the proposal left no trace");
}

// On a leader: an invalid request between two proposals is rejected in
// place; both proposals are appended and replicated.
#[test]
fn rejected_event_between_proposals_leaves_them_intact() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    let actions = leader
        .step_many([
            Event::Propose(b"a".to_vec()),
            Event::TransferLeadership(99),
            Event::Propose(b"b".to_vec()),
        ])
        .unwrap();
    let batch = vec![entry(1, 2, b"a"), entry(1, 3, b"b")];
    assert_eq!(actions.len(), 3, "{actions:?}");
    assert!(matches!(
        &actions[0],
        Action::Rejected {
            event: 1,
            error: Error::InvalidRequest { .. }
        }
    ));
    assert_eq!(
        actions[1..],
        [
            send(2, ae(1, 1, (1, 1), batch.clone(), 1)),
            send(3, ae(1, 1, (1, 1), batch, 1)),
        ]
    );
}

/// The `AppendEntries` among `actions`.
fn appends(actions: &[Action]) -> Vec<&Action> {
    actions
        .iter()
        .filter(|action| {
            matches!(
                action,
                Action::Send {
                    message: Message::AppendEntries(_),
                    ..
                }
            )
        })
        .collect()
}

// Raft 5.1 and 5.2: only a leader sends AppendEntries. A leader deposed by
// a newer leader's append sends none, not even of the entries that append
// brought (its old view of the followers is stale), and neither does one
// that took a proposal and learned of the newer leader in the same batch.
#[test]
fn a_deposed_leader_sends_no_appends() {
    let mut node = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut node);
    let actions = node
        .step(msg(ae(2, 2, (1, 1), vec![entry(2, 2, b"y")], 1)))
        .unwrap();
    assert_eq!(node.role(), Role::Follower);
    assert_eq!(node.log().last_index(), 2);
    assert_eq!(appends(&actions), Vec::<&Action>::new());

    let mut node = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut node);
    let actions = node
        .step_many(vec![
            Event::Propose(b"x".to_vec()),
            msg(ae(2, 2, (1, 1), vec![], 1)),
        ])
        .unwrap();
    assert_eq!(node.role(), Role::Follower);
    assert_eq!(appends(&actions), Vec::<&Action>::new());
}
