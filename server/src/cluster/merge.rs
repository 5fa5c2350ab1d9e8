//! Under load a node publishes many committed updates of one document at
//! once (a commit group). Published one by one, every other node would
//! apply each and send each to every one of its clients; merged into one
//! update, they are applied and sent once — what a client would get on
//! reconnecting anyway. Pure: no I/O.

use super::wire::Kind;
use bytes::Bytes;
use tandem_sync::DocId;
use tandem_sync::protocol::{self, Inbound};

/// A message for the other nodes, ready to be numbered and published.
pub(super) type Ready = (Kind, Option<DocId>, Bytes);

/// Largest merged update's frame: past it a run goes on in another message,
/// so one message never holds a document's worth of edits.
pub const MAX_MERGED_BYTES: usize = 1 << 20;

/// `batch` with every run of consecutive updates of one document (up to
/// [`MAX_MERGED_BYTES`] together) merged into one update frame; everything
/// else, and the order, as it was. A run that cannot be merged (a frame
/// that is not an update, an update yrs cannot decode) stays as it was.
pub(super) fn merge_runs(batch: Vec<Ready>) -> Vec<Ready> {
    let mut out: Vec<Ready> = Vec::with_capacity(batch.len());
    let mut run: Vec<Ready> = Vec::new();
    for ready in batch {
        if !continues(&run, &ready) {
            flush(&mut run, &mut out);
        }
        if ready.0 == Kind::Update {
            run.push(ready);
        } else {
            out.push(ready);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Whether `next` may join `run`: an update of the same document that keeps
/// the run within [`MAX_MERGED_BYTES`].
fn continues(run: &[Ready], next: &Ready) -> bool {
    let Some(first) = run.first() else { return true };
    let bytes: usize = run.iter().map(|(_, _, frame)| frame.len()).sum();
    next.0 == Kind::Update && next.1 == first.1 && bytes + next.2.len() <= MAX_MERGED_BYTES
}

/// Moves `run` to `out`: as one merged update if it has several that merge.
fn flush(run: &mut Vec<Ready>, out: &mut Vec<Ready>) {
    if run.len() > 1
        && let Some(frame) = merged(run)
    {
        let doc = run[0].1.clone();
        run.clear();
        out.push((Kind::Update, doc, frame));
        return;
    }
    out.append(run);
}

/// The frame of one update holding every update of `run`; `None` if one of
/// them is not an update frame or does not decode.
fn merged(run: &[Ready]) -> Option<Bytes> {
    let updates: Option<Vec<&[u8]>> = run
        .iter()
        .map(|(_, _, frame)| match Inbound::decode(frame) {
            Ok(Inbound::Update(update) | Inbound::SyncStep2(update)) => Some(update),
            _ => None,
        })
        .collect();
    let updates = updates?;
    // The updates were applied by this node's room already, so they decode;
    // a panic in yrs still only costs the merge, not the relay.
    let merged = std::panic::catch_unwind(|| merge_in_groups(&updates)).ok()?.ok()?;
    Some(Bytes::from(protocol::encode_update(&merged)))
}

/// Updates merged at once by yrs: its merge sorts every input at every
/// block it writes, so `n` inputs cost about n² log n; merged a group at a
/// time, level by level, they cost about n log n.
const GROUP: usize = 8;

/// Merges `updates` [`GROUP`] at a time, then the results, until one is left.
fn merge_in_groups(updates: &[&[u8]]) -> Result<Vec<u8>, yrs::encoding::read::Error> {
    let mut level: Vec<Vec<u8>> = updates.chunks(GROUP).map(yrs::merge_updates_v1).collect::<Result<_, _>>()?;
    while level.len() > 1 {
        level = level.chunks(GROUP).map(yrs::merge_updates_v1).collect::<Result<_, _>>()?;
    }
    Ok(level.pop().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_sync::document;
    use yrs::{GetString, Transact};

    fn doc(name: &str) -> Option<DocId> {
        Some(DocId::parse(name).unwrap())
    }

    /// Update frames of `n` appends to one document by one client, and the text.
    fn appends(n: usize) -> (Vec<Bytes>, String) {
        let source = document::new_doc();
        let mut text = String::new();
        let frames = (0..n)
            .map(|i| {
                let piece = format!("<{i}>");
                let update = document::insert(&source, "body", text.encode_utf16().count() as u32, &piece);
                text.push_str(&piece);
                Bytes::from(protocol::encode_update(&update))
            })
            .collect();
        (frames, text)
    }

    /// The body text a fresh document has after applying `frames`.
    fn text_after(frames: &[Bytes]) -> String {
        let target = document::new_doc();
        for frame in frames {
            let Ok(Inbound::Update(update)) = Inbound::decode(frame) else { panic!("not an update frame") };
            document::apply_v1(&target, update).unwrap();
        }
        let body = target.get_or_insert_text("body");
        body.get_string(&target.transact())
    }

    #[test]
    fn a_run_of_one_documents_updates_becomes_one_update_holding_them_all() {
        let (frames, text) = appends(50);
        let batch: Vec<Ready> = frames.iter().map(|f| (Kind::Update, doc("a"), f.clone())).collect();
        let out = merge_runs(batch);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].1, doc("a"));
        assert_eq!(text_after(&[out[0].2.clone()]), text);
        let sent: usize = frames.iter().map(Bytes::len).sum();
        assert!(out[0].2.len() < sent, "the merged update is smaller than its parts");
    }

    #[test]
    fn other_documents_and_other_kinds_break_runs_and_keep_their_places() {
        let (a, a_text) = appends(4);
        let (b, _) = appends(1);
        let awareness = Bytes::from_static(b"caret");
        let batch = vec![
            (Kind::Update, doc("a"), a[0].clone()),
            (Kind::Update, doc("a"), a[1].clone()),
            (Kind::Awareness, doc("a"), awareness.clone()),
            (Kind::Update, doc("a"), a[2].clone()),
            (Kind::Update, doc("b"), b[0].clone()),
            (Kind::Update, doc("a"), a[3].clone()),
            (Kind::Heartbeat, None, Bytes::new()),
        ];
        let out = merge_runs(batch);
        let shape: Vec<(Kind, Option<DocId>)> = out.iter().map(|(k, d, _)| (*k, d.clone())).collect();
        assert_eq!(
            shape,
            vec![
                (Kind::Update, doc("a")),
                (Kind::Awareness, doc("a")),
                (Kind::Update, doc("a")),
                (Kind::Update, doc("b")),
                (Kind::Update, doc("a")),
                (Kind::Heartbeat, None),
            ]
        );
        assert_eq!(out[1].2, awareness);
        assert_eq!((&out[2].2, &out[4].2), (&a[2], &a[3]), "a run of one is sent as it was");
        let a_frames: Vec<Bytes> = [0, 2, 4].iter().map(|&i| out[i].2.clone()).collect();
        assert_eq!(text_after(&a_frames), a_text);
    }

    #[test]
    fn a_run_stops_at_the_size_bound_and_what_does_not_decode_is_left_alone() {
        let big = |fill: u8| {
            let source = document::new_doc();
            let text = String::from_utf8(vec![fill; MAX_MERGED_BYTES / 2]).unwrap();
            Bytes::from(protocol::encode_update(&document::insert(&source, "body", 0, &text)))
        };
        let batch: Vec<Ready> = [big(b'x'), big(b'y'), big(b'z')].into_iter().map(|f| (Kind::Update, doc("a"), f)).collect();
        assert_eq!(merge_runs(batch).len(), 3, "no two of them fit in one message");

        let (frames, _) = appends(1);
        let broken = Bytes::from(protocol::encode_update(&[1, 2, 3]));
        let batch = vec![(Kind::Update, doc("a"), frames[0].clone()), (Kind::Update, doc("a"), broken.clone())];
        let out = merge_runs(batch);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].2, broken);
    }
}
