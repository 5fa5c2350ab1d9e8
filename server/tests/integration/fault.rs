//! Randomized faults, seeded and replayable: 6 to 10 simulated editors edit
//! one document at random (markers, filler with emoji, deletions), online and
//! offline, while the plan drops their connections (cleanly, abruptly, in the
//! middle of a frame, with unflushed data), reconnects them, and restarts the
//! real server binary with SIGTERM and SIGKILL.
//!
//! After every restart the stored text must hold every marker the server
//! acknowledged as durable (a sync-status answer). At the end every client
//! reconnects: all replicas and the stored document must be identical and
//! hold every marker ever written.
//!
//! By default a few fixed seeds run. Environment variables:
//! - `TANDEM_FAULT_SEED=n`: replay seed `n` only;
//! - `TANDEM_FAULT_SEEDS=n`: run seeds `0..n`;
//! - `TANDEM_FAULT_SOAK_SECS=s`: run random seeds for `s` seconds;
//! - `TANDEM_FAULT_STEPS=n`: steps per seed (default 400).

mod client;
mod text;
mod world;

use std::time::{Duration, Instant};

/// Seeds run by default: enough to try every fault a few times in CI.
const CI_SEEDS: u64 = 3;
/// Steps of the plan per seed by default.
const DEFAULT_STEPS: usize = 400;
/// Longest one seed may take before it counts as hung.
const SEED_DEADLINE: Duration = Duration::from_secs(120);

/// Which seeds to run, from the environment.
enum Seeds {
    Fixed(Vec<u64>),
    Soak(Duration),
}

fn env_u64(name: &str) -> Option<u64> {
    let raw = std::env::var(name).ok()?;
    Some(raw.parse().unwrap_or_else(|_| panic!("{name} must be a number, not {raw:?}")))
}

fn seeds() -> Seeds {
    if let Some(seed) = env_u64("TANDEM_FAULT_SEED") {
        return Seeds::Fixed(vec![seed]);
    }
    if let Some(secs) = env_u64("TANDEM_FAULT_SOAK_SECS") {
        return Seeds::Soak(Duration::from_secs(secs));
    }
    Seeds::Fixed((0..env_u64("TANDEM_FAULT_SEEDS").unwrap_or(CI_SEEDS)).collect())
}

/// Runs one seed; on failure names it and says how to replay it.
async fn run_seed(seed: u64, steps: usize) {
    let started = Instant::now();
    let run = tokio::spawn(async move {
        let mut world = world::World::new(seed).await;
        for _ in 0..steps {
            world.step().await;
        }
        world.finish().await
    });
    match tokio::time::timeout(SEED_DEADLINE, run).await {
        Ok(Ok(stats)) => println!("seed {seed}: ok in {:.1?}: {stats}", started.elapsed()),
        Ok(Err(e)) => fail(seed, &format!("{e}")),
        Err(_) => fail(seed, &format!("no end after {SEED_DEADLINE:?}")),
    }
}

fn fail(seed: u64, why: &str) -> ! {
    panic!("seed {seed} failed: {why}\nreplay: TANDEM_FAULT_SEED={seed} cargo test -p server --test fault -- --nocapture");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_edits_and_faults_lose_no_acknowledged_update() {
    let steps = env_u64("TANDEM_FAULT_STEPS").map_or(DEFAULT_STEPS, |n| n as usize);
    match seeds() {
        Seeds::Fixed(seeds) => {
            for seed in seeds {
                run_seed(seed, steps).await;
            }
        }
        Seeds::Soak(budget) => {
            let started = Instant::now();
            while started.elapsed() < budget {
                run_seed(rand::random(), steps).await;
            }
        }
    }
}
