//! A replicated key-value store, end to end in one process: writes go
//! through the leader's log, a linearizable read is served once the leader
//! confirms it still leads (`Event::Read` -> `Action::ReadReady`, thesis
//! 6.4), a new node joins as a learner and catches up from a snapshot of the
//! store, is promoted to a voter, an old node is removed, and every node
//! ends with the same store.

mod support;

use std::collections::BTreeMap;

use raft_io::{Error, Event, NodeId, RaftConfig};
use support::{Cluster, Outcome, StateMachine};

/// The store: `put KEY VALUE` and `del KEY` commands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct KvStore(BTreeMap<String, String>);

impl StateMachine for KvStore {
    fn apply(&mut self, command: &[u8]) {
        let command = String::from_utf8_lossy(command);
        let mut words = command.splitn(3, ' ');
        match (words.next(), words.next(), words.next()) {
            (Some("put"), Some(key), Some(value)) => {
                self.0.insert(key.to_owned(), value.to_owned());
            }
            (Some("del"), Some(key), None) => {
                self.0.remove(key);
            }
            _ => {} // not a command of ours: the store ignores it
        }
    }

    /// One `KEY=VALUE` line per key (keys never hold `=` or newlines).
    fn snapshot(&self) -> Vec<u8> {
        let lines: String = self.0.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        lines.into_bytes()
    }

    fn restore(&mut self, data: &[u8]) {
        self.0 = String::from_utf8_lossy(data)
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    }
}

fn main() -> Outcome {
    // Each node snapshots its store every 10 applied entries.
    let mut cluster: Cluster<KvStore> =
        Cluster::build(3, |config| config.with_snapshot_threshold(10));
    let mut expected = KvStore::default();

    let leader = cluster.elect()?;
    for i in 1..=25 {
        write(&mut cluster, &mut expected, format!("put user{i} name-{i}"))?;
    }
    write(&mut cluster, &mut expected, "put user7 renamed".to_owned())?;
    write(&mut cluster, &mut expected, "del user3".to_owned())?;
    println!("node {leader} leads; 27 writes committed");

    // A linearizable read: the leader confirms it still leads, then the read
    // is served from its store, applied through the read index.
    let follower = if leader == 1 { 2 } else { 1 };
    let refused = cluster.step(follower, Event::Read { id: 1 });
    assert!(matches!(refused, Err(Error::NotLeader { leader: Some(l) }) if l == leader));
    cluster.step(leader, Event::Read { id: 1 })?;
    assert!(cluster.run_until(10, |c| c.seen[&leader].reads_ready.iter().any(|r| r.0 == 1))?);
    let read_index = cluster.seen[&leader]
        .reads_ready
        .iter()
        .find(|r| r.0 == 1)
        .map_or(0, |r| r.1);
    assert!(cluster.nodes[&leader].last_applied() >= read_index);
    let value = cluster.applied[&leader].0.get("user7").cloned();
    println!("read user7 = {value:?} (read index {read_index}; node {follower} redirected us)");
    assert_eq!(value.as_deref(), Some("renamed"));
    assert_eq!(cluster.applied[&leader].0.get("user3"), None);

    // Node 4 joins as a learner. The leader has compacted its log, so the
    // learner catches up from a snapshot of the store.
    let compacted = cluster.seen[&leader].snapshots_taken.clone();
    assert!(!compacted.is_empty());
    cluster.start(RaftConfig::joining(4));
    cluster.change_membership(Event::AddLearner(4))?;
    assert!(cluster.run_until(100, |c| c.converged())?);
    let restored = cluster.seen[&4].snapshots_restored.clone();
    println!(
        "learner 4 caught up: leader snapshots at {compacted:?}, node 4 restored {restored:?}, {} keys",
        cluster.applied[&4].0.len()
    );
    assert!(!restored.is_empty(), "the learner caught up by snapshot");
    assert_eq!(cluster.applied[&4], expected);

    cluster.change_membership(Event::PromoteLearner(4))?;
    write(&mut cluster, &mut expected, "put user26 name-26".to_owned())?;

    // Remove one of the original followers and stop it.
    let leader = cluster.elect()?;
    let removed: NodeId = [1, 2, 3].into_iter().find(|&id| id != leader).unwrap_or(1);
    cluster.change_membership(Event::RemoveServer(removed))?;
    cluster.stop(removed);
    for i in 27..=40 {
        write(&mut cluster, &mut expected, format!("put user{i} name-{i}"))?;
    }
    write(&mut cluster, &mut expected, "del user1".to_owned())?;
    assert!(cluster.run_until(100, |c| c.converged())?);
    let members = cluster.nodes[&leader].members().to_vec();
    println!("promoted 4, removed {removed}: members {members:?}");
    assert!(members.contains(&4) && !members.contains(&removed));

    for (id, store) in &cluster.applied {
        assert_eq!(store, &expected, "node {id}'s store");
    }
    println!(
        "every node {:?} holds the same {} keys",
        cluster.nodes.keys().collect::<Vec<_>>(),
        expected.0.len()
    );
    Ok(())
}

/// Commits `command` through the leader, and applies it to `expected`, the
/// store every node must end with.
fn write(cluster: &mut Cluster<KvStore>, expected: &mut KvStore, command: String) -> Outcome {
    cluster.write(command.as_bytes())?;
    expected.apply(command.as_bytes());
    Ok(())
}
