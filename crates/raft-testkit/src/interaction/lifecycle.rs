//! The commands that change who is in the world rather than what it says:
//! a node joining a running cluster, crashes and restarts, and the
//! membership requests (thesis 4) a script hands to a leader.

use std::fmt::Write as _;

use raft_core::{Event, NodeId, RaftConfig, RaftLog, RaftNode};

use super::Interaction;
use super::describe::membership_text;

impl Interaction {
    /// `add-joining-node ID`: a node started with `RaftConfig::joining`
    /// (no configuration until the leader's reaches it), with the world's
    /// timing. Ids stay dense, so `ID` is the next one.
    pub(super) fn add_joining_node(&mut self, args: &[&str]) -> Result<(), String> {
        let id: NodeId = super::parse(args.first())?;
        let next = self.nodes.len() as NodeId + 1;
        if id != next {
            return Err(format!("the next node id is {next}, not {id}"));
        }
        let config = self.with_world_options(RaftConfig::joining(id));
        self.nodes.push(RaftNode::new(config));
        Ok(())
    }

    /// `crash ID`: the node stops; what it sent is still in flight, what is
    /// sent to it is lost. Its log (which every step synced) is what a
    /// restart finds.
    pub(super) fn crash(&mut self, args: &[&str]) -> Result<(), String> {
        let index = self.live_index(args.first())?;
        self.down.insert(self.nodes[index].id());
        Ok(())
    }

    /// `restart ID`: a crashed node comes back over its durable log with
    /// its original configuration: term, vote, log and the configuration
    /// the log records survive; role, leader, commit index and timers do
    /// not.
    pub(super) fn restart(&mut self, args: &[&str], out: &mut String) -> Result<(), String> {
        let index = self.node_index(args.first())?;
        let node = &self.nodes[index];
        let id = node.id();
        if !self.down.remove(&id) {
            return Err(format!("node {id} is not down"));
        }
        let restarted = RaftNode::with_log(node.config().clone(), node.log().clone());
        let _ = writeln!(
            out,
            "{id} restarted term={} commit={} last={} {}",
            restarted.term(),
            restarted.commit_index(),
            restarted.log().last_index(),
            membership_text(restarted.membership())
        );
        self.nodes[index] = restarted;
        Ok(())
    }

    /// `add-server`, `remove-server`, `add-learner`, `promote-learner`:
    /// `ID NODE`, the request stepped at `ID`.
    pub(super) fn single_server_change(
        &mut self,
        args: &[&str],
        out: &mut String,
        make: fn(NodeId) -> Event,
    ) -> Result<(), String> {
        let target: NodeId = super::parse(args.get(1))?;
        self.event(args, out, |_| Some(make(target)))
    }

    /// `change-membership ID voters=1,2,3 [learners=4,5]`: joint consensus
    /// (paper 6, thesis 4.3) stepped at `ID`.
    pub(super) fn change_membership(
        &mut self,
        args: &[&str],
        out: &mut String,
    ) -> Result<(), String> {
        let (mut voters, mut learners) = (None, Vec::new());
        for option in args.get(1..).unwrap_or_default() {
            match option.split_once('=') {
                Some(("voters", list)) => voters = Some(id_list(list)?),
                Some(("learners", list)) => learners = id_list(list)?,
                _ => return Err(format!("unknown option {option}")),
            }
        }
        let voters = voters.ok_or("missing voters=..")?;
        self.event(args, out, |_| {
            Some(Event::ChangeMembership { voters, learners })
        })
    }
}

/// `1,2,3` as ids (an empty list is allowed: `learners=`).
fn id_list(list: &str) -> Result<Vec<NodeId>, String> {
    list.split(',')
        .filter(|id| !id.is_empty())
        .map(|id| id.parse().map_err(|_| format!("bad node id {id:?}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_that_misuse_the_lifecycle_commands_get_an_error() {
        let mut run = Interaction::new();
        run.execute("add-nodes 2");
        assert_eq!(
            run.execute("add-joining-node 4"),
            "error: the next node id is 3, not 4"
        );
        assert_eq!(run.execute("restart 1"), "error: node 1 is not down");
        assert_eq!(run.execute("crash 1"), "ok");
        assert_eq!(run.execute("crash 1"), "error: node 1 is down");
        assert_eq!(run.execute("tick 1"), "error: node 1 is down");
        assert_eq!(run.execute("status 1"), "1 down");
        assert_eq!(
            run.execute("change-membership 2 learners=1"),
            "error: missing voters=.."
        );
        assert_eq!(
            run.execute("change-membership 2 voters=1,x"),
            "error: bad node id \"x\""
        );
    }

    #[test]
    fn a_restarted_node_keeps_its_log_term_and_configuration() {
        let mut run = Interaction::new();
        run.execute("add-nodes 1");
        run.execute("campaign 1");
        run.execute("add-joining-node 2");
        // A sole voter elected over an empty log appends no no-op: an
        // entry of its term must commit before a membership change.
        run.execute("propose 1 a");
        assert_eq!(
            run.execute("add-learner 1 2"),
            "1 membership changed voters=[1]\n1->2 AppendEntries term=1 prev=1/2 commit=1 entries=[]"
        );
        run.execute("propose 1 x");
        run.execute("crash 1");
        assert_eq!(
            run.execute("restart 1"),
            "1 restarted term=1 commit=0 last=3 voters=[1] learners=[2]"
        );
        assert_eq!(
            run.execute("log 1"),
            "[1/1 \"a\", 1/2 config voters=[1] learners=[2], 1/3 \"x\"]"
        );
    }
}
