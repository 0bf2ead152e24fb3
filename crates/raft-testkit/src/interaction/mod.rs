//! Readable interaction scripts: drive a few nodes by hand, one command at a
//! time, and print every message and action exactly, in the style of
//! datadriven tests. A script is a series of blocks:
//!
//! ```text
//! # comments start with '#'
//! add-nodes 3
//! ----
//! ok
//! ```
//!
//! Commands (node ids are `1..=n`):
//!
//! | command | effect |
//! |---|---|
//! | `add-nodes N [pre-vote=false] [check-quorum=false]` | a fresh world of N nodes (election timeout 10..=20, heartbeat 3) |
//! | `add-joining-node ID` | node `ID` (the next id) started with `RaftConfig::joining`, same timing and options |
//! | `campaign ID` | tick `ID` until its election timeout fires |
//! | `tick ID [N]` / `tick-all [N]` | tick one node / every live node |
//! | `propose ID TEXT` | a proposal at `ID` |
//! | `propose-tracked ID TAG TEXT` | a tracked proposal (`Event::ProposeTracked`) tagged `TAG` at `ID` |
//! | `read ID READ` | a linearizable read tagged `READ` at `ID` |
//! | `transfer ID TARGET` | leadership transfer at `ID` |
//! | `deliver [ID..]` | deliver the queued messages (to the listed nodes only, if any) once |
//! | `stabilize` | deliver until no message is queued |
//! | `drop [ID..]` | drop the queued messages (to the listed nodes only, if any) |
//! | `partition 1 2 / 3` | cut links between the groups; `heal` restores them |
//! | `add-server ID NODE` / `remove-server ID NODE` | single-server change (thesis 4.1) requested at `ID` |
//! | `add-learner ID NODE` / `promote-learner ID NODE` | learner added / made a voter, requested at `ID` |
//! | `change-membership ID voters=1,2,3 [learners=4,5]` | joint consensus (thesis 4.3) requested at `ID` |
//! | `crash ID` / `restart ID` | stop a node (messages to it are lost) / restart it over its durable log |
//! | `status ID` / `log ID` | print a node's state and configuration / log |
//!
//! Output: `A->B MESSAGE` for every message sent (or `lost`, `dropped`),
//! `ID became ROLE at term T`, `ID apply TERM/INDEX CMD`, `ID membership
//! changed voters=[..]` (`Action::MembershipChanged`), `ID proposal TAG at
//! TERM/INDEX` (`Action::Proposed`), `ID transfer to T aborted`
//! (`Action::TransferAborted`), `ID read TAG ready at index I`, and
//! `ID error: ..` for a refused request. Log entries print as
//! `TERM/INDEX noop`, `TERM/INDEX "cmd"` or `TERM/INDEX config voters=[..]`
//! (with `outgoing=[..]` while joint and `learners=[..]`).
//!
//! ```
//! use raft_testkit::Interaction;
//! let mut run = Interaction::new();
//! assert_eq!(run.execute("add-nodes 1"), "ok");
//! let out = run.execute("campaign 1");
//! assert!(out.contains("became Leader"), "{out}");
//! ```

mod describe;
mod lifecycle;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use raft_core::{Action, Event, Message, NodeId, RaftConfig, RaftLog, RaftNode, Role};

use describe::{describe, entries_text, membership_text, text};

/// A scripted cluster: nodes, a queue of messages in flight, and cut links.
#[derive(Default)]
pub struct Interaction {
    /// Node `id` is `nodes[id - 1]`.
    nodes: Vec<RaftNode>,
    /// Crashed nodes: they take no step until restarted.
    down: BTreeSet<NodeId>,
    queue: Vec<(NodeId, NodeId, Message)>,
    cut: BTreeSet<(NodeId, NodeId)>,
    /// The world's options (from `add-nodes`), for nodes added later.
    pre_vote: bool,
    check_quorum: bool,
}

impl Interaction {
    /// An empty script state (start with `add-nodes`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs one command line; returns what it printed.
    pub fn execute(&mut self, line: &str) -> String {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((&command, args)) = words.split_first() else {
            return "error: empty command".to_owned();
        };
        let mut out = String::new();
        let result = match command {
            "add-nodes" => self.add_nodes(args),
            "campaign" => self.campaign(args, &mut out),
            "tick" => self.tick(args, &mut out),
            "tick-all" => self.tick_all(args, &mut out),
            "propose" => self.event(args, &mut out, |rest| {
                Some(Event::Propose(rest.join(" ").into_bytes()))
            }),
            "propose-tracked" => self.event(args, &mut out, |rest| {
                let (tag, command) = rest.split_first()?;
                Some(Event::ProposeTracked {
                    id: tag.parse().ok()?,
                    command: command.join(" ").into_bytes(),
                })
            }),
            "read" => self.event(args, &mut out, |rest| {
                rest.first()?.parse().ok().map(|id| Event::Read { id })
            }),
            "transfer" => self.event(args, &mut out, |rest| {
                rest.first()?.parse().ok().map(Event::TransferLeadership)
            }),
            "deliver" => self.deliver(args, &mut out),
            "stabilize" => self.stabilize(&mut out),
            "drop" => self.drop_queued(args, &mut out),
            "partition" => self.partition(args),
            "heal" => {
                self.cut.clear();
                Ok(())
            }
            "add-joining-node" => self.add_joining_node(args),
            "add-server" => self.single_server_change(args, &mut out, Event::AddServer),
            "remove-server" => self.single_server_change(args, &mut out, Event::RemoveServer),
            "add-learner" => self.single_server_change(args, &mut out, Event::AddLearner),
            "promote-learner" => self.single_server_change(args, &mut out, Event::PromoteLearner),
            "change-membership" => self.change_membership(args, &mut out),
            "crash" => self.crash(args),
            "restart" => self.restart(args, &mut out),
            "status" => self.status(args, &mut out),
            "log" => self.log(args, &mut out),
            other => Err(format!("unknown command {other:?}")),
        };
        if let Err(error) = result {
            out.push_str("error: ");
            out.push_str(&error);
        }
        if out.is_empty() {
            out.push_str("ok");
        }
        out.trim_end().to_owned()
    }

    fn add_nodes(&mut self, args: &[&str]) -> Result<(), String> {
        let count: u64 = parse(args.first())?;
        let (mut pre_vote, mut check_quorum) = (true, true);
        for option in &args[1..] {
            match *option {
                "pre-vote=false" => pre_vote = false,
                "check-quorum=false" => check_quorum = false,
                other => return Err(format!("unknown option {other}")),
            }
        }
        // A fresh world: nothing in flight, no partitions, nobody down.
        self.queue.clear();
        self.cut.clear();
        self.down.clear();
        (self.pre_vote, self.check_quorum) = (pre_vote, check_quorum);
        let ids: Vec<NodeId> = (1..=count).collect();
        self.nodes = ids
            .iter()
            .map(|&id| RaftNode::new(self.with_world_options(RaftConfig::new(id, ids.clone()))))
            .collect();
        Ok(())
    }

    /// `config` with the world's timing and options.
    fn with_world_options(&self, config: RaftConfig) -> RaftConfig {
        config
            .with_election_timeout(10, 20)
            .with_heartbeat_interval(3)
            .with_pre_vote(self.pre_vote)
            .with_check_quorum(self.check_quorum)
    }

    fn node_index(&self, id: Option<&&str>) -> Result<usize, String> {
        let id: NodeId = parse(id)?;
        let index = usize::try_from(id.wrapping_sub(1)).map_err(|e| e.to_string())?;
        if index < self.nodes.len() {
            Ok(index)
        } else {
            Err(format!("no node {id}"))
        }
    }

    /// Like `node_index`, for a command that steps the node: it must be up.
    fn live_index(&self, id: Option<&&str>) -> Result<usize, String> {
        let index = self.node_index(id)?;
        let id = self.nodes[index].id();
        if self.down.contains(&id) {
            return Err(format!("node {id} is down"));
        }
        Ok(index)
    }

    /// Steps node `index` and records its output, queueing its messages.
    fn step(&mut self, index: usize, event: Event, out: &mut String) {
        let node = &mut self.nodes[index];
        let (id, role_before, term_before) = (node.id(), node.role(), node.term());
        match node.step(event) {
            Ok(actions) => {
                if node.role() != role_before || node.term() != term_before {
                    let _ = writeln!(out, "{id} became {:?} at term {}", node.role(), node.term());
                }
                for action in actions {
                    self.record(id, action, out);
                }
            }
            Err(error) => {
                let _ = writeln!(out, "{id} error: {error}");
            }
        }
    }

    fn record(&mut self, id: NodeId, action: Action, out: &mut String) {
        match action {
            Action::Send { to, message } => {
                let _ = writeln!(out, "{id}->{to} {}", describe(&message));
                self.queue.push((id, to, message));
            }
            Action::Apply {
                index,
                term,
                command,
            } => {
                let _ = writeln!(out, "{id} apply {term}/{index} {:?}", text(&command));
            }
            Action::ReadReady { id: read, index } => {
                let _ = writeln!(out, "{id} read {read} ready at index {index}");
            }
            Action::MembershipChanged { members } => {
                let _ = writeln!(out, "{id} membership changed voters={members:?}");
            }
            Action::Proposed {
                id: tag,
                term,
                index,
            } => {
                let _ = writeln!(out, "{id} proposal {tag} at {term}/{index}");
            }
            Action::TransferAborted { target } => {
                let _ = writeln!(out, "{id} transfer to {target} aborted");
            }
            other => {
                let _ = writeln!(out, "{id} {other:?}");
            }
        }
    }

    fn event(
        &mut self,
        args: &[&str],
        out: &mut String,
        make: impl FnOnce(&[&str]) -> Option<Event>,
    ) -> Result<(), String> {
        let index = self.live_index(args.first())?;
        let event = make(&args[1..]).ok_or("bad arguments")?;
        self.step(index, event, out);
        Ok(())
    }

    fn campaign(&mut self, args: &[&str], out: &mut String) -> Result<(), String> {
        let index = self.live_index(args.first())?;
        for _ in 0..1_000 {
            let before = out.len();
            self.step(index, Event::Tick, out);
            if out.len() > before {
                return Ok(());
            }
        }
        Err("the node never campaigned".to_owned())
    }

    fn tick(&mut self, args: &[&str], out: &mut String) -> Result<(), String> {
        let index = self.live_index(args.first())?;
        let count: u32 = args.get(1).map_or(Ok(1), |n| parse(Some(n)))?;
        for _ in 0..count {
            self.step(index, Event::Tick, out);
        }
        Ok(())
    }

    fn tick_all(&mut self, args: &[&str], out: &mut String) -> Result<(), String> {
        let count: u32 = args.first().map_or(Ok(1), |n| parse(Some(n)))?;
        for _ in 0..count {
            for index in 0..self.nodes.len() {
                if !self.down.contains(&self.nodes[index].id()) {
                    self.step(index, Event::Tick, out);
                }
            }
        }
        Ok(())
    }

    fn targets(args: &[&str]) -> Result<BTreeSet<NodeId>, String> {
        args.iter().map(|arg| parse(Some(arg))).collect()
    }

    /// Takes the queued messages addressed to `targets` (all if empty),
    /// keeping the rest queued, in order.
    fn take_queued(&mut self, targets: &BTreeSet<NodeId>) -> Vec<(NodeId, NodeId, Message)> {
        let (taken, kept) = std::mem::take(&mut self.queue)
            .into_iter()
            .partition(|(_, to, _)| targets.is_empty() || targets.contains(to));
        self.queue = kept;
        taken
    }

    fn deliver(&mut self, args: &[&str], out: &mut String) -> Result<(), String> {
        let targets = Self::targets(args)?;
        for (from, to, message) in self.take_queued(&targets) {
            let lost = if self.cut.contains(&(from, to)) {
                Some("partition")
            } else if self.down.contains(&to) {
                Some("down")
            } else if self.node_index(Some(&to.to_string().as_str())).is_err() {
                // A configuration may name a node the script never started.
                Some("no such node")
            } else {
                None
            };
            if let Some(why) = lost {
                let _ = writeln!(out, "{from}->{to} lost ({why}) {}", describe(&message));
                continue;
            }
            let index = self.node_index(Some(&to.to_string().as_str()))?;
            self.step(index, Event::Message(message), out);
        }
        Ok(())
    }

    fn stabilize(&mut self, out: &mut String) -> Result<(), String> {
        for _ in 0..100 {
            if self.queue.is_empty() {
                return Ok(());
            }
            self.deliver(&[], out)?;
        }
        Err("messages still flowing after 100 rounds".to_owned())
    }

    fn drop_queued(&mut self, args: &[&str], out: &mut String) -> Result<(), String> {
        let targets = Self::targets(args)?;
        for (from, to, message) in self.take_queued(&targets) {
            let _ = writeln!(out, "{from}->{to} dropped {}", describe(&message));
        }
        Ok(())
    }

    fn partition(&mut self, args: &[&str]) -> Result<(), String> {
        let groups: Vec<Vec<NodeId>> = args
            .split(|arg| *arg == "/")
            .map(|group| group.iter().map(|id| parse(Some(id))).collect())
            .collect::<Result<_, _>>()?;
        self.cut.clear();
        for (i, a) in groups.iter().enumerate() {
            for b in &groups[i + 1..] {
                for &x in a {
                    for &y in b {
                        self.cut.insert((x, y));
                        self.cut.insert((y, x));
                    }
                }
            }
        }
        Ok(())
    }

    fn status(&mut self, args: &[&str], out: &mut String) -> Result<(), String> {
        let status = self.nodes[self.node_index(args.first())?].status();
        if self.down.contains(&status.id) {
            let _ = writeln!(out, "{} down", status.id);
            return Ok(());
        }
        let _ = writeln!(
            out,
            "{} {:?} term={} leader={:?} commit={} applied={} last={}",
            status.id,
            status.role,
            status.term,
            status.leader,
            status.commit_index,
            status.last_applied,
            status.last_index
        );
        let _ = writeln!(
            out,
            "  config {}{}",
            membership_text(&status.membership),
            if status.config_pending {
                " pending"
            } else {
                ""
            }
        );
        for peer in status.peers {
            let _ = writeln!(
                out,
                "  peer {} {:?} match={} next={} inflight={}",
                peer.id, peer.state, peer.match_index, peer.next_index, peer.inflight
            );
        }
        Ok(())
    }

    fn log(&mut self, args: &[&str], out: &mut String) -> Result<(), String> {
        let node = &self.nodes[self.node_index(args.first())?];
        let log = node.log();
        let entries = log.entries(log.snapshot_index() + 1, log.last_index());
        if entries.is_empty() {
            out.push_str("empty");
        } else {
            out.push_str(&entries_text(&entries));
        }
        Ok(())
    }

    /// Whether node `id` is the leader (for scripts' callers in Rust).
    pub fn is_leader(&self, id: NodeId) -> bool {
        self.nodes
            .iter()
            .any(|node| node.id() == id && node.role() == Role::Leader)
    }
}

fn parse<T: std::str::FromStr>(word: Option<&&str>) -> Result<T, String> {
    let word = word.ok_or("missing argument")?;
    word.parse().map_err(|_| format!("bad number {word:?}"))
}

/// Runs a whole script, returning it with every block's output replaced by
/// what the commands print now. A script whose result equals its input
/// passes; `cargo xtask test --rewrite` writes the result back.
pub fn run_script(script: &str) -> String {
    let mut interaction = Interaction::new();
    let mut result = String::new();
    let mut lines = script.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            result.push_str(line);
            result.push('\n');
            continue;
        }
        // A command block: the command, `----`, its expected output, and a
        // blank line.
        result.push_str(line);
        result.push('\n');
        let output = interaction.execute(trimmed);
        // Skip the old expected output, if the block has one.
        if lines.next_if(|next| next.trim() == "----").is_some() {
            while lines.next_if(|next| !next.trim().is_empty()).is_some() {}
        }
        result.push_str("----\n");
        result.push_str(&output);
        result.push('\n');
    }
    result
}
