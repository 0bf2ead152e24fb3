//! Leadership transfer (thesis 3.10): the leader stops taking client
//! requests while it transfers, so the target can catch up and stay caught
//! up, and a transfer that does not complete within an election timeout is
//! abandoned, with the caller told.

use raft_core::{Action, Error, Event, RaftNode};

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
