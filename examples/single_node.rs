//! One node: it elects itself, then every proposal commits and applies at
//! once (a quorum of one), and reads are served immediately.

use raft_io::{Action, Event, RaftConfig, RaftNode};

fn main() -> raft_io::Result<()> {
    let mut node = RaftNode::new(RaftConfig::single(1));
    let mut ticks = 0;
    while !node.is_leader() {
        node.step(Event::Tick)?;
        ticks += 1;
    }
    println!(
        "node 1 elected itself after {ticks} ticks, term {}",
        node.term()
    );

    let mut state_machine = Vec::new();
    for command in ["set x = 1", "set y = 2", "del x"] {
        for action in node.step(Event::Propose(command.as_bytes().to_vec()))? {
            if let Action::Apply { index, command, .. } = action {
                println!("apply #{index}: {}", String::from_utf8_lossy(&command));
                state_machine.push(command);
            }
        }
    }
    assert_eq!(state_machine.len(), 3);
    assert_eq!(node.commit_index(), 3);

    let read = node.step(Event::Read { id: 1 })?;
    assert_eq!(read, vec![Action::ReadReady { id: 1, index: 3 }]);
    println!("read 1 may be served at index 3");
    Ok(())
}
