//! `PieceWriter`: the apply thread's snapshot, handed to the consensus
//! thread in 1 MiB `Event::SnapshotPiece`s as the state machine writes it,
//! so a state of any size is never one `Vec`.

use std::io::{self, Write};
use std::sync::mpsc::SyncSender;

use raft_core::Index;

use crate::request::Input;

/// Bytes per piece.
pub(crate) const PIECE_BYTES: usize = 1 << 20;

/// Buffers what the state machine writes and sends each full piece. Sends
/// block while the consensus queue is full: a piece must never be dropped
/// (the core refuses the rest of a snapshot that skips one, but a blocked
/// apply thread costs only apply latency, never consensus progress, since
/// the consensus thread never waits for this one).
pub(crate) struct PieceWriter<'a> {
    index: Index,
    consensus: &'a SyncSender<Input>,
    piece: Vec<u8>,
    offset: u64,
}

impl<'a> PieceWriter<'a> {
    pub(crate) fn new(index: Index, consensus: &'a SyncSender<Input>) -> Self {
        Self {
            index,
            consensus,
            piece: Vec::new(),
            offset: 0,
        }
    }

    fn send(&mut self, done: bool) -> io::Result<()> {
        let data = std::mem::take(&mut self.piece);
        let len = data.len() as u64;
        let piece = Input::SnapshotPiece {
            index: self.index,
            offset: self.offset,
            data,
            done,
        };
        self.consensus.send(piece).map_err(|_| {
            io::Error::new(io::ErrorKind::BrokenPipe, "the consensus thread stopped")
        })?;
        self.offset += len;
        Ok(())
    }

    /// Sends the last piece: the snapshot is complete.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.send(true)
    }
}

impl Write for PieceWriter<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.piece.capacity() == 0 {
            self.piece.reserve_exact(PIECE_BYTES);
        }
        let taken = data.len().min(PIECE_BYTES - self.piece.len());
        self.piece.extend_from_slice(&data[..taken]);
        if self.piece.len() == PIECE_BYTES {
            self.send(false)?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;
    use std::sync::mpsc::sync_channel;

    #[test]
    fn a_large_snapshot_goes_out_in_contiguous_pieces_the_last_marked_done() {
        let (tx, rx) = sync_channel(16);
        let mut writer = PieceWriter::new(7, &tx);
        let state = vec![3u8; PIECE_BYTES * 2 + 10];
        for part in state.chunks(100_000) {
            writer.write_all(part).unwrap();
        }
        writer.finish().unwrap();
        drop(tx);
        let pieces: Vec<_> = rx
            .iter()
            .map(|input| match input {
                Input::SnapshotPiece {
                    index,
                    offset,
                    data,
                    done,
                } => (index, offset, data.len(), done),
                _ => panic!("not a snapshot piece"),
            })
            .collect();
        let piece = PIECE_BYTES as u64;
        assert_eq!(
            pieces,
            vec![
                (7, 0, PIECE_BYTES, false),
                (7, piece, PIECE_BYTES, false),
                (7, 2 * piece, 10, true),
            ]
        );
    }
}
