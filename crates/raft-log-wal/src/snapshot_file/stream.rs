//! Version-2 snapshot files, written and read in pieces: the data in
//! blocks of `BLOCK_BYTES`, each followed by its CRC32C, then the footer
//! (`footer.rs`). A writer never holds more than one block; a reader reads
//! and verifies only the blocks a chunk covers, so a snapshot of any size
//! passes through in bounded memory.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use raft_core::{Index, Membership, Result, Term};

use super::file_name;
use super::footer::{META_LEN_MAX, Meta, TRAILER_LEN, parse_trailer};
use crate::fsutil::{storage, sync_dir};

/// Data bytes per block (the last block may be shorter).
pub(crate) const BLOCK_BYTES: u32 = 64 << 10;
const CRC_LEN: u32 = 4;

/// Where a file of `data_len` bytes in blocks of `block_bytes` puts its
/// footer: the data and one CRC per block come first.
fn data_region_len(data_len: u64, block_bytes: u32) -> Option<u64> {
    let blocks = data_len.div_ceil(u64::from(block_bytes));
    data_len.checked_add(blocks.checked_mul(u64::from(CRC_LEN))?)
}

/// A snapshot file being written under a temporary name.
#[derive(Debug)]
pub(crate) struct SnapshotWriter {
    dir: PathBuf,
    temp: PathBuf,
    file: File,
    /// The current block, not yet written.
    block: Vec<u8>,
    data_len: u64,
}

impl SnapshotWriter {
    /// Starts a file at `dir/temp_name`, replacing any file there.
    pub(crate) fn create(dir: &Path, temp_name: &str) -> Result<Self> {
        let temp = dir.join(temp_name);
        // Read as well as write: once finished, the same handle serves chunks.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)
            .map_err(|error| storage("stage snapshot", &temp, error))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            temp,
            file,
            block: Vec::with_capacity(BLOCK_BYTES as usize),
            data_len: 0,
        })
    }

    /// Appends `data`, writing each block as it fills.
    pub(crate) fn write(&mut self, mut data: &[u8]) -> Result<()> {
        let block_bytes = BLOCK_BYTES as usize;
        while !data.is_empty() {
            let room = block_bytes - self.block.len();
            let (now, rest) = data.split_at(room.min(data.len()));
            self.block.extend_from_slice(now);
            self.data_len += now.len() as u64;
            data = rest;
            if self.block.len() == block_bytes {
                self.write_block()?;
            }
        }
        Ok(())
    }

    fn write_block(&mut self) -> Result<()> {
        if self.block.is_empty() {
            return Ok(());
        }
        let crc = crc32c::crc32c(&self.block);
        self.file
            .write_all(&self.block)
            .and_then(|()| self.file.write_all(&crc.to_le_bytes()))
            .map_err(|error| storage("stage snapshot", &self.temp, error))?;
        self.block.clear();
        Ok(())
    }

    /// Writes the footer, makes the file durable and gives it its final
    /// name (`file_name(index, term)`), durably: a crash leaves either no
    /// such file or the whole one.
    pub(crate) fn finish(
        mut self,
        index: Index,
        term: Term,
        membership: &Membership,
    ) -> Result<SnapshotFile> {
        const CONTEXT: &str = "write snapshot";
        self.write_block()?;
        let meta = Meta {
            index,
            term,
            data_len: self.data_len,
            block_bytes: BLOCK_BYTES,
            membership: membership.clone(),
        };
        let footer = meta
            .encode()
            .map_err(|reason| storage(CONTEXT, &self.temp, reason))?;
        self.file
            .write_all(&footer)
            .and_then(|()| self.file.sync_all())
            .map_err(|error| storage(CONTEXT, &self.temp, error))?;
        let path = self.dir.join(file_name(index, term));
        std::fs::rename(&self.temp, &path).map_err(|error| storage(CONTEXT, &path, error))?;
        sync_dir(&self.dir).map_err(|error| storage(CONTEXT, &self.dir, error))?;
        Ok(SnapshotFile {
            path,
            file: self.file,
            meta,
        })
    }

    /// Removes the temporary file (best effort: open removes leftovers).
    pub(crate) fn discard(self) {
        let _ = std::fs::remove_file(&self.temp);
    }
}

/// A complete snapshot file, open for reading chunks.
#[derive(Debug)]
pub(crate) struct SnapshotFile {
    path: PathBuf,
    file: File,
    meta: Meta,
}

/// Why a file is not a version-2 snapshot file at all (it may be a
/// version-1 one), as against damaged.
pub(crate) enum OpenFailure {
    NotVersion2,
    Damaged(raft_core::Error),
}

impl SnapshotFile {
    /// Opens `path` and checks its footer: the trailer, the meta CRC, that
    /// it is the snapshot through `index` at `term`, and that the file is
    /// exactly as long as the footer says. The data blocks are checked as
    /// they are read.
    pub(crate) fn open(
        path: &Path,
        index: Index,
        term: Term,
    ) -> std::result::Result<Self, OpenFailure> {
        let damaged = |detail: String| OpenFailure::Damaged(storage("open", path, detail));
        let file = File::open(path).map_err(|error| {
            damaged(if error.kind() == std::io::ErrorKind::NotFound {
                "the snapshot file the log refers to is missing".to_owned()
            } else {
                error.to_string()
            })
        })?;
        let file_len = file
            .metadata()
            .map_err(|error| damaged(error.to_string()))?
            .len();
        let mut trailer = [0u8; TRAILER_LEN];
        let trailer_at = file_len.checked_sub(TRAILER_LEN as u64);
        let Some(trailer_at) = trailer_at else {
            return Err(OpenFailure::NotVersion2);
        };
        file.read_exact_at(&mut trailer, trailer_at)
            .map_err(|error| damaged(error.to_string()))?;
        let Some((meta_len, crc)) = parse_trailer(&trailer) else {
            return Err(OpenFailure::NotVersion2);
        };
        let meta_at = Some(meta_len)
            .filter(|&len| len <= META_LEN_MAX)
            .and_then(|len| trailer_at.checked_sub(u64::from(len)))
            .ok_or_else(|| damaged(format!("snapshot footer length {meta_len} is implausible")))?;
        let mut body = vec![0u8; meta_len as usize];
        file.read_exact_at(&mut body, meta_at)
            .map_err(|error| damaged(error.to_string()))?;
        if crc32c::crc32c(&body) != crc {
            return Err(damaged(format!(
                "snapshot footer checksum mismatch at byte offset {meta_at}"
            )));
        }
        let meta = Meta::decode(&body)
            .map_err(|reason| damaged(format!("{reason} at byte offset {meta_at}")))?;
        if (meta.index, meta.term) != (index, term) {
            return Err(damaged(format!(
                "snapshot file holds index {} term {}, the log expects index {index} term {term}",
                meta.index, meta.term
            )));
        }
        if data_region_len(meta.data_len, meta.block_bytes) != Some(meta_at) {
            return Err(damaged(format!(
                "snapshot file is {file_len} bytes, which does not fit {} data bytes",
                meta.data_len
            )));
        }
        Ok(Self {
            path: path.to_path_buf(),
            file,
            meta,
        })
    }

    pub(crate) fn index(&self) -> Index {
        self.meta.index
    }

    pub(crate) fn term(&self) -> Term {
        self.meta.term
    }

    pub(crate) fn data_len(&self) -> u64 {
        self.meta.data_len
    }

    pub(crate) fn membership(&self) -> &Membership {
        &self.meta.membership
    }

    /// Up to `len` data bytes from `offset` (fewer at the end, none past
    /// it), each block read checked against its CRC. An error names the
    /// file and the damaged block's byte offset.
    pub(crate) fn read_chunk(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        read_blocks(&self.file, &self.meta, &self.path, offset, len)
    }

    /// A reader of the data on its own handle of the file: it needs no
    /// borrow of the log, can move to another thread, and keeps reading
    /// this snapshot even after the log stores a newer one and removes
    /// this file (the open handle keeps the file's data).
    pub(crate) fn independent_reader(&self) -> Result<SnapshotFileReader> {
        let file = self
            .file
            .try_clone()
            .map_err(|error| storage("read snapshot", &self.path, error))?;
        Ok(SnapshotFileReader {
            path: self.path.clone(),
            file,
            meta: self.meta.clone(),
            offset: 0,
        })
    }
}

/// Up to `len` data bytes of the snapshot file `file` (described by
/// `meta`) from `offset`, each block read checked against its CRC.
fn read_blocks(file: &File, meta: &Meta, path: &Path, offset: u64, len: usize) -> Result<Vec<u8>> {
    let end = offset.saturating_add(len as u64).min(meta.data_len);
    let mut out = Vec::with_capacity(usize::try_from(end.saturating_sub(offset)).unwrap_or(0));
    let block_bytes = meta.block_bytes;
    let mut block = Vec::new();
    let mut at = offset;
    while at < end {
        let number = at / u64::from(block_bytes);
        let block_start = number * u64::from(block_bytes);
        // Both below `block_bytes`, a `u32`.
        let in_block = |position: u64| u32::try_from(position - block_start).unwrap_or(block_bytes);
        let block_len = in_block(meta.data_len.min(block_start + u64::from(block_bytes)));
        let stored_at = number * u64::from(block_bytes + CRC_LEN);
        block.resize(block_len as usize + CRC_LEN as usize, 0);
        file.read_exact_at(&mut block, stored_at)
            .map_err(|error| storage("read snapshot", path, error))?;
        let (data, crc) = block.split_at(block_len as usize);
        if crc32c::crc32c(data).to_le_bytes() != crc {
            return Err(storage(
                "read snapshot",
                path,
                format_args!("snapshot block checksum mismatch at byte offset {stored_at}"),
            ));
        }
        let (from, to) = (
            in_block(at),
            in_block(end.min(block_start + u64::from(block_len))),
        );
        out.extend_from_slice(&data[from as usize..to as usize]);
        at = block_start + u64::from(to);
    }
    Ok(out)
}

/// The stored snapshot's data as a `std::io::Read` of its own, from
/// [`WalLog::snapshot_file_reader`](crate::WalLog::snapshot_file_reader):
/// `Send` and `'static`, so an application can restore from it on another
/// thread while the node steps on. Every block is checked against its
/// CRC32C as it is read; damage is an `io::Error` naming the file and the
/// byte offset.
#[derive(Debug)]
pub struct SnapshotFileReader {
    path: PathBuf,
    file: File,
    meta: Meta,
    offset: u64,
}

impl SnapshotFileReader {
    /// The snapshot's index.
    pub fn index(&self) -> Index {
        self.meta.index
    }

    /// The snapshot's term.
    pub fn term(&self) -> Term {
        self.meta.term
    }

    /// The data's length in bytes.
    pub fn len(&self) -> u64 {
        self.meta.data_len
    }

    /// Whether the data is empty.
    pub fn is_empty(&self) -> bool {
        self.meta.data_len == 0
    }
}

impl std::io::Read for SnapshotFileReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let data = read_blocks(&self.file, &self.meta, &self.path, self.offset, buf.len())
            .map_err(std::io::Error::other)?;
        buf[..data.len()].copy_from_slice(&data);
        self.offset += data.len() as u64;
        Ok(data.len())
    }
}
