//! Snapshot files: one per snapshot, named by (index, term), so writing a
//! new one never touches the file the log still refers to; the old one is
//! removed only once the log durably refers to the new one. Version 2
//! (`stream.rs`, `footer.rs`) is written and read in pieces; a version-1
//! file (`legacy.rs`, one wal-db record) is rewritten as version 2 when
//! found.

mod footer;
mod legacy;
mod stream;

use std::path::{Path, PathBuf};

use raft_core::{Index, Result, Term};

pub use stream::SnapshotFileReader;
pub(crate) use stream::{SnapshotFile, SnapshotWriter};

use crate::fsutil::{TEMP_SUFFIX, storage};
use stream::OpenFailure;

const PREFIX: &str = "snapshot-";
const SUFFIX: &str = ".snap";

/// The file name of the snapshot through `index` at `term`.
pub(crate) fn file_name(index: Index, term: Term) -> String {
    format!("{PREFIX}{index:020}-{term:020}{SUFFIX}")
}

/// The (index, term) a snapshot file name encodes, if it is one.
fn parse_name(name: &str) -> Option<(Index, Term)> {
    let middle = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let (index, term) = middle.split_once('-')?;
    Some((index.parse().ok()?, term.parse().ok()?))
}

/// The temporary name a snapshot is written under before it is complete:
/// one per writer, so a snapshot streamed from a leader and one the
/// application writes never share a file. `.tmp`, so open removes it.
pub(crate) fn staging_name(purpose: &str) -> String {
    format!("{PREFIX}{purpose}{SUFFIX}{TEMP_SUFFIX}")
}

/// Opens the snapshot the log refers to. A version-1 file is read whole
/// once, rewritten as version 2 under the same name, and opened.
pub(crate) fn open(dir: &Path, index: Index, term: Term) -> Result<SnapshotFile> {
    let path = dir.join(file_name(index, term));
    match SnapshotFile::open(&path, index, term) {
        Ok(file) => Ok(file),
        Err(OpenFailure::Damaged(error)) => Err(error),
        Err(OpenFailure::NotVersion2) => {
            let (snapshot, membership) = legacy::read(dir, index, term)?;
            let mut writer = SnapshotWriter::create(dir, &staging_name("upgrade"))?;
            writer.write(&snapshot.data)?;
            drop(snapshot);
            writer.finish(index, term, &membership)
        }
    }
}

/// Whether `dir` holds any snapshot file.
pub(crate) fn any_exist(dir: &Path) -> Result<bool> {
    Ok(!list(dir)?.is_empty())
}

/// Removes every snapshot file but `keep` (the one the log refers to).
pub(crate) fn remove_others(dir: &Path, keep: Option<(Index, Term)>) -> Result<()> {
    for (path, id) in list(dir)? {
        if Some(id) != keep {
            std::fs::remove_file(&path)
                .map_err(|error| storage("remove snapshot", &path, error))?;
        }
    }
    Ok(())
}

fn list(dir: &Path) -> Result<Vec<(PathBuf, (Index, Term))>> {
    let entries = std::fs::read_dir(dir).map_err(|error| storage("open", dir, error))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| storage("open", dir, error))?;
        if let Some(id) = entry.file_name().to_str().and_then(parse_name) {
            found.push((entry.path(), id));
        }
    }
    Ok(found)
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)]
mod tests {
    use super::*;
    use raft_core::{Membership, Snapshot};

    #[test]
    fn names_round_trip_and_staging_names_are_not_snapshots() {
        assert_eq!(parse_name(&file_name(12, 3)), Some((12, 3)));
        assert_eq!(parse_name("snapshot-1-2.snap.tmp"), None);
        assert_eq!(parse_name(&staging_name("leader")), None);
        assert!(staging_name("leader").ends_with(TEMP_SUFFIX));
        assert_eq!(parse_name("log.wal"), None);
    }

    #[test]
    fn a_streamed_file_reads_back_in_any_chunks_across_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..(2 * stream::BLOCK_BYTES as usize + 100))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut writer = SnapshotWriter::create(dir.path(), &staging_name("t")).unwrap();
        for piece in data.chunks(7_000) {
            writer.write(piece).unwrap();
        }
        let joint = Membership::from_parts(vec![1, 2, 3], vec![1, 4], vec![5]);
        let file = writer.finish(9, 2, &joint).unwrap();
        assert_eq!(
            (file.index(), file.term(), file.data_len()),
            (9, 2, data.len() as u64)
        );
        let reopened = open(dir.path(), 9, 2).unwrap();
        assert_eq!(reopened.membership(), &joint);
        for (offset, len) in [
            (0, 10),
            (65_530, 20),
            (0, data.len()),
            (131_000, 5_000),
            (data.len() as u64 - 1, 9),
        ] {
            let start = offset as usize;
            let end = (start + len).min(data.len());
            assert_eq!(
                reopened.read_chunk(offset, len).unwrap(),
                &data[start..end],
                "{offset} {len}"
            );
        }
        assert!(
            reopened
                .read_chunk(data.len() as u64, 10)
                .unwrap()
                .is_empty()
        );
        assert!(!dir.path().join(staging_name("t")).exists());
    }

    #[test]
    fn a_version_1_file_is_upgraded_in_place_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let snapshot = Snapshot::with_config(7, 2, vec![1, 2, 3], b"old state".to_vec());
        let config = Membership::with_learners([1, 2, 3], [4]);
        legacy::write(dir.path(), &snapshot, &config).unwrap();
        let file = open(dir.path(), 7, 2).unwrap();
        assert_eq!(file.read_chunk(0, 100).unwrap(), b"old state");
        assert_eq!(file.membership(), &config);
        // Now version 2 on disk: it opens without the legacy reader.
        let path = dir.path().join(file_name(7, 2));
        assert!(SnapshotFile::open(&path, 7, 2).is_ok());
    }

    #[test]
    fn damage_to_a_block_or_the_footer_is_reported_with_its_offset() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = SnapshotWriter::create(dir.path(), &staging_name("t")).unwrap();
        writer.write(&[7u8; 100_000]).unwrap();
        writer.finish(3, 1, &Membership::new([1])).unwrap();
        let path = dir.path().join(file_name(3, 1));
        let pristine = std::fs::read(&path).unwrap();

        let mut bytes = pristine.clone();
        bytes[70_000] ^= 1; // inside the second block
        std::fs::write(&path, &bytes).unwrap();
        let file = open(dir.path(), 3, 1).unwrap();
        assert!(file.read_chunk(0, 10).is_ok(), "the first block is intact");
        let error = file.read_chunk(65_536, 10).unwrap_err().to_string();
        assert!(
            error.contains("checksum mismatch at byte offset 65540"),
            "{error}"
        );

        let mut bytes = pristine.clone();
        let footer_byte = bytes.len() - 20;
        bytes[footer_byte] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let error = open(dir.path(), 3, 1).unwrap_err().to_string();
        assert!(error.contains("footer checksum mismatch"), "{error}");

        let mut cut = pristine.clone();
        cut.drain(1000..2000);
        std::fs::write(&path, &cut).unwrap();
        let error = open(dir.path(), 3, 1).unwrap_err().to_string();
        assert!(error.contains("does not fit"), "{error}");

        std::fs::write(&path, &pristine).unwrap();
        let error = open(dir.path(), 3, 2).unwrap_err().to_string();
        assert!(error.contains("missing"), "{error}");
    }
}
