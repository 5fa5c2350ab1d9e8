//! Properties of the sync core: whatever frames a document receives (garbage,
//! garbage behind valid tags, corrupted or cut updates, valid updates out of
//! order or twice, state vectors, sync-status requests), it never panics, a
//! rejected frame changes nothing (or, if yrs applied part of it, asks for a
//! reload from storage), it equals a replica of what it accepted, its
//! stored updates rebuild it, and a synced client can still edit it.
//! The `core` fuzz target in `fuzz/` checks the same invariants with libFuzzer.

mod corpus;

use tandem_sync::protocol;
use tandem_sync::testing::invariants::{self, Writers};
use proptest::prelude::*;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, OffsetKind, Options, ReadTxn, Text, Transact};

/// Writers whose updates the frames carry.
const REPLICAS: usize = 3;
/// Valid message tags put before garbage, so that it reaches the deeper decoders.
const TAGS: &[&[u8]] = &[&[0, 0], &[0, 1], &[0, 2], &[1], &[2], &[3], &[102]];

/// One step of a generated conversation with the core.
#[derive(Debug, Clone)]
enum Op {
    /// A replica edits its copy; the update is kept for later sends.
    Edit { replica: usize, at: u16, delete: bool, text: String },
    /// One of a replica's updates is sent (any order, possibly again) as an `Update` or a `SyncStep2`.
    Send { replica: usize, pick: usize, step2: bool },
    /// One of a replica's updates is sent with one byte replaced.
    Corrupt { replica: usize, pick: usize, at: usize, byte: u8 },
    /// One of a replica's update frames is cut short.
    Cut { replica: usize, pick: usize, keep: usize },
    /// A replica's state vector.
    Step1 { replica: usize },
    /// Random bytes after a valid tag.
    Tagged { tag: usize, bytes: Vec<u8> },
    /// A sync-status request.
    Status(u64),
}

/// Steps of honest writers: edits, their updates in any order and repeated, cut frames, state vectors.
fn honest_op() -> impl Strategy<Value = Op> {
    let replica = 0..REPLICAS;
    prop_oneof![
        4 => edit_op(),
        4 => (replica.clone(), any::<usize>(), any::<bool>()).prop_map(|(replica, pick, step2)| Op::Send { replica, pick, step2 }),
        1 => (replica.clone(), any::<usize>(), any::<usize>()).prop_map(|(replica, pick, keep)| Op::Cut { replica, pick, keep }),
        1 => replica.prop_map(|replica| Op::Step1 { replica }),
        1 => any::<u64>().prop_map(Op::Status),
    ]
}

fn edit_op() -> impl Strategy<Value = Op> {
    (0..REPLICAS, any::<u16>(), any::<bool>(), "[ab\n#é漢😀🎉]{1,4}")
        .prop_map(|(replica, at, delete, text)| Op::Edit { replica, at, delete, text })
}

/// Any step, forged updates and garbage included.
fn op() -> impl Strategy<Value = Op> {
    let replica = 0..REPLICAS;
    prop_oneof![
        4 => honest_op(),
        1 => (replica.clone(), any::<usize>(), any::<usize>(), any::<u8>())
            .prop_map(|(replica, pick, at, byte)| Op::Corrupt { replica, pick, at, byte }),
        1 => (0..TAGS.len(), prop::collection::vec(any::<u8>(), 0..24)).prop_map(|(tag, bytes)| Op::Tagged { tag, bytes }),
    ]
}

/// The replicas and every update each has made.
struct Replicas {
    docs: Vec<Doc>,
    updates: Vec<Vec<Vec<u8>>>,
}

impl Replicas {
    fn new() -> Self {
        let doc = |i: u64| Doc::with_options(Options { client_id: ClientID::new(i + 1), offset_kind: OffsetKind::Utf16, ..Options::default() });
        Replicas { docs: (0..REPLICAS as u64).map(doc).collect(), updates: vec![Vec::new(); REPLICAS] }
    }

    /// The frame `op` sends, if any.
    fn frame(&mut self, op: Op) -> Option<Vec<u8>> {
        match op {
            Op::Edit { replica, at, delete, text } => {
                self.edit(replica, at, delete, &text);
                None
            }
            Op::Send { replica, pick, step2 } => {
                let update = self.pick(replica, pick)?;
                Some(if step2 { protocol::encode_sync_step2(update) } else { protocol::encode_update(update) })
            }
            Op::Corrupt { replica, pick, at, byte } => {
                let mut update = self.pick(replica, pick)?.clone();
                let at = at % update.len();
                update[at] = byte;
                Some(protocol::encode_update(&update))
            }
            Op::Cut { replica, pick, keep } => {
                let frame = protocol::encode_update(self.pick(replica, pick)?);
                Some(frame[..keep % frame.len()].to_vec())
            }
            Op::Step1 { replica } => Some(protocol::encode_sync_step1(&self.docs[replica].transact().state_vector().encode_v1())),
            Op::Tagged { tag, bytes } => Some([TAGS[tag], &bytes].concat()),
            Op::Status(n) => Some(protocol::encode_sync_status(&protocol::sync_status_payload(n))),
        }
    }

    fn pick(&self, replica: usize, pick: usize) -> Option<&Vec<u8>> {
        let updates = &self.updates[replica];
        (!updates.is_empty()).then(|| &updates[pick % updates.len()])
    }

    /// Inserts `text`, or deletes one character, at a character boundary near `at`.
    fn edit(&mut self, replica: usize, at: u16, delete: bool, text: &str) {
        let doc = &self.docs[replica];
        let body = tandem_sync::document::content(doc);
        let bounds: Vec<u32> = std::iter::once(0)
            .chain(body.chars().scan(0, |pos, c| {
                *pos += c.len_utf16() as u32;
                Some(*pos)
            }))
            .collect();
        let i = usize::from(at) % bounds.len();
        let content = doc.get_or_insert_text(tandem_sync::document::CONTENT);
        let mut txn = doc.transact_mut();
        match bounds.get(i + 1) {
            Some(&next) if delete => content.remove_range(&mut txn, bounds[i], next - bounds[i]),
            _ => content.insert(&mut txn, bounds[i], text),
        }
        self.updates[replica].push(txn.encode_update_v1());
    }
}

/// The frames a generated conversation sends.
fn frames(ops: Vec<Op>) -> Vec<Vec<u8>> {
    let mut writers = Replicas::new();
    ops.into_iter().filter_map(|op| writers.frame(op)).collect()
}

/// The frames of an honest conversation, then every update once more in order:
/// delivery is eventual, so whatever the core held back as pending can integrate.
fn delivered(ops: Vec<Op>) -> Vec<Vec<u8>> {
    let mut writers = Replicas::new();
    let mut frames: Vec<Vec<u8>> = ops.into_iter().filter_map(|op| writers.frame(op)).collect();
    frames.extend(writers.updates.iter().flatten().map(|u| protocol::encode_update(u)));
    frames
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn honest_updates_in_any_order_converge_once_delivered(ops in prop::collection::vec(honest_op(), 0..48)) {
        let frames = delivered(ops);
        invariants::check_frames(frames.iter().map(Vec::as_slice), Writers::Honest);
    }

    #[test]
    fn forged_updates_and_garbage_never_corrupt_the_core(ops in prop::collection::vec(op(), 0..48)) {
        let frames = frames(ops);
        invariants::check_frames(frames.iter().map(Vec::as_slice), Writers::Hostile);
    }

    #[test]
    fn arbitrary_frames_never_corrupt_the_core(data in prop::collection::vec(any::<u8>(), 0..512)) {
        invariants::check_frames(invariants::split_frames(&data), Writers::Hostile);
    }
}

#[test]
fn frames_survive_the_fuzzers_input_format() {
    let frames: Vec<&[u8]> = vec![&[0, 0, 1, 0], &[], &[102, 1, 7]];
    assert_eq!(invariants::split_frames(&invariants::join_frames(frames.iter().copied())), frames);
}

/// The checked-in fuzz corpus is what [`corpus::files`] builds, and every seed
/// is valid: each `decode` seed decodes, each `core` seed passes the invariants.
/// `TANDEM_WRITE_CORPUS=1` rewrites the files instead.
#[test]
fn the_fuzz_seed_corpus_is_current_and_valid() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for (target, name, bytes) in corpus::files() {
        let path = root.join(target).join(name);
        if std::env::var_os("TANDEM_WRITE_CORPUS").is_some() {
            std::fs::create_dir_all(path.parent().expect("dir")).expect("create the corpus dir");
            std::fs::write(&path, &bytes).expect("write a corpus file");
        }
        assert_eq!(std::fs::read(&path).ok(), Some(bytes.clone()), "{} is stale: run with TANDEM_WRITE_CORPUS=1", path.display());
        match target {
            "decode" => assert!(protocol::Inbound::decode(&bytes).is_ok(), "{name} does not decode"),
            _ => invariants::check_frames(invariants::split_frames(&bytes), Writers::Honest),
        }
    }
}
