//! `tandem backup` and `tandem restore` on the real binary: a backup taken
//! while clients edit restores everything acknowledged before it, at a state
//! the server really had; an idle store comes back byte for byte; and every
//! refusal leaves files as they were.

use crate::common;

use common::process::Process;
use common::{Client, api_text, doc_id, get, text_of_update};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Runs `tandem ARGS`; returns whether it succeeded and what it printed.
async fn tandem<S: AsRef<OsStr>>(args: &[S]) -> (bool, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run tandem");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// `tandem backup DEST --data-dir DATA_DIR`, with `--force` if `force`.
pub(crate) async fn backup(data_dir: &Path, dest: &Path, force: bool) -> (bool, String) {
    let mut args = vec![OsStr::new("backup"), dest.as_os_str(), OsStr::new("--data-dir"), data_dir.as_os_str()];
    if force {
        args.push(OsStr::new("--force"));
    }
    tandem(&args).await
}

/// `tandem restore FROM --data-dir DATA_DIR`.
pub(crate) async fn restore(from: &Path, data_dir: &Path) -> (bool, String) {
    tandem(&[OsStr::new("restore"), from.as_os_str(), OsStr::new("--data-dir"), data_dir.as_os_str()]).await
}

/// One client appending marker batches to one document until stopped.
struct Editor {
    doc: String,
    /// Markers in the order appended, each batch added once the server acknowledged it.
    acked: Arc<Mutex<Vec<String>>>,
    /// Batches acknowledged so far.
    batches: watch::Receiver<usize>,
    task: tokio::task::JoinHandle<()>,
}

impl Editor {
    fn start(server: &Process, tag: usize, stop: CancellationToken) -> Editor {
        let doc = doc_id(&format!("edit{tag}"));
        let acked = Arc::new(Mutex::new(Vec::new()));
        let (tx, batches) = watch::channel(0);
        let url = server.ws_url(&doc);
        let task = tokio::spawn(edit(url, tag, acked.clone(), tx, stop));
        Editor { doc, acked, batches, task }
    }

    fn acked(&self) -> Vec<String> {
        self.acked.lock().unwrap().clone()
    }

    /// Waits until the server has acknowledged `n` batches in all.
    async fn until_batches(&mut self, n: usize) {
        let waited = tokio::time::timeout(common::PATIENCE, self.batches.wait_for(|&b| b >= n)).await;
        waited.expect("editor stalled").expect("editor stopped");
    }
}

/// Appends batches of ten markers, waiting for each batch's acknowledgement.
async fn edit(url: String, tag: usize, acked: Arc<Mutex<Vec<String>>>, batches: watch::Sender<usize>, stop: CancellationToken) {
    let mut client = Client::connect(&url).await;
    for batch in 0.. {
        if stop.is_cancelled() {
            break;
        }
        let markers: Vec<String> = (0..10).map(|i| format!("<{tag}.{batch}.{i}>")).collect();
        for m in &markers {
            client.append(m).await;
        }
        let n = client.request_ack().await;
        client.pump_until(|c| c.acked(n)).await;
        acked.lock().unwrap().extend(markers);
        batches.send_replace(batch + 1);
    }
    client.close().await;
}

/// The backup summary's byte count and milliseconds.
fn size_and_time(summary: &str) -> (u64, u64) {
    let number_before = |word: &str| -> u64 {
        let end = summary.find(word).expect(word);
        summary[..end].split_whitespace().last().unwrap().trim_start_matches('(').parse().unwrap()
    };
    (number_before(" bytes)"), number_before(" ms"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_clients_edit_restores_everything_acknowledged_before_it() {
    let root = tempfile::tempdir().unwrap();
    let (live, restored, file) = (root.path().join("live"), root.path().join("restored"), root.path().join("b.db"));
    let server = Process::start(&live).await;
    let stop = CancellationToken::new();
    let mut editors: Vec<Editor> = (0..4).map(|tag| Editor::start(&server, tag, stop.clone())).collect();
    // Past a thousand updates a room compacts: the backup holds snapshots and logs.
    for e in &mut editors {
        e.until_batches(120).await;
    }

    let before: Vec<Vec<String>> = editors.iter().map(Editor::acked).collect();
    let at_start: Vec<usize> = editors.iter().map(|e| *e.batches.borrow()).collect();
    let (ok, summary) = backup(&live, &file, false).await;
    assert!(ok, "backup failed: {summary}");
    let during: usize = editors.iter().zip(&at_start).map(|(e, s)| *e.batches.borrow() - s).sum();
    let (bytes, ms) = size_and_time(&summary);
    println!("{}", summary.trim());
    println!("backup of {bytes} bytes took {ms} ms; {during} batches were acknowledged while it ran");

    // Editing goes on after the backup; the restore must not see any of it
    // beyond the single point in time the backup copied.
    for (e, s) in editors.iter_mut().zip(&at_start) {
        e.until_batches(s + 3).await;
    }
    stop.cancel();
    let mut finals = Vec::new();
    for e in editors.iter_mut() {
        (&mut e.task).await.unwrap();
        finals.push(api_text(&server.http(&format!("/api/docs/{}/text", e.doc))).await);
    }
    assert_eq!(server.signal("TERM").await, Some(0));

    let (ok, out) = restore(&file, &restored).await;
    assert!(ok, "restore failed: {out}");
    let server = Process::start(&restored).await;
    for ((e, acked_before), last) in editors.iter().zip(&before).zip(&finals) {
        let text = api_text(&server.http(&format!("/api/docs/{}/text", e.doc))).await;
        let lost: Vec<_> = acked_before.iter().filter(|m| !text.contains(m.as_str())).collect();
        assert!(lost.is_empty(), "{}: {} acknowledged markers lost: {lost:?}", e.doc, lost.len());
        // One appender per document: every state the server had is a prefix of its last one.
        assert!(last.starts_with(&text), "{}: the restored text is no state the server had", e.doc);
        let (status, state) = get(&server.http(&format!("/api/docs/{}/state", e.doc))).await;
        assert_eq!(status, 200);
        assert_eq!(text_of_update(&state), text, "{}: the stored state decodes to the served text", e.doc);
    }
    assert_eq!(server.signal("TERM").await, Some(0));
}

/// Writes `text` to a fresh document and waits for its acknowledgement.
async fn write_doc(server: &Process, name: &str, text: &str) -> String {
    let doc = doc_id(name);
    let mut client = Client::connect(&server.ws_url(&doc)).await;
    client.append(text).await;
    let n = client.request_ack().await;
    client.pump_until(|c| c.acked(n)).await;
    client.close().await;
    doc
}

async fn state_of(server: &Process, doc: &str) -> Vec<u8> {
    let (status, state) = get(&server.http(&format!("/api/docs/{doc}/state"))).await;
    assert_eq!(status, 200, "GET state of {doc}");
    state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_store_is_restored_byte_for_byte() {
    let root = tempfile::tempdir().unwrap();
    let (live, restored, file) = (root.path().join("live"), root.path().join("restored"), root.path().join("b.db"));
    let server = Process::start(&live).await;
    let texts = ["# Minutes\n\nAll agreed.", "ünïcødé ✍ 🚀", &"long line ".repeat(5000)];
    let mut docs = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        docs.push(write_doc(&server, &format!("idle{i}"), text).await);
    }
    let mut states = Vec::new();
    for doc in &docs {
        states.push(state_of(&server, doc).await);
    }

    let (ok, summary) = backup(&live, &file, false).await;
    assert!(ok, "backup failed: {summary}");
    assert!(summary.contains("backed up 3 documents"), "{summary}");
    assert!(!PathBuf::from(format!("{}-wal", file.display())).exists(), "the backup needs no -wal");
    assert_eq!(server.signal("TERM").await, Some(0));

    let (ok, out) = restore(&file, &restored).await;
    assert!(ok, "restore failed: {out}");
    assert!(out.contains("restored 3 documents"), "{out}");
    let server = Process::start(&restored).await;
    for ((doc, state), text) in docs.iter().zip(&states).zip(texts) {
        assert_eq!(&state_of(&server, doc).await, state, "{doc} differs");
        assert_eq!(api_text(&server.http(&format!("/api/docs/{doc}/text"))).await, text);
    }
    assert_eq!(server.signal("TERM").await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_keeps_the_previous_database_aside() {
    let root = tempfile::tempdir().unwrap();
    let (source, target, file) = (root.path().join("source"), root.path().join("target"), root.path().join("b.db"));
    let server = Process::start(&source).await;
    let from_backup = write_doc(&server, "kept", "from the backup").await;
    assert!(backup(&source, &file, false).await.0);
    assert_eq!(server.signal("TERM").await, Some(0));
    let server = Process::start(&target).await;
    let replaced = write_doc(&server, "old", "replaced by the restore").await;
    assert_eq!(server.signal("TERM").await, Some(0));

    let (ok, out) = restore(&file, &target).await;
    assert!(ok, "restore failed: {out}");
    let aside = out.trim().rsplit("kept as ").next().map(PathBuf::from).expect("aside path");
    assert!(aside.is_file(), "{out}");

    let server = Process::start(&target).await;
    assert_eq!(api_text(&server.http(&format!("/api/docs/{from_backup}/text"))).await, "from the backup");
    assert_eq!(get(&server.http(&format!("/api/docs/{replaced}/text"))).await.0, 404);
    assert_eq!(server.signal("TERM").await, Some(0));
    // The previous database, with the WAL its server left, still opens with its document.
    let old = root.path().join("old");
    std::fs::create_dir(&old).unwrap();
    for companion in ["", "-wal"] {
        let kept = PathBuf::from(format!("{}{companion}", aside.display()));
        if kept.exists() {
            std::fs::copy(&kept, old.join(format!("tandem.db{companion}"))).unwrap();
        }
    }
    let server = Process::start(&old).await;
    assert_eq!(api_text(&server.http(&format!("/api/docs/{replaced}/text"))).await, "replaced by the restore");
    assert_eq!(server.signal("TERM").await, Some(0));
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_over_a_serving_data_dir_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let (live, file) = (root.path().join("live"), root.path().join("b.db"));
    let server = Process::start(&live).await;
    let doc = write_doc(&server, "busy", "still served").await;
    assert!(backup(&live, &file, false).await.0);
    let files = names(&live);

    let (ok, out) = restore(&file, &live).await;
    assert!(!ok);
    assert!(out.contains("in use by another Tandem server"), "{out}");
    assert_eq!(names(&live), files, "the refused restore changed the data directory");
    assert_eq!(api_text(&server.http(&format!("/api/docs/{doc}/text"))).await, "still served");
    assert_eq!(server.signal("TERM").await, Some(0));
}

/// A copy of `file` with its second page overwritten.
fn damaged(file: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(file).unwrap();
    assert!(bytes.len() >= 3 * 4096, "the backup is too small to damage one page");
    bytes[4096..8192].fill(0xA5);
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_or_foreign_backup_is_refused_and_the_data_dir_left_alone() {
    let root = tempfile::tempdir().unwrap();
    let (live, target, file) = (root.path().join("live"), root.path().join("target"), root.path().join("b.db"));
    let server = Process::start(&live).await;
    for i in 0..3 {
        write_doc(&server, &format!("page{i}"), &"text ".repeat(2000)).await;
    }
    assert!(backup(&live, &file, false).await.0);
    assert_eq!(server.signal("TERM").await, Some(0));
    let server = Process::start(&target).await;
    write_doc(&server, "own", "the target's own").await;
    assert_eq!(server.signal("TERM").await, Some(0));
    let (files, db) = (names(&target), std::fs::read(target.join("tandem.db")).unwrap());

    let bad = root.path().join("bad.db");
    let foreign = {
        let other = rusqlite::Connection::open(root.path().join("other.db")).unwrap();
        other.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');").unwrap();
        drop(other);
        std::fs::read(root.path().join("other.db")).unwrap()
    };
    let cases = [("junk", b"not a database at all".repeat(500)), ("damaged", damaged(&file)), ("foreign", foreign)];
    for (what, bytes) in cases {
        std::fs::write(&bad, &bytes).unwrap();
        let (ok, out) = restore(&bad, &target).await;
        assert!(!ok, "a {what} backup was restored");
        assert!(out.contains("refusing to use it"), "{what}: {out}");
        assert_eq!(names(&target), files, "{what}: the data directory changed");
        assert_eq!(std::fs::read(target.join("tandem.db")).unwrap(), db, "{what}: the database changed");
    }
    let (ok, out) = restore(&root.path().join("missing.db"), &target).await;
    assert!(!ok && out.contains("no Tandem store"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_does_not_overwrite_a_file_without_force() {
    let root = tempfile::tempdir().unwrap();
    let (live, file) = (root.path().join("live"), root.path().join("b.db"));
    let server = Process::start(&live).await;
    let doc = write_doc(&server, "force", "worth keeping").await;
    std::fs::write(&file, "someone's file").unwrap();

    let (ok, out) = backup(&live, &file, false).await;
    assert!(!ok);
    assert!(out.contains("pass --force"), "{out}");
    assert_eq!(std::fs::read(&file).unwrap(), b"someone's file");
    assert_eq!(names(root.path()), ["b.db", "live"], "a refused backup left a file behind");

    let (ok, out) = backup(&live, &file, true).await;
    assert!(ok, "{out}");
    assert_eq!(server.signal("TERM").await, Some(0));
    let restored = root.path().join("restored");
    assert!(restore(&file, &restored).await.0);
    let server = Process::start(&restored).await;
    assert_eq!(api_text(&server.http(&format!("/api/docs/{doc}/text"))).await, "worth keeping");
    assert_eq!(server.signal("TERM").await, Some(0));

    let (ok, out) = backup(&root.path().join("nothing"), &root.path().join("c.db"), false).await;
    assert!(!ok && out.contains("no Tandem store"), "{out}");
}
