//! A real Redis server for tests (Debian's `redis-server`): on a free port
//! of 127.0.0.1, keeping nothing on disk, stopped on drop — or, if the test
//! process is killed, by a watchdog. A test may kill it and start it again
//! on the same port, as an operator's restart would.

use super::PATIENCE;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// A Redis server started for one test.
pub struct Redis {
    port: u16,
    /// The running server; `None` while stopped. Std mutex: taken only to
    /// start or stop it, never across an `.await`.
    child: Mutex<Option<Running>>,
}

/// A running server and the watchdog that kills it if this process ends
/// without stopping it.
struct Running {
    server: Child,
    watchdog: Child,
}

impl Redis {
    /// Starts a server and waits until it accepts connections. Panics if
    /// `redis-server` is not installed (`scripts/setup --browser` installs it).
    pub fn start() -> Redis {
        let redis = Redis { port: super::postgres::free_port(), child: Mutex::new(None) };
        redis.start_again();
        redis
    }

    /// The URL clients connect to.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server at once (SIGKILL): every connection to it drops.
    pub fn kill(&self) {
        if let Some(mut running) = self.child.lock().unwrap_or_else(|p| p.into_inner()).take() {
            // The watchdog first, so that it never kills a reused pid; its
            // `cat` ends when its stdin closes as `running` drops.
            let _ = running.watchdog.kill();
            let _ = running.watchdog.wait();
            let _ = running.server.kill();
            let _ = running.server.wait();
        }
    }

    /// Starts the server again on the same port, empty, and waits until it accepts connections.
    pub fn start_again(&self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run redis-server ({e}); run scripts/setup --browser"));
        let watchdog = spawn_watchdog(child.id());
        *self.child.lock().unwrap_or_else(|p| p.into_inner()) = Some(Running { server: child, watchdog });
        let deadline = std::time::Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "redis-server never listened on port {}", self.port);
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// Kills `pid` once this process is gone, however it ends: it waits for the
/// end of its stdin, a pipe only this process holds open, which the kernel
/// closes on exit, even on SIGKILL. In a process group of its own, so a
/// Ctrl-C to the tests does not end it first.
fn spawn_watchdog(pid: u32) -> Child {
    let script = format!("cat >/dev/null; kill -9 {pid}");
    let mut sh = Command::new("sh");
    sh.args(["-c", &script]).current_dir("/").stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
    sh.process_group(0).spawn().unwrap_or_else(|e| panic!("spawning the watchdog `sh -c {script}`: {e}"))
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}
