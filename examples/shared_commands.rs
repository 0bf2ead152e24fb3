//! The fast path: three nodes sharing commands
//! (`RaftConfig::with_shared_commands`), driven through `step_into` with one
//! reused output buffer. Each command is allocated once, by the client; the
//! leader's log, the appends to both followers, the followers' logs and all
//! three applies hold that one allocation, which the example checks by
//! pointer.

use std::collections::VecDeque;
use std::sync::Arc;

use raft_io::{Action, Event, Message, RaftConfig, RaftNode, SharedCommand};

type Outcome = Result<(), Box<dyn std::error::Error>>;

struct Cluster {
    nodes: Vec<RaftNode>,
    queue: VecDeque<(u64, Message)>,
    /// Every step's actions, one buffer for the whole run.
    out: Vec<Action>,
    /// What each node applied: (index, command).
    applied: Vec<Vec<(u64, SharedCommand)>>,
}

impl Cluster {
    fn new(count: u64) -> Self {
        let nodes: Vec<RaftNode> = (1..=count)
            .map(|id| {
                let config = RaftConfig::new(id, (1..=count).filter(|&p| p != id))
                    .with_election_timeout(10, 20)
                    .with_shared_commands(true);
                RaftNode::new(config)
            })
            .collect();
        Self {
            applied: vec![Vec::new(); nodes.len()],
            nodes,
            queue: VecDeque::new(),
            out: Vec::with_capacity(64),
        }
    }

    fn step(&mut self, slot: usize, event: Event) -> raft_io::Result<()> {
        self.out.clear();
        self.nodes[slot].step_into(event, &mut self.out)?;
        self.route(slot);
        Ok(())
    }

    /// The fast path's proposal: the command handed over, not copied.
    fn propose(&mut self, slot: usize, command: SharedCommand) -> raft_io::Result<()> {
        self.out.clear();
        self.nodes[slot].propose_shared(command, &mut self.out)?;
        self.route(slot);
        Ok(())
    }

    /// Carries out what node `slot` just emitted into `out`.
    fn route(&mut self, slot: usize) {
        for action in self.out.drain(..) {
            match action {
                Action::Send { to, message } => self.queue.push_back((to, message)),
                Action::ApplyShared { index, command, .. } => {
                    self.applied[slot].push((index, command));
                }
                _ => {}
            }
        }
    }

    /// Delivers every queued message and what it causes.
    fn deliver(&mut self) -> raft_io::Result<()> {
        while let Some((to, message)) = self.queue.pop_front() {
            // Node ids are 1..=count, slots 0..count.
            let Ok(slot) = usize::try_from(to - 1) else {
                continue;
            };
            self.step(slot, Event::Message(message))?;
        }
        Ok(())
    }

    fn tick(&mut self) -> raft_io::Result<()> {
        for slot in 0..self.nodes.len() {
            self.step(slot, Event::Tick)?;
        }
        self.deliver()
    }
}

fn main() -> Outcome {
    let mut cluster = Cluster::new(3);
    let leader = loop {
        cluster.tick()?;
        if let Some(slot) = cluster.nodes.iter().position(RaftNode::is_leader) {
            break slot;
        }
    };
    println!("node {} leads", leader + 1);

    let commands: Vec<SharedCommand> = (0..5)
        .map(|i| SharedCommand::from(format!("set x = {i}").as_bytes()))
        .collect();
    for command in &commands {
        cluster.propose(leader, Arc::clone(command))?;
        cluster.deliver()?;
    }
    // The last commit index reaches the followers with the next heartbeat.
    for _ in 0..5 {
        cluster.tick()?;
    }

    for (slot, applied) in cluster.applied.iter().enumerate() {
        assert_eq!(
            applied.len(),
            commands.len(),
            "node {} applied all",
            slot + 1
        );
        for ((_, got), sent) in applied.iter().zip(&commands) {
            // Not a copy: the very allocation the client made.
            assert!(Arc::ptr_eq(got, sent));
        }
        println!(
            "node {}: applied {} commands, each the client's own allocation",
            slot + 1,
            applied.len()
        );
    }
    // Who holds the first command now: the client (`commands`), the three
    // logs, and the three applies this example kept. Nothing else: the
    // appends that carried it are gone, and no copy was ever made.
    let holders = Arc::strong_count(&commands[0]);
    assert_eq!(holders, 1 + 3 + 3);
    println!("the first command has {holders} holders and one allocation");
    Ok(())
}
