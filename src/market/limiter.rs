//! Per-host rate limiting: a token bucket plus the pause a `Retry-After`
//! imposes, and the backoff delays between retries.

use super::settings::HostLimit;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
    paused_until: Option<Instant>,
}

/// Token bucket for one host. Waiters are served in arrival order because the
/// bucket sits behind tokio's fair mutex, held while a waiter sleeps.
#[derive(Debug)]
pub struct RateLimiter {
    bucket: Mutex<Bucket>,
    tokens_per_second: f64,
    burst: f64,
    waiting: AtomicUsize,
}

struct WaitingGuard<'a>(&'a AtomicUsize);

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl RateLimiter {
    /// Creates a full bucket. A rate of 0 turns limiting off, but a
    /// `Retry-After` pause still applies.
    pub fn new(limit: HostLimit) -> Self {
        let burst = f64::from(limit.burst.max(1));
        Self {
            bucket: Mutex::new(Bucket {
                tokens: burst,
                refilled_at: Instant::now(),
                paused_until: None,
            }),
            tokens_per_second: f64::from(limit.requests_per_minute) / 60.0,
            burst,
            waiting: AtomicUsize::new(0),
        }
    }

    /// Number of requests currently waiting for a token.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Waits until a request may be sent, then takes one token.
    pub async fn acquire(&self) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let _guard = WaitingGuard(&self.waiting);
        let mut bucket = self.bucket.lock().await;
        loop {
            let now = Instant::now();
            if let Some(until) = bucket.paused_until {
                if until > now {
                    tokio::time::sleep_until(until).await;
                    continue;
                }
                bucket.paused_until = None;
            }
            if self.tokens_per_second <= 0.0 {
                return;
            }
            let elapsed = now.duration_since(bucket.refilled_at).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * self.tokens_per_second).min(self.burst);
            bucket.refilled_at = now;
            if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
                return;
            }
            let missing = 1.0 - bucket.tokens;
            let wait = Duration::from_secs_f64(missing / self.tokens_per_second);
            tokio::time::sleep(wait).await;
        }
    }

    /// Holds every request to this host for `wait`, as a 429's `Retry-After`
    /// demands. A shorter pause never cuts a longer one.
    pub async fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut bucket = self.bucket.lock().await;
        if bucket.paused_until.is_none_or(|current| current < until) {
            bucket.paused_until = Some(until);
        }
    }
}

/// Returns the delay before retry number `attempt` (1-based): `base` doubled
/// per attempt, plus up to 50% random jitter so clients do not retry in step.
pub fn backoff_delay(base: Duration, attempt: u32) -> Duration {
    let doubled = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(10));
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(attempt);
    let fraction = (hasher.finish() % 1000) as f64 / 2000.0;
    doubled + doubled.mul_f64(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn burst_passes_then_rate_applies() {
        let limiter = RateLimiter::new(HostLimit::new(60, 3));
        let start = Instant::now();
        for _ in 0..3 {
            limiter.acquire().await;
        }
        assert_eq!(Instant::now(), start, "burst should not wait");

        limiter.acquire().await;
        let waited = Instant::now() - start;
        assert!(waited >= Duration::from_millis(999), "{waited:?}");
        assert!(waited <= Duration::from_millis(1001), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn sustained_rate_matches_setting() {
        let limiter = RateLimiter::new(HostLimit::new(10, 1));
        let start = Instant::now();
        for _ in 0..11 {
            limiter.acquire().await;
        }
        // One free token, then ten at six seconds each.
        let waited = Instant::now() - start;
        assert!(waited >= Duration::from_secs(59), "{waited:?}");
        assert!(waited <= Duration::from_secs(61), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn pause_holds_requests() {
        let limiter = RateLimiter::new(HostLimit::new(600, 10));
        let start = Instant::now();
        limiter.pause_for(Duration::from_secs(30)).await;
        limiter.pause_for(Duration::from_secs(5)).await;
        limiter.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_count_tracks_waiters() {
        let limiter = Arc::new(RateLimiter::new(HostLimit::new(6, 1)));
        limiter.acquire().await;
        let mut tasks = Vec::new();
        for _ in 0..3 {
            let limiter = Arc::clone(&limiter);
            tasks.push(tokio::spawn(async move { limiter.acquire().await }));
        }
        tokio::task::yield_now().await;
        assert_eq!(limiter.waiting(), 3);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(limiter.waiting(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_rate_never_waits() {
        let limiter = RateLimiter::new(HostLimit::new(0, 1));
        let start = Instant::now();
        for _ in 0..100 {
            limiter.acquire().await;
        }
        assert_eq!(Instant::now(), start);
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let base = Duration::from_millis(100);
        for attempt in 1..=4 {
            let delay = backoff_delay(base, attempt);
            let floor = base * (1 << (attempt - 1));
            assert!(delay >= floor, "attempt {attempt}: {delay:?}");
            assert!(delay <= floor.mul_f64(1.5), "attempt {attempt}: {delay:?}");
        }
    }
}
