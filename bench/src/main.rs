//! The `tandem-bench` binary: runs one scenario against a running
//! y-websocket server, prints its JSON line on stdout and its human line on
//! stderr, and exits 1 if the run could not be carried out. Its stdout is
//! the JSON line alone, so it sets up no logging.

use clap::Parser;
use tandem_bench::BenchArgs;

#[tokio::main]
async fn main() {
    let args = BenchArgs::parse();
    let report = tandem_bench::run(&args).await;
    println!("{}", report.json());
    eprintln!("# {}", report.summary);
    if !report.ok {
        std::process::exit(1);
    }
}
