//! A node whose log survives being dropped: one node on a `WalLog` in a
//! temporary directory elects itself and commits three commands; the node
//! and its log are dropped (as if the process died) and the directory is
//! reopened. The log, the term and the vote are all there, and once the
//! node is re-elected the old commands are applied again, in order, to a
//! fresh state machine.
//!
//! Run with `cargo run -p raft-io --features persistence --example persistent_node`.

use raft_io::{Action, Event, RaftConfig, RaftLog, RaftNode, WalLog};

/// Steps `node` with `event` and returns the commands it applied.
fn step(node: &mut RaftNode<WalLog>, event: Event) -> raft_io::Result<Vec<(u64, String)>> {
    let mut applied = Vec::new();
    for action in node.step(event)? {
        if let Action::Apply { index, command, .. } = action {
            applied.push((index, String::from_utf8_lossy(&command).into_owned()));
        }
    }
    Ok(applied)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let commands = ["set x = 1", "set y = 2", "del x"];

    // First life: elect, propose, apply.
    let (term, first_life) = {
        let mut node = RaftNode::with_log(RaftConfig::single(1), WalLog::open(dir.path())?);
        while !node.is_leader() {
            step(&mut node, Event::Tick)?;
        }
        let mut applied = Vec::new();
        for command in commands {
            applied.extend(step(&mut node, Event::Propose(command.into()))?);
        }
        println!(
            "first life: leader of term {}, applied {applied:?}",
            node.term()
        );
        (node.term(), applied)
        // `node` and its `WalLog` are dropped here without any shutdown.
    };

    // Second life: the same directory, a new process's view of it.
    let log = WalLog::open(dir.path())?;
    assert_eq!(log.last_index(), 3, "every committed entry survived");
    assert_eq!(log.hard_state().term, term, "the term survived");
    assert_eq!(log.hard_state().voted_for, Some(1), "the vote survived");
    for (index, command) in (1..).zip(commands) {
        let entry = log.entry(index).ok_or("a committed entry is missing")?;
        assert_eq!(entry.command, command.as_bytes());
    }
    println!(
        "reopened {}: {} entries, term {term}, voted for node 1",
        dir.path().display(),
        log.last_index()
    );

    let mut node = RaftNode::with_log(RaftConfig::single(1), log);
    assert_eq!(node.term(), term);
    let mut second_life = Vec::new();
    while !node.is_leader() {
        second_life.extend(step(&mut node, Event::Tick)?);
    }
    assert_eq!(node.term(), term + 1, "a new term for the new leadership");
    assert_eq!(
        second_life, first_life,
        "the old entries re-apply, in order"
    );
    println!(
        "second life: leader of term {}, re-applied {second_life:?}",
        node.term()
    );
    Ok(())
}
