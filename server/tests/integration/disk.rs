//! A failing disk costs memory nothing and loses nothing: a real tmpfs data
//! directory fills up under a writer; acknowledgements stop, the writer is
//! paused, the store's queue stays bounded, readers and new clients still
//! load and read, `/readyz` says why, HTTP updates and attachments get 507; once space is
//! freed everything resumes by itself and every acknowledged update is
//! stored. SIGTERM during the failure ends the process in time, and a panic
//! of the store's writer closes the waiting connections with 1011.
//!
//! The tmpfs tests need root (to mount); without it they say so and pass.

use crate::common;

use common::process::Process;
use common::scrape::{sample, scrape};
use common::writer::{UPDATE_BYTES, Writer, marker, until_status};
use common::{Client, Ended, TestServer, doc_id, request};
use server::config::Settings;
use server::store::{SqliteStore, Store};
use std::path::PathBuf;
use std::sync::Arc;
use tandem_client::{Connection, Replica};
use tandem_sync::close;

/// Size of the tmpfs the data directory lives in.
const TMPFS_SIZE: &str = "32m";
/// Bytes of the file written beside the data directory at the start and
/// deleted to free space; the store gets the rest of the tmpfs.
const FILLER_BYTES: usize = 24 << 20;
/// The store's queue bound (8 MiB) plus one paused message per connection:
/// what the queue may hold at most while the disk fails, besides one snapshot.
const MAX_QUEUE_BYTES: f64 = (8 << 20) as f64 + 4.0 * UPDATE_BYTES as f64;

/// A tmpfs mounted on a fresh directory, unmounted when dropped (even when
/// the test fails).
struct Tmpfs {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts one, or `None` (with a message) when not root.
    fn mount() -> Option<Tmpfs> {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        if !status.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")) {
            println!("SKIPPED: mounting a tmpfs needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        let size = format!("size={TMPFS_SIZE}");
        let mounted = std::process::Command::new("mount").args(["-t", "tmpfs", "-o", &size, "tmpfs"]).arg(&path).status();
        assert!(mounted.is_ok_and(|s| s.success()), "mount -t tmpfs failed");
        Some(Tmpfs { _dir: dir, path })
    }

    /// The data directory inside it.
    fn data(&self) -> PathBuf {
        self.path.join("data")
    }

    /// The filler file beside the data directory.
    fn filler(&self) -> PathBuf {
        self.path.join("filler")
    }

    /// Takes `FILLER_BYTES` of the tmpfs.
    fn fill(&self) {
        std::fs::write(self.filler(), vec![0x5a; FILLER_BYTES]).unwrap();
    }

    /// Frees the filler's space.
    fn free(&self) {
        std::fs::remove_file(self.filler()).unwrap();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// A metric's value now (0 when absent).
async fn metric(server: &TestServer, key: &str) -> f64 {
    sample(&scrape(server).await, key).unwrap_or(0.0)
}

/// Scrapes until `key` reaches at least `min`.
async fn until_metric(server: &TestServer, key: &str, min: f64) {
    common::scrape::until(server, key, |v| v >= min).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_pauses_writers_keeps_readers_and_loses_nothing() {
    let Some(disk) = Tmpfs::mount() else { return };
    disk.fill();
    let server = TestServer::start(&disk.data(), Default::default()).await;
    let http = |p: &str| server.http(p);
    let doc = doc_id("full");
    let url = server.ws_url(&doc);
    let mut reader = Client::connect(&url).await;
    let writer = Writer::start(&url).await;

    // The disk fills: commits fail, /readyz says why, acknowledgements stop.
    let why = until_status(&http, "/readyz", 503).await;
    assert!(why.contains("disk is full"), "{why}");
    let acked_at_failure = writer.acked();
    assert!(writer.sent() > acked_at_failure, "every sent update was acknowledged");
    assert!(acked_at_failure > 0, "the disk was full before anything was stored");

    // A second writer's update is paused, not read: counted, not applied.
    let mut late = Client::connect(&url).await;
    late.append("<late>").await;
    let late_ack = late.request_ack().await;
    until_metric(&server, "tandem_store_paused_total", 1.0).await;

    // Readers read: a new client loads the document, the reader has the same,
    // the API reads it; an HTTP update is refused with 507, nothing changed.
    let newcomer = Client::connect(&url).await;
    assert!(newcomer.text().starts_with(&marker(0)) && !newcomer.text().contains("<late>"));
    reader.pump_until(|r| r.text_len() == newcomer.text_len()).await;
    let read = common::api_text(&http(&format!("/api/docs/{doc}/text"))).await;
    assert!(read == newcomer.text(), "the API read another text than a new client");
    let update = tandem_sync::document::fresh_update(tandem_sync::document::CONTENT, "by http");
    let (status, body) = request("POST", &http(&format!("/api/docs/{doc}/update")), Some(&update)).await;
    assert_eq!(status, 507, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("disk_full"));
    assert!(metric(&server, "tandem_store_refused_total").await >= 1.0);
    // So is an image attachment, before anything is queued.
    let png = b"\x89PNG\r\n\x1a\n on a full disk";
    let (status, body) = common::request_typed("POST", &http(&format!("/api/docs/{doc}/attachments")), "image/png", png).await;
    assert_eq!(status, 507, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("disk_full"));
    // Memory stays bounded: the queue holds no more than its bound and one
    // snapshot of the document (queued just before the disk filled, perhaps).
    let queued = metric(&server, "tandem_store_queue_bytes").await;
    let bound = MAX_QUEUE_BYTES + f64::from(newcomer.text_len());
    assert!(queued <= bound, "{queued} bytes queued, more than {bound}");
    println!("{queued} bytes queued while the disk was full; the document is {} bytes", newcomer.text_len());

    // Space again: everything resumes by itself.
    disk.free();
    until_status(&http, "/readyz", 200).await;
    let sent = writer.finish().await;
    late.pump_until(|c| c.acked(late_ack)).await;
    let after = Client::connect(&url).await;
    assert!(after.text().contains("<late>"));
    reader.pump_until(|r| r.text_len() == after.text_len()).await;
    assert!(after.text() == reader.text(), "the reader and a new client differ");
    drop((reader, late, newcomer, after));
    server.stop().await;

    // Every acknowledged update is stored.
    let server = TestServer::start(&disk.data(), Default::default()).await;
    let text = Client::connect(&server.ws_url(&doc)).await.text();
    let lost: Vec<String> = (0..sent).map(marker).filter(|m| !text.contains(m.as_str())).collect();
    assert!(lost.is_empty(), "lost {} of {sent} acknowledged updates", lost.len());
    assert!(text.contains("<late>"));
    println!("{sent} updates, {acked_at_failure} acknowledged before the disk filled; all stored");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_the_disk_is_full_exits_in_time_and_names_what_was_not_stored() {
    let Some(disk) = Tmpfs::mount() else { return };
    disk.fill();
    std::fs::create_dir_all(disk.data()).unwrap();
    let server = Process::start(&disk.data()).await;
    let doc = doc_id("term");
    let writer = Writer::start(&server.ws_url(&doc)).await;
    let why = until_status(&|p: &str| server.http(p), "/readyz", 503).await;
    assert!(why.contains("disk is full"), "{why}");
    let (acked, sent) = (writer.acked(), writer.sent());

    let started = std::time::Instant::now();
    let log = server.log.clone();
    let code = tokio::time::timeout(std::time::Duration::from_secs(10), server.signal("TERM")).await.expect("exited within 10 s");
    println!("exited in {:.1?} with {code:?}", started.elapsed());
    assert_eq!(code, Some(1), "unstored updates make the exit a failure");
    let log = log.lock().unwrap().join("\n");
    let line = log.lines().find(|l| l.contains("not stored") && l.contains(&doc)).unwrap_or_else(|| panic!("{log}"));
    let updates: usize = field(line, "updates=").expect("a count of updates");
    // What was not stored was never acknowledged; a message a paused
    // connection held (logged on its own) is not in the store's count.
    assert!(updates <= sent - acked, "{updates} unstored, but only {} unacknowledged", sent - acked);

    // Nothing acknowledged was lost.
    disk.free();
    let server = Process::start(&disk.data()).await;
    let text = Client::connect(&server.ws_url(&doc)).await.text();
    let lost: Vec<String> = (0..acked).map(marker).filter(|m| !text.contains(m.as_str())).collect();
    assert!(lost.is_empty(), "lost {} of {acked} acknowledged updates", lost.len());
    assert_eq!(server.signal("TERM").await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_panic_closes_waiting_connections_with_1011_and_readyz_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let server = TestServer::start_on(store.clone(), store.clone(), Settings::default()).await;
    let url = server.ws_url(&doc_id("panic"));
    let mut writer = Client::connect(&url).await;
    let mut other = Client::connect(&url).await;
    writer.append("stored").await;
    let n = writer.request_ack().await;
    writer.pump_until(|c| c.acked(n)).await;

    store.panic_writer_at_next_commit();
    writer.append("never stored").await;
    writer.request_ack().await;
    assert_eq!(writer.until_closed().await, Ended::Closed(close::INTERNAL_ERROR));
    let why = until_status(&|p: &str| server.http(p), "/readyz", 503).await;
    assert!(why.contains("stopped"), "{why}");
    // A later update is refused at once, never relayed and left unacknowledged.
    other.append("after").await;
    assert_eq!(other.until_closed().await, Ended::Closed(close::INTERNAL_ERROR));
    assert!(store.health().is_err());
    server.stop().await;
}

/// The number after `name` in a log line.
fn field(line: &str, name: &str) -> Option<usize> {
    line.split(name).nth(1)?.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// Peak resident memory (VmHWM, KiB) of process `pid`.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:")?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or(0)
}

/// A one-off measurement for the README, not a test: a writer that never
/// waits for acknowledgements sends 64 KiB updates into a 24 MiB tmpfs for
/// `TANDEM_FILL_SECS` (default 20) seconds; prints the server's peak resident
/// memory. `TANDEM_BIN` runs another build of the binary (an older one).
/// `cargo test -p server --test integration disk::measure -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run by hand"]
async fn measure_peak_memory_while_the_disk_is_full() {
    let Some(disk) = Tmpfs::mount() else { return };
    std::fs::write(disk.filler(), vec![0u8; 8 << 20]).unwrap();
    std::fs::create_dir_all(disk.data()).unwrap();
    let server = Process::start(&disk.data()).await;
    let pid = server.child.id().unwrap();
    let fresh = peak_kib(pid);
    let secs = std::env::var("TANDEM_FILL_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let mut conn = Connection::open(&server.ws_url(&doc_id("measure"))).await.unwrap();
    let replica = Replica::new();
    let filler = "x".repeat(UPDATE_BYTES);
    let sending = async {
        for i in 0.. {
            if conn.tx.send(replica.append(&format!("{}{filler}", marker(i)))).await.is_err() {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(secs), sending).await;
    println!("peak resident memory: {fresh} KiB when started, {} KiB after {secs} s of writing", peak_kib(pid));
    let started = std::time::Instant::now();
    match tokio::time::timeout(std::time::Duration::from_secs(10), server.signal("TERM")).await {
        Ok(code) => println!("SIGTERM: exited in {:.1?} with {code:?}", started.elapsed()),
        Err(_) => println!("SIGTERM: still running after 10 s"),
    }
}
