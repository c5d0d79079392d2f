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
                tracing::warn!(error = %describe(&error), attempt, what, delay_ms = delay.as_millis() as u64, "Discord call failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(policy.max_delay);
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// A serenity error and its causes as text that is safe to log: interaction and webhook tokens
/// in any URL they quote (a transport error's cause quotes the request's URL) are replaced by
/// `<token>`.
pub fn describe(error: &serenity::Error) -> String {
    redact_tokens(&chain(error))
}

/// An error and its causes, `: `-separated.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

/// `text` with the token after every `/interactions/{id}/` and `/webhooks/{id}/` replaced.
pub fn redact_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let found = ["/interactions/", "/webhooks/"]
            .iter()
            .filter_map(|marker| rest.find(marker).map(|at| (at, marker.len())))
            .min();
        let Some((at, len)) = found else {
            out.push_str(rest);
            return out;
        };
        // Keep the marker and the id segment after it; the segment after that is the token.
        let after_marker = at + len;
        let id_end = rest[after_marker..].find('/').map(|i| after_marker + i + 1);
        let Some(token_start) = id_end else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..token_start]);
        let token_len = rest[token_start..]
            .find(|c: char| matches!(c, '/' | '?' | ')' | '"' | '\'') || c.is_whitespace())
            .unwrap_or(rest.len() - token_start);
        if token_len > 0 {
            out.push_str("<token>");
        }
        rest = &rest[token_start + token_len..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_taken_out_of_urls() {
        let text = "error sending request for url (http://127.0.0.1:9/api/v10/interactions/123/aW50ZXJhY3Rpb24.SECRET/callback): connection refused; then /webhooks/99/tok.en.SECRET2?wait=true";
        let clean = redact_tokens(text);
        assert!(!clean.contains("SECRET"), "{clean}");
        assert!(
            clean.contains("/interactions/123/<token>/callback"),
            "{clean}"
        );
        assert!(clean.contains("/webhooks/99/<token>?wait=true"), "{clean}");
        assert_eq!(redact_tokens("no url here"), "no url here");
        assert_eq!(redact_tokens("/webhooks/"), "/webhooks/");
    }

    /// A real transport error from a real request: its text names the URL, token and all.
    #[tokio::test]
    async fn a_transport_error_is_logged_without_its_token() {
        let http = serenity::http::HttpBuilder::new("Bot x")
            .proxy("http://127.0.0.1:9")
            .ratelimiter_disabled(true)
            .build();
        http.set_application_id(serenity::all::ApplicationId::new(1));
        let error = http
            .create_followup_message(
                "SECRETTOKEN",
                &serenity::all::CreateInteractionResponseFollowup::new().content("x"),
                Vec::new(),
            )
            .await
            .expect_err("nothing listens on port 9");
        assert!(
            chain(&error).contains("SECRETTOKEN"),
            "the cause quotes the URL: {}",
            chain(&error)
        );
        let safe = describe(&error);
        assert!(!safe.contains("SECRETTOKEN"), "{safe}");
        assert!(safe.contains("<token>"), "{safe}");
    }
}
