//! Retrying Discord calls that failed for passing reasons: 429, 5xx, a dropped connection.
//!
//! With a real token serenity's own rate limiter waits out 429s before they happen. With an API
//! base (the emulator, a proxy) that limiter must be off (it ignores the base), and serenity then
//! returns a 429 as an error whose body it could not decode, so the `retry_after` value is lost:
//! we back off exponentially from [`RetryPolicy::first_delay`] instead.

use std::future::Future;
use std::time::Duration;

use serenity::http::HttpError;

/// How often and how patiently to retry.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Wait before the second attempt; doubled each time.
    pub first_delay: Duration,
    /// Longest single wait.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// For ordinary REST calls.
    pub const STANDARD: RetryPolicy = RetryPolicy {
        attempts: 5,
        first_delay: Duration::from_millis(250),
        max_delay: Duration::from_secs(8),
    };
    /// For an interaction's first answer, which must reach Discord within 3 seconds.
    pub const INTERACTION: RetryPolicy = RetryPolicy {
        attempts: 3,
        first_delay: Duration::from_millis(150),
        max_delay: Duration::from_millis(600),
    };
}

/// Whether an error is worth another try.
pub fn is_transient(error: &serenity::Error) -> bool {
    match error {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => {
            let status = response.status_code.as_u16();
            status == 429 || status >= 500
        }
        serenity::Error::Http(HttpError::Request(error)) => {
            error.is_connect() || error.is_timeout() || error.is_request()
        }
        _ => false,
    }
}

/// Runs `call` until it succeeds, fails for good, or the policy's attempts run out.
pub async fn retry<T, F, Fut>(policy: RetryPolicy, what: &str, mut call: F) -> serenity::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = serenity::Result<T>>,
{
    let mut delay = policy.first_delay;
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(value) => return Ok(value),
            Err(error) if attempt < policy.attempts && is_transient(&error) => {
                tracing::warn!(%error, attempt, what, delay_ms = delay.as_millis() as u64, "Discord call failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(policy.max_delay);
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}
