//! Reading `/metrics` in tests, from the server's metrics listener.

use super::{PATIENCE, TestServer, get};

/// The value of the sample `key` (name with its labels, as printed) in a scrape.
pub fn sample(scrape: &str, key: &str) -> Option<f64> {
    scrape.lines().find_map(|line| line.strip_prefix(key)?.strip_prefix(' ')?.parse().ok())
}

/// One scrape of `/metrics`.
pub async fn scrape(server: &TestServer) -> String {
    let (status, body) = get(&server.metrics_url()).await;
    assert_eq!(status, 200);
    String::from_utf8(body).unwrap()
}

/// Scrapes until `key` satisfies `ok`; returns that scrape.
pub async fn until(server: &TestServer, key: &str, ok: impl Fn(f64) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let text = scrape(server).await;
        if sample(&text, key).is_some_and(&ok) {
            return text;
        }
        assert!(tokio::time::Instant::now() < deadline, "{key} never reached the expected value:\n{text}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The count of refusals by `limit` in `limits_exceeded_total`.
pub fn exceeded(scrape: &str, limit: &str) -> f64 {
    sample(scrape, &format!("tandem_limits_exceeded_total{{limit=\"{limit}\"}}")).unwrap_or(0.0)
}
