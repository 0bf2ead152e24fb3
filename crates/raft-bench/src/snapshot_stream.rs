//! A follower catching up a large snapshot streamed in chunks (issue 9):
//! the leader, holding the snapshot, in this process; a fresh follower in a
//! child process (`raft-bench snapshot-follower`), so each side's peak
//! memory is its own process's. Messages travel as raft-wire frames over
//! the child's stdin/stdout pipes.
//!
//! Both sides run on `MemoryLog`s, or both on `WalLog`s in temp dirs (the
//! leader's snapshot written to its log in 1 MiB pieces, never whole). The
//! follower restores from the log (`RaftConfig::with_restore_from_log`),
//! reading the installed snapshot through `RaftNode::snapshot_reader` in
//! 1 MiB reads, as an application rebuilding its state would.
//! Against, in the same run: a `memcpy` of the same bytes (in process),
//! the same bytes written through a pipe to a child that discards them
//! (`raft-bench pipe-sink`), the floor of any transfer over this path, and
//! written to a file and synced, the floor of storing them.
//!
//! Memory: each side reads its `VmHWM` (peak resident set) from
//! `/proc/self/status`; the leader resets it (`5` into
//! `/proc/self/clear_refs`) after building its log, so its figure covers
//! the stream only. The counting allocator gives each side's heap peak too.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use raft_core::log::SnapshotStage;
use raft_core::{
    Action, Event, HardState, Membership, MemoryLog, Message, RaftConfig, RaftLog, RaftNode,
    Snapshot,
};
use raft_log_wal::WalLog;

/// The largest frame either side accepts (a chunk and its header fit).
const MAX_FRAME: u32 = raft_wire::DEFAULT_MAX_FRAME_LEN;
/// The index the leader's snapshot covers.
const SNAPSHOT_INDEX: u64 = 10;

/// One catch-up, as the leader saw it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CatchUp {
    /// From the leader's election to the chunk reply saying "installed".
    pub(crate) elapsed: Duration,
    /// Chunks the leader sent.
    pub(crate) chunks: u64,
    /// The leader process's peak RSS during the stream, KiB.
    pub(crate) leader_hwm_kib: u64,
    /// The leader's heap peak during the stream above its level before.
    pub(crate) leader_heap_peak: usize,
    /// The leader's heap before the stream (its log, with the snapshot).
    pub(crate) leader_heap_before: usize,
    /// The follower process's peak RSS, KiB.
    pub(crate) follower_hwm_kib: u64,
    /// The follower's heap peak.
    pub(crate) follower_heap_peak: usize,
}

/// A `/proc/self/status` field in KiB (0 where there is none).
pub(crate) fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim_start_matches(':').split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// Resets this process's `VmHWM` to its current RSS (Linux; ignored
/// elsewhere, where the figure then covers the whole run).
fn reset_hwm() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Time to copy `bytes` bytes once, in process (both buffers touched
/// before, so page faults are not in it).
pub(crate) fn memcpy(bytes: usize) -> Duration {
    let source = vec![0x5a_u8; bytes];
    // Not `vec![0; ..]`: calloc maps zero pages lazily, the copy would fault.
    let mut target = vec![0xa5_u8; bytes];
    let started = Instant::now();
    target.copy_from_slice(&source);
    let elapsed = started.elapsed();
    std::hint::black_box(&target);
    elapsed
}

fn child(args: &[&str], stdin: Stdio) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Time to write `bytes` bytes in 1 MiB writes through a pipe to a child
/// that reads and discards them, until it has read them all.
pub(crate) fn pipe(bytes: usize) -> Duration {
    let buffer = vec![0x5a_u8; 1 << 20];
    let mut sink = child(&["pipe-sink"], Stdio::piped());
    let mut stdin = sink.stdin.take().unwrap();
    let started = Instant::now();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(buffer.len());
        stdin.write_all(&buffer[..n]).unwrap();
        left -= n;
    }
    drop(stdin);
    let mut report = String::new();
    sink.stdout
        .take()
        .unwrap()
        .read_to_string(&mut report)
        .unwrap();
    let elapsed = started.elapsed();
    sink.wait().unwrap();
    assert_eq!(report.trim(), bytes.to_string(), "the sink read it all");
    elapsed
}

/// `raft-bench pipe-sink`: reads stdin to its end, prints the byte count.
pub(crate) fn pipe_sink() {
    let mut buffer = vec![0_u8; 1 << 20];
    let (mut stdin, mut total) = (std::io::stdin().lock(), 0usize);
    loop {
        match stdin.read(&mut buffer).unwrap() {
            0 => break,
            n => total += n,
        }
    }
    println!("{total}");
}

fn write_message(writer: &mut impl Write, message: &Message, frame: &mut Vec<u8>) {
    frame.clear();
    raft_wire::encode_length_prefixed(message, frame, MAX_FRAME).unwrap();
    writer.write_all(frame).unwrap();
}

/// `raft-bench snapshot-follower [DIR]`: node 2 of {1, 2}, fresh, on a
/// `MemoryLog` (or a `WalLog` in `DIR`). Answers every frame on stdin with
/// the frames of what it sends, then an empty frame (the end of that
/// answer). At the end of stdin it writes the line
/// `installed BYTES hwm KIB heap BYTES` after its last answer.
pub(crate) fn follower(wal_dir: Option<&str>) {
    let config = RaftConfig::new(2, [1])
        .with_election_timeout(1_000_000, 1_000_000)
        .with_restore_from_log(true);
    match wal_dir {
        Some(dir) => serve(RaftNode::with_log(
            config,
            raft_log_wal::WalLog::open(dir).unwrap(),
        )),
        None => serve(RaftNode::new(config)),
    }
}

fn serve<L: RaftLog>(mut node: RaftNode<L>) {
    let mut input = BufReader::with_capacity(1 << 20, std::io::stdin().lock());
    let mut output = BufWriter::new(std::io::stdout().lock());
    let (mut buf, mut frame, mut out) = (Vec::new(), Vec::new(), Vec::new());
    let (mut restored, mut scratch) = (0u64, vec![0u8; 1 << 20]);
    crate::alloc_counter::reset_peak();
    while raft_wire::read_frame(&mut input, &mut buf, MAX_FRAME).unwrap() {
        let message = raft_wire::decode(&buf).unwrap();
        node.step_into(Event::Message(message), &mut out).unwrap();
        for action in out.drain(..) {
            match action {
                Action::Send { message, .. } => write_message(&mut output, &message, &mut frame),
                Action::RestoreSnapshotFromLog { .. } => {
                    restored = restore(&node, &mut scratch);
                }
                _ => {}
            }
        }
        output.write_all(&0u32.to_le_bytes()).unwrap();
        output.flush().unwrap();
    }
    let report = format!(
        "installed {restored} hwm {} heap {}\n",
        status_kib("VmHWM"),
        crate::alloc_counter::peak()
    );
    output.write_all(report.as_bytes()).unwrap();
    output.flush().unwrap();
}

/// What an application restoring its state does: reads the installed
/// snapshot from the log in `buffer`-sized reads. Returns the bytes read.
fn restore<L: RaftLog>(node: &RaftNode<L>, buffer: &mut [u8]) -> u64 {
    let mut reader = node.snapshot_reader();
    let mut total = 0u64;
    loop {
        match reader.read(buffer).unwrap() {
            0 => return total,
            n => total += n as u64,
        }
    }
}

/// Time to write `bytes` bytes to a new file under `dir` in 1 MiB writes
/// and `sync_data` it: the floor of storing the snapshot durably.
pub(crate) fn file_write_sync(dir: &Path, bytes: usize) -> Duration {
    let buffer = vec![0x5a_u8; 1 << 20];
    let path = dir.join("raw-snapshot");
    let started = Instant::now();
    let mut file = std::fs::File::create(&path).unwrap();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(buffer.len());
        file.write_all(&buffer[..n]).unwrap();
        left -= n;
    }
    file.sync_data().unwrap();
    let elapsed = started.elapsed();
    drop(file);
    std::fs::remove_file(path).unwrap();
    elapsed
}

fn leader_config(chunk_bytes: usize) -> RaftConfig {
    RaftConfig::new(1, [2])
        .with_election_timeout(10, 10)
        .with_heartbeat_interval(3)
        .with_snapshot_chunk_bytes(chunk_bytes)
}

const LEADER_STATE: HardState = HardState {
    term: 1,
    voted_for: Some(1),
};

/// Node 1 of {1, 2} on a `MemoryLog` holding a `bytes`-byte snapshot at
/// index 10 (term 1), nothing after it.
fn memory_leader(bytes: usize, chunk_bytes: usize) -> RaftNode {
    let mut log = MemoryLog::new();
    log.set_hard_state(LEADER_STATE).unwrap();
    let data = vec![0x5a_u8; bytes];
    log.apply_snapshot(&Snapshot::with_config(SNAPSHOT_INDEX, 1, vec![1, 2], data))
        .unwrap();
    RaftNode::with_log(leader_config(chunk_bytes), log)
}

/// The same on a `WalLog` in `dir`, its snapshot written in 1 MiB pieces.
fn wal_leader(dir: &Path, bytes: usize, chunk_bytes: usize) -> RaftNode<WalLog> {
    let mut log = WalLog::open(dir).unwrap();
    log.set_hard_state(LEADER_STATE).unwrap();
    log.sync().unwrap();
    let piece = vec![0x5a_u8; 1 << 20];
    let stage = SnapshotStage::FromApplication;
    log.stage_begin(stage).unwrap();
    let mut left = bytes;
    while left > 0 {
        let now = left.min(piece.len());
        log.stage_write(stage, &piece[..now]).unwrap();
        left -= now;
    }
    log.stage_install(stage, SNAPSHOT_INDEX, 1, &Membership::new([1, 2]))
        .unwrap();
    RaftNode::with_log(leader_config(chunk_bytes), log)
}

/// Reads the follower's answer to one frame: the messages up to the empty
/// frame.
fn read_answer(reader: &mut impl Read, buf: &mut Vec<u8>, into: &mut Vec<Message>) {
    loop {
        assert!(raft_wire::read_frame(&mut *reader, buf, MAX_FRAME).unwrap());
        if buf.is_empty() {
            return;
        }
        into.push(raft_wire::decode(buf).unwrap());
    }
}

/// Streams a `bytes`-byte snapshot in `chunk_bytes` chunks to a fresh
/// follower in a child process (both on `WalLog`s in a fresh temp dir with
/// `on_wal`, else both on `MemoryLog`s); times it from the leader's
/// election to the follower's "installed".
pub(crate) fn catch_up(bytes: usize, chunk_bytes: usize, on_wal: bool) -> CatchUp {
    let dir = tempfile::tempdir().unwrap();
    if on_wal {
        let leader = wal_leader(&dir.path().join("leader"), bytes, chunk_bytes);
        stream_to_follower(leader, bytes, Some(&dir.path().join("follower")))
    } else {
        stream_to_follower(memory_leader(bytes, chunk_bytes), bytes, None)
    }
}

/// The catch-up of `catch_up`, from `leader` to a follower on a `WalLog`
/// in `wal_dir` (or a `MemoryLog`).
fn stream_to_follower<L: RaftLog>(
    mut leader: RaftNode<L>,
    bytes: usize,
    wal_dir: Option<&Path>,
) -> CatchUp {
    let mut args = vec!["snapshot-follower"];
    if let Some(dir) = wal_dir {
        args.push(dir.to_str().unwrap());
    }
    let mut process = child(&args, Stdio::piped());
    let mut to_follower: BufWriter<ChildStdin> =
        BufWriter::with_capacity(1 << 20, process.stdin.take().unwrap());
    let mut from_follower: BufReader<ChildStdout> = BufReader::new(process.stdout.take().unwrap());
    let leader_heap_before = crate::alloc_counter::now().live;
    reset_hwm();
    crate::alloc_counter::reset_peak();
    let (mut outgoing, mut answers) = (Vec::new(), Vec::new());
    let (mut buf, mut frame, mut out) = (Vec::new(), Vec::new(), Vec::new());
    let (mut chunks, mut ticks, mut installed) = (0u64, 0u32, false);
    let mut started = Instant::now();
    let mut was_leader = false;
    while !installed {
        if outgoing.is_empty() {
            ticks += 1;
            assert!(ticks < 10_000, "the follower never caught up");
            leader.step_into(Event::Tick, &mut out).unwrap();
        }
        for message in answers.drain(..) {
            if let Message::SnapshotChunkReply(reply) = &message {
                installed |= reply.installed;
            }
            leader.step_into(Event::Message(message), &mut out).unwrap();
        }
        if leader.is_leader() && !was_leader {
            // The catch-up starts with the leader's first append.
            was_leader = true;
            started = Instant::now();
        }
        outgoing.extend(out.drain(..).filter_map(|action| match action {
            Action::Send { message, .. } => Some(message),
            _ => None,
        }));
        if installed {
            break;
        }
        let sent = outgoing.len();
        for message in outgoing.drain(..) {
            chunks += u64::from(matches!(message, Message::SnapshotChunk(_)));
            write_message(&mut to_follower, &message, &mut frame);
        }
        to_follower.flush().unwrap();
        for _ in 0..sent {
            read_answer(&mut from_follower, &mut buf, &mut answers);
        }
    }
    let elapsed = started.elapsed();
    let leader_hwm_kib = status_kib("VmHWM");
    let leader_heap_peak = crate::alloc_counter::peak().saturating_sub(leader_heap_before);
    drop(to_follower);
    let mut report = String::new();
    from_follower.read_to_string(&mut report).unwrap();
    process.wait().unwrap();
    let fields: Vec<u64> = report
        .split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect();
    assert_eq!(
        fields.first().copied(),
        Some(bytes as u64),
        "installed: {report}"
    );
    drop(leader);
    CatchUp {
        elapsed,
        chunks,
        leader_hwm_kib,
        leader_heap_peak,
        leader_heap_before,
        follower_hwm_kib: fields.get(1).copied().unwrap_or(0),
        follower_heap_peak: fields
            .get(2)
            .and_then(|&heap| usize::try_from(heap).ok())
            .unwrap_or(0),
    }
}
