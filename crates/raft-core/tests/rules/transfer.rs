//! Leadership transfer (thesis 3.10): the leader stops taking client
//! requests while it transfers, so the target can catch up and stay caught
//! up, and a transfer that does not complete within an election timeout is
//! abandoned, with the caller told.

use raft_core::{Action, Error, Event, Message, RaftNode, TimeoutNow};

use crate::common::*;

// Thesis 3.10: "the prior leader stops accepting new client requests"
// during a transfer. Proposals and membership changes are refused with a
// retryable error naming the target; reads are still served.
#[test]
fn a_transferring_leader_refuses_proposals_and_changes() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    leader.step(Event::TransferLeadership(2)).unwrap();
    let refused: Result<Vec<Action>, Error> = Err(Error::TransferInProgress { target: 2 });
    assert_eq!(leader.step(Event::Propose(b"x".to_vec())), refused);
    assert_eq!(leader.step(Event::AddServer(4)), refused);
    assert_eq!(leader.step(Event::TransferLeadership(3)), refused);
    assert_eq!(leader.log().last_index(), 1, "nothing appended");
    assert!(leader.step(Event::Read { id: 1 }).is_ok());
}

// Thesis 3.10: a transfer that does not complete within an election timeout
// is abandoned and the leader resumes accepting requests; it lasts a whole
// election timeout from its start, however the check-quorum rounds fall.
#[test]
fn an_unfinished_transfer_is_abandoned_after_an_election_timeout() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]).with_check_quorum(false));
    elect_and_settle(&mut leader);
    for _ in 0..7 {
        leader.step(Event::Tick).unwrap();
    }
    // Node 3 never answers: the transfer cannot complete.
    leader.step(msg(ae_reject(1, 3, 1, 0))).unwrap();
    leader.step(Event::TransferLeadership(3)).unwrap();
    for tick in 1..20 {
        let actions = leader.step(Event::Tick).unwrap();
        assert!(
            !actions.contains(&Action::TransferAborted { target: 3 }),
            "abandoned after {tick} ticks"
        );
        assert!(leader.step(Event::Propose(b"x".to_vec())).is_err());
    }
    let actions = leader.step(Event::Tick).unwrap();
    assert!(actions.contains(&Action::TransferAborted { target: 3 }));
    assert!(leader.is_leader());
    assert!(leader.step(Event::Propose(b"x".to_vec())).is_ok());
}

/// The `TimeoutNow` messages among `actions`, by recipient.
fn timeout_nows(actions: &[Action]) -> Vec<u64> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Send {
                to,
                message: Message::TimeoutNow(_),
            } => Some(*to),
            _ => None,
        })
        .collect()
}

// Thesis 3.10: once the target holds the leader's whole log, the leader
// sends it `TimeoutNow`; a target already caught up is told at once.
#[test]
fn a_caught_up_target_is_told_to_time_out_at_once() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    let actions = leader.step(Event::TransferLeadership(2)).unwrap();
    assert_eq!(
        actions,
        vec![send(
            2,
            Message::TimeoutNow(TimeoutNow { term: 1, leader: 1 })
        )]
    );
}

// Thesis 3.10: a lagging target is first brought up to date; `TimeoutNow`
// goes to it alone, once, when it holds the whole log (another follower
// catching up is not told, and a duplicated acknowledgement sends nothing).
#[test]
fn a_lagging_target_is_told_once_it_holds_the_whole_log() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    leader.step(Event::Propose(b"x".to_vec())).unwrap();
    leader.step(msg(ae_ok(1, 3, 2))).unwrap();
    assert_eq!(leader.commit_index(), 2);
    let started = leader.step(Event::TransferLeadership(2)).unwrap();
    assert_eq!(timeout_nows(&started), Vec::<u64>::new(), "2 lacks entry 2");
    let other = leader.step(msg(ae_ok(1, 3, 2))).unwrap();
    assert_eq!(
        timeout_nows(&other),
        Vec::<u64>::new(),
        "3 is not the target"
    );
    let caught_up = leader.step(msg(ae_ok(1, 2, 2))).unwrap();
    assert_eq!(timeout_nows(&caught_up), vec![2]);
    let duplicate = leader.step(msg(ae_ok(1, 2, 2))).unwrap();
    assert_eq!(timeout_nows(&duplicate), Vec::<u64>::new(), "told once");
}
