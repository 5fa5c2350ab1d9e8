//! The `tandem` binary as a child process, for crash and signal tests.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `tandem` process.
pub struct Process {
    pub child: Child,
    pub addr: SocketAddr,
    /// Every line it printed after its listening line (its log).
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Process {
    /// Starts `tandem --open --addr 127.0.0.1:0 --data-dir DIR` and waits for its listening line.
    pub async fn start(dir: &Path) -> Process {
        Self::start_with_env(dir, &[]).await
    }

    /// [`Process::start`] with extra environment variables.
    pub async fn start_with_env(dir: &Path, env: &[(&str, &Path)]) -> Process {
        Self::spawn(dir, &["--open"], env).await.0
    }

    /// Starts a node of a cluster in open mode: `--database-url DATABASE
    /// --redis-url REDIS` (`dir` is its unused data directory).
    pub async fn start_node(dir: &Path, database: &str, redis: &str) -> Process {
        Self::spawn(dir, &["--open", "--database-url", database, "--redis-url", redis], &[]).await.0
    }

    /// Starts a server alone on a PostgreSQL database in open mode:
    /// `--database-url DATABASE`, no Redis.
    pub async fn start_alone(dir: &Path, database: &str) -> Process {
        Self::spawn(dir, &["--open", "--database-url", database], &[]).await.0
    }

    /// Starts `tandem` in accounts mode; also returns the setup link it
    /// printed before listening, if it printed one.
    pub async fn start_accounts(dir: &Path) -> (Process, Option<String>) {
        Self::spawn(dir, &[], &[]).await
    }

    async fn spawn(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> (Process, Option<String>) {
        // `TANDEM_BIN` runs another build (for a measurement against an older one).
        let bin = std::env::var("TANDEM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_tandem").to_owned());
        let mut child = Command::new(bin)
            .args(args)
            .args(["--addr", "127.0.0.1:0", "--data-dir"])
            .arg(dir)
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn tandem");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut setup = None;
        let addr = loop {
            let line = lines.next_line().await.expect("read stdout").expect("tandem exited before listening");
            if let Some(rest) = line.split("create the first administrator at ").nth(1) {
                setup = Some(rest.trim().to_owned());
            }
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split_whitespace().next().expect("addr").parse().expect("parse addr");
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        let log = Arc::new(Mutex::new(Vec::new()));
        let kept = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                kept.lock().unwrap().push(line);
            }
        });
        (Process { child, addr, log }, setup)
    }

    pub fn ws_url(&self, doc: &str) -> String {
        format!("ws://{}/ws/{doc}", self.addr)
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Waits (up to a minute) until a line of its log contains `text`.
    pub async fn until_logged(&self, text: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !self.log.lock().unwrap().iter().any(|line| line.contains(text)) {
            assert!(std::time::Instant::now() < deadline, "the server never logged {text:?}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL: no chance to flush anything.
    pub async fn kill9(mut self) {
        self.child.kill().await.expect("kill");
    }

    /// Sends `signal` and returns the exit code.
    pub async fn signal(mut self, signal: &str) -> Option<i32> {
        let pid = self.child.id().expect("pid").to_string();
        let status = std::process::Command::new("kill").args(["-s", signal, &pid]).status().expect("kill");
        assert!(status.success());
        self.child.wait().await.expect("wait").code()
    }
}

/// Runs `tandem` expecting it to refuse to start; returns its exit code and output.
pub async fn start_fails(dir: &Path) -> (Option<i32>, String) {
    start_fails_with(dir, &[]).await
}

/// [`start_fails`] with extra arguments. A server that starts instead fails
/// the test (it is killed once the wait is over).
pub async fn start_fails_with(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let run = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(args)
        .args(["--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("tandem started instead of refusing to")
        .expect("run tandem");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}
