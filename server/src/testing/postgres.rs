//! A real PostgreSQL server for tests: `initdb` into a temporary directory,
//! started with `pg_ctl` on a free port of 127.0.0.1, stopped and removed on
//! drop. Only its files are temporary: it runs as in production (`fsync` on).
//!
//! Tests that only need a database share one server per process
//! ([`shared`]) and isolate by database ([`Postgres::create_database`]); a
//! test that stops, kills or restarts the server starts its own
//! ([`Postgres::start`]).
//!
//! PostgreSQL refuses to run as root, so as root every PostgreSQL program runs
//! as the `postgres` user (`runuser -u postgres --`), which owns the
//! directory. Clients connect over TCP as `tandem`, trusted, without a password.

use super::PATIENCE;
use std::fs::OpenOptions;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use tempfile::TempDir;

/// Where Debian's `postgresql-15` puts its programs.
const DEBIAN_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The programs this harness runs; they must all be in one directory.
const TOOLS: [&str; 3] = ["initdb", "pg_ctl", "psql"];

/// The superuser `initdb` creates; clients connect as it without a password.
const USER: &str = "tandem";

/// A PostgreSQL server started for tests, in a directory of its own.
pub struct Postgres {
    tools: Tools,
    /// Holds the unix socket, `data/` and the server's `log`. Removed on drop,
    /// or by the watchdog when the process ends without dropping it.
    dir: TempDir,
    port: u16,
    /// Stops the server and removes `dir` once this process is gone, however it
    /// ends. It waits for the end of its stdin, a pipe only this process holds
    /// open: the kernel closes it on exit, even on SIGKILL. Killed on drop,
    /// which does the same work itself.
    watchdog: Child,
}

impl Postgres {
    /// Starts a new server in a new directory and waits until it accepts
    /// connections. Panics if PostgreSQL is not installed.
    pub fn start() -> Postgres {
        let tools = Tools::find();
        let dir = temp_dir(&tools);
        let watchdog = spawn_watchdog(&tools, dir.path());
        // From here on, drop (or the watchdog) cleans up whatever fails.
        let postgres = Postgres { tools, dir, port: free_port(), watchdog };
        postgres.init();
        postgres.start_again();
        postgres
    }

    /// The URL of `database`: `postgres://tandem@127.0.0.1:PORT/DATABASE`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a database no other test uses and returns its URL.
    pub fn create_database(&self) -> String {
        let name = unique_database_name();
        self.psql(&self.url("postgres"), &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// Shuts down cleanly (`pg_ctl stop -m fast`) and waits until it is down.
    pub fn stop(&self) {
        self.pg_ctl(&["stop", "-m", "fast"]);
    }

    /// Stops as a crash would (`pg_ctl stop -m immediate`): no checkpoint, so
    /// the next start recovers from the write-ahead log.
    pub fn kill(&self) {
        self.pg_ctl(&["stop", "-m", "immediate"]);
    }

    /// Starts the stopped server again, on the same port over the same files,
    /// and waits until it accepts connections.
    pub fn start_again(&self) {
        let log = self.dir.path().join("log");
        self.pg_ctl(&["start", "-l", &log.to_string_lossy()]);
    }

    /// The TCP port it listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's files.
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Creates the cluster: UTF-8, locale C, user `tandem` trusted.
    fn init(&self) {
        let mut initdb = self.tools.command("initdb", self.dir.path());
        initdb.args(["--auth=trust", "--username", USER, "-E", "UTF8", "--locale=C"]);
        // Only initdb's own final flush of the new files is skipped: the
        // directory dies with the test anyway. The server keeps `fsync` on.
        initdb.arg("--no-sync").arg("-D").arg(self.data());
        run(&mut initdb);
        self.configure();
    }

    /// Listens on 127.0.0.1:`port` only, with its unix socket in the
    /// directory (never in the system's); all else stays as `initdb` set it.
    fn configure(&self) {
        let socket_dir = self.dir.path().to_string_lossy().replace('\'', "''");
        let settings = format!(
            "\n# Tandem's test harness\nport = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{socket_dir}'\n",
            self.port
        );
        let conf = self.data().join("postgresql.conf");
        let appended = OpenOptions::new().append(true).open(&conf).and_then(|mut file| file.write_all(settings.as_bytes()));
        appended.unwrap_or_else(|e| panic!("appending to {}: {e}", conf.display()));
    }

    /// Runs `pg_ctl ARGS` on the cluster and waits for it (`-w`, at most
    /// [`PATIENCE`]); panics with its stderr and the server's log if it fails.
    fn pg_ctl(&self, args: &[&str]) {
        if let Err(failure) = self.try_pg_ctl(args) {
            let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
            panic!("{failure}\nthe server's log:\n{log}");
        }
    }

    /// Runs `pg_ctl ARGS` on the cluster and waits for it: its stdout, or why it failed.
    fn try_pg_ctl(&self, args: &[&str]) -> Result<String, String> {
        let mut pg_ctl = self.tools.command("pg_ctl", self.dir.path());
        pg_ctl.args(args).arg("-D").arg(self.data());
        try_run(pg_ctl.args(["-w", "-t", &PATIENCE.as_secs().to_string()]))
    }

    /// Runs `sql` on the database at `url` with `psql`; its rows unaligned,
    /// one a line, without headers. Panics if any statement fails.
    fn psql(&self, url: &str, sql: &str) -> String {
        let mut psql = self.tools.command("psql", self.dir.path());
        run(psql.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]))
    }
}

impl Drop for Postgres {
    /// Stops the server as a crash would (nothing in it is kept) and removes
    /// its directory. Never panics: failures here are ignored.
    fn drop(&mut self) {
        // Killed first, so that it cannot remove the directory under us.
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
        // Fails if a test stopped it already, which is fine.
        let _ = self.try_pg_ctl(&["stop", "-m", "immediate"]);
        // The `TempDir` field removes the directory after this.
    }
}

/// The server every test of this process shares, started on first use.
///
/// A static is never dropped: the server's watchdog stops it and removes its
/// directory once the process has ended. Tests must not stop, kill or restart
/// it; each works in a database of its own ([`Postgres::create_database`]).
pub fn shared() -> &'static Postgres {
    /// Initialised once; every later caller waits for the first start.
    static SHARED: OnceLock<Postgres> = OnceLock::new();
    SHARED.get_or_init(Postgres::start)
}

/// How to run PostgreSQL's programs: where they are, and as whom.
struct Tools {
    /// The directory of `initdb`, `pg_ctl` and `psql`.
    bin: PathBuf,
    /// This process is root, so every program runs as the `postgres` user.
    as_postgres: bool,
}

impl Tools {
    /// Finds PostgreSQL's programs; panics, naming the missing one, if it is not installed.
    fn find() -> Tools {
        let bin = bin_dir();
        if let Some(missing) = TOOLS.iter().find(|tool| !bin.join(tool).is_file()) {
            panic!("PostgreSQL is incomplete: no `{missing}` in {}; run `scripts/setup --browser`", bin.display());
        }
        Tools { bin, as_postgres: id(&["-u"]) == 0 }
    }

    /// A command that runs `tool` as the right user in `dir`, stdin closed.
    fn command(&self, tool: &str, dir: &Path) -> Command {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres { Command::new("runuser") } else { Command::new(&program) };
        if self.as_postgres {
            command.args(["-u", "postgres", "--"]).arg(&program);
        }
        command.current_dir(dir).stdin(Stdio::null());
        command
    }

    /// The same as [`Tools::command`], as a shell command line.
    fn shell(&self, tool: &str) -> String {
        let program = quote(&self.bin.join(tool));
        if self.as_postgres { format!("runuser -u postgres -- {program}") } else { program }
    }
}

/// The directory of `initdb`: Debian's PostgreSQL 15, else `pg_config
/// --bindir`, else the first on PATH. Panics if there is none.
fn bin_dir() -> PathBuf {
    let mut candidates = [Some(PathBuf::from(DEBIAN_BIN)), pg_config_bindir()].into_iter().flatten().chain(path_dirs());
    candidates.find(|dir| dir.join("initdb").is_file()).unwrap_or_else(|| {
        panic!("PostgreSQL is not installed: no `initdb` in {DEBIAN_BIN}, in `pg_config --bindir` or on PATH; run `scripts/setup --browser`")
    })
}

/// What `pg_config --bindir` says, if `pg_config` runs.
fn pg_config_bindir() -> Option<PathBuf> {
    let output = Command::new("pg_config").arg("--bindir").stdin(Stdio::null()).output().ok()?;
    output.status.success().then(|| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
}

/// The directories of PATH, in order.
fn path_dirs() -> Vec<PathBuf> {
    std::env::var_os("PATH").map(|path| std::env::split_paths(&path).collect()).unwrap_or_default()
}

/// A new empty directory, owned by `postgres` when the programs run as it.
fn temp_dir(tools: &Tools) -> TempDir {
    let dir = tempfile::Builder::new().prefix("tandem-postgres-").tempdir().expect("create a temporary directory");
    if tools.as_postgres {
        let (uid, gid) = (id(&["-u", "postgres"]), id(&["-g", "postgres"]));
        std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
            .unwrap_or_else(|e| panic!("chown postgres {}: {e}", dir.path().display()));
    }
    dir
}

/// A port free on 127.0.0.1 now: the one the kernel gives a listener that is
/// dropped at once. Another process could take it before the server binds;
/// the start then fails, loudly.
pub(super) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// Spawns `sh`, which waits until this process has ended (its stdin, a pipe
/// only this process writes to, reaches its end), then stops the server in
/// `dir` as a crash would and removes `dir`. It is in a process group of its
/// own, so that Ctrl-C on the tests does not end it before it has done so.
fn spawn_watchdog(tools: &Tools, dir: &Path) -> Child {
    let (pg_ctl, data) = (tools.shell("pg_ctl"), quote(&dir.join("data")));
    let script = format!("cat >/dev/null; {pg_ctl} stop -D {data} -m immediate -w; rm -rf {}", quote(dir));
    let mut sh = Command::new("sh");
    sh.args(["-c", &script]).current_dir("/").stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
    sh.process_group(0).spawn().unwrap_or_else(|e| panic!("spawning the watchdog `sh -c {script}`: {e}"))
}

/// `path` quoted for `sh`.
fn quote(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', r"'\''"))
}

/// What `id ARGS` prints: a user or group id.
fn id(args: &[&str]) -> u32 {
    let out = run(Command::new("id").args(args).stdin(Stdio::null()));
    out.trim().parse().unwrap_or_else(|e| panic!("`id {}` printed {out:?}: {e}", args.join(" ")))
}

/// A database name used once in this process: `test_PID_N`.
fn unique_database_name() -> String {
    /// Counts the databases this process has named.
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Runs `command`: its stdout. Panics with its command line and stderr if it fails.
fn run(command: &mut Command) -> String {
    try_run(command).unwrap_or_else(|failure| panic!("{failure}"))
}

/// Runs `command`: its stdout, or why it failed (its command line and stderr).
fn try_run(command: &mut Command) -> Result<String, String> {
    let output = command.output().map_err(|e| format!("{command:?} could not run: {e}"))?;
    if !output.status.success() {
        return Err(format!("{command:?} failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_keeps_committed_rows_through_a_crash_and_cleans_up() {
        let postgres = Postgres::start();
        let url = postgres.create_database();
        assert!(url.starts_with(&format!("postgres://tandem@127.0.0.1:{}/test_", postgres.port())), "{url}");
        assert_eq!(postgres.psql(&url, "select 1").trim(), "1");
        postgres.psql(&url, "create table t (x int); insert into t values (42)");
        postgres.kill();
        postgres.start_again();
        assert_eq!(postgres.psql(&url, "select x from t").trim(), "42");
        postgres.stop();
        postgres.start_again();
        assert_eq!(postgres.psql(&url, "select count(*) from t").trim(), "1");
        let (dir, port) = (postgres.dir.path().to_owned(), postgres.port());
        drop(postgres);
        assert!(!dir.exists(), "{} is left", dir.display());
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "port {port} still answers");
    }
}
