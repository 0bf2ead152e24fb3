//! Turns the search's deepest dead end into a [`NonLinearizable`] report.

use std::fmt::Write as _;

use super::history::{OpId, Operation};
use super::model::Model;
use super::search::Witness;
use super::verdict::NonLinearizable;

/// An operation with its id.
pub(crate) type Numbered<'a, I, O> = (OpId, &'a Operation<I, O>);

/// How many operations of a long prefix the explanation shows (the last ones).
const PREFIX_SHOWN: usize = 20;

/// One line naming an operation: id, client, interval, input and output.
pub(crate) fn describe<I: std::fmt::Debug, O: std::fmt::Debug>(
    id: OpId,
    op: &Operation<I, O>,
) -> String {
    match (op.output(), op.returned_at()) {
        (Some(output), Some(ret)) => format!(
            "{id} client {} [{}, {ret}] {:?} -> {output:?}",
            op.client(),
            op.invoked_at(),
            op.input()
        ),
        _ => format!(
            "{id} client {} [{}, never returned] {:?} -> (pending)",
            op.client(),
            op.invoked_at(),
            op.input()
        ),
    }
}

/// The report for a partition labelled `label` whose operations are `ops`
/// (ids and operations, indexed as the witness's local indices).
pub(crate) fn explain<M: Model>(
    model: &M,
    label: &str,
    ops: &[Numbered<'_, M::Input, M::Output>],
    witness: &Witness<M::State>,
) -> NonLinearizable {
    let id = |local: usize| ops.get(local).map(|&(id, _)| id);
    let line = |local: usize| {
        ops.get(local)
            .map_or_else(String::new, |&(id, op)| describe(id, op))
    };
    let mut text = format!("not linearizable: {label} ({} operations)\n", ops.len());
    let prefix = &witness.prefix;
    if prefix.is_empty() {
        text.push_str("no operation can be linearized first\n");
    } else {
        let _ = writeln!(
            text,
            "longest linearizable prefix ({} of {} operations):",
            prefix.len(),
            ops.len()
        );
        let skipped = prefix.len().saturating_sub(PREFIX_SHOWN);
        if skipped > 0 {
            let _ = writeln!(text, "  ... {skipped} earlier operations");
        }
        for (position, &local) in prefix.iter().enumerate().skip(skipped) {
            let _ = writeln!(text, "  {}. {}", position + 1, line(local));
        }
    }
    let _ = writeln!(text, "state then: {:?}", witness.state);
    match witness.blocked {
        Some(blocked) => {
            let deadline = ops
                .get(blocked)
                .and_then(|(_, op)| op.returned_at())
                .map_or_else(String::new, |ret| format!(" (at {ret})"));
            let _ = writeln!(
                text,
                "{} must take effect before it returns{deadline}, but no operation that may come next can:",
                line(blocked)
            );
        }
        None => text.push_str("no operation that may come next can take effect:\n"),
    }
    for &local in &witness.candidates {
        let possible = ops
            .get(local)
            .and_then(|(_, op)| model.step(&witness.state, op.input(), op.output()));
        let why = if possible.is_some() {
            "possible here, but every continuation fails"
        } else {
            "impossible in this state"
        };
        let _ = writeln!(text, "  {}: {why}", line(local));
    }
    NonLinearizable {
        partition: label.to_string(),
        operations: ops.iter().map(|&(id, _)| id).collect(),
        longest_prefix: prefix.iter().filter_map(|&local| id(local)).collect(),
        blocked: witness.blocked.and_then(id),
        candidates: witness
            .candidates
            .iter()
            .filter_map(|&local| id(local))
            .collect(),
        explanation: text.trim_end().to_string(),
    }
}
