//! Tracked proposals: the leader tells the caller where its command went,
//! so the caller can tell an applied proposal from a lost one.

use raft_core::{Action, Error, Event, RaftNode};

use crate::common::*;

fn tracked(id: u64, command: &[u8]) -> Event {
    Event::ProposeTracked {
        id,
        command: command.to_vec(),
    }
}

// The leader answers a tracked proposal with the (term, index) it assigned,
// before the step's appends go out; two in one batch get consecutive indices.
#[test]
fn tracked_proposal_reports_the_term_and_index_it_was_given() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    let actions = leader
        .step_many([tracked(7, b"a"), tracked(8, b"b")])
        .unwrap();
    assert_eq!(
        actions,
        vec![
            Action::Proposed {
                id: 7,
                term: 1,
                index: 2
            },
            Action::Proposed {
                id: 8,
                term: 1,
                index: 3
            },
            send(
                2,
                ae(1, 1, (1, 1), vec![entry(1, 2, b"a"), entry(1, 3, b"b")], 1)
            ),
            send(
                3,
                ae(1, 1, (1, 1), vec![entry(1, 2, b"a"), entry(1, 3, b"b")], 1)
            ),
        ]
    );
    let actions = leader.step(msg(ae_ok(1, 2, 3))).unwrap();
    assert_eq!(
        actions,
        vec![
            Action::Apply {
                index: 2,
                term: 1,
                command: b"a".to_vec()
            },
            Action::Apply {
                index: 3,
                term: 1,
                command: b"b".to_vec()
            },
        ]
    );
}

// A follower refuses a tracked proposal exactly as an untracked one, naming
// the leader it knows, and reports no position.
#[test]
fn follower_refuses_a_tracked_proposal_naming_the_leader() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    follower.step(msg(ae(1, 1, (0, 0), vec![], 0))).unwrap();
    assert_eq!(
        follower.step(tracked(1, b"x")),
        Err(Error::NotLeader { leader: Some(1) })
    );
    assert_eq!(
        follower.step_many([tracked(1, b"x")]).unwrap(),
        vec![Action::Rejected {
            event: 0,
            error: Error::NotLeader { leader: Some(1) }
        }]
    );
}
