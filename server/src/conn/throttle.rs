//! A token bucket that paces the messages of one connection.
//!
//! A client over its rate is throttled, not disconnected: its connection
//! stops reading until the next token, so the socket's buffers fill and the
//! client's sends slow down. Nothing is dropped.

use std::time::Duration;
use tokio::time::Instant;

/// A rate of messages: `per_sec` in the long run, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Tokens added per second; 0 turns throttling off.
    pub per_sec: u32,
    /// Most tokens the bucket holds (at least 1 is used).
    pub burst: u32,
}

/// One connection's bucket; starts full.
#[derive(Debug)]
pub struct TokenBucket {
    rate: Rate,
    /// Tokens available, fractional between refills.
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub fn new(rate: Rate, now: Instant) -> Self {
        TokenBucket { rate, tokens: f64::from(rate.burst.max(1)), last: now }
    }

    /// Takes a token for one message at `now`; if none is left, how long to
    /// wait before the next one (the token is then already taken).
    pub fn take(&mut self, now: Instant) -> Option<Duration> {
        if self.rate.per_sec == 0 {
            return None;
        }
        let per_sec = f64::from(self.rate.per_sec);
        let refill = now.saturating_duration_since(self.last).as_secs_f64() * per_sec;
        self.tokens = (self.tokens + refill).min(f64::from(self.rate.burst.max(1)));
        self.last = now;
        self.tokens -= 1.0;
        (self.tokens < 0.0).then(|| Duration::from_secs_f64(-self.tokens / per_sec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_messages_are_paced_at_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Rate { per_sec: 10, burst: 3 }, start);
        for _ in 0..3 {
            assert_eq!(bucket.take(start), None);
        }
        let wait = bucket.take(start).expect("throttled");
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-6, "{wait:?}");
        // After the wait, the next message waits one more interval.
        let wait = bucket.take(start + wait).expect("throttled");
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-6, "{wait:?}");
    }

    #[test]
    fn an_idle_connection_refills_up_to_its_burst() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Rate { per_sec: 100, burst: 2 }, start);
        let later = start + Duration::from_secs(60);
        assert_eq!(bucket.take(later), None);
        assert_eq!(bucket.take(later), None);
        assert!(bucket.take(later).is_some());
    }

    #[test]
    fn a_zero_rate_never_throttles() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Rate { per_sec: 0, burst: 0 }, start);
        assert!((0..10_000).all(|_| bucket.take(start).is_none()));
    }
}
