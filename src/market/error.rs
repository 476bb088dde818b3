//! The one error type of the market module, written for the status line.
//!
//! Messages name the host, the request path and what to do. They never hold
//! an API key or a full URL, because the key could sit in its query.

use std::path::PathBuf;
use std::time::Duration;

/// Maximum length of the body excerpt in [`MarketError::BadBody`].
pub const SNIPPET_CHARS: usize = 120;

/// Failure to load market data, with a hint for the user.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MarketError {
    #[error("{host} rate limit reached{}", retry_text(*retry_after))]
    RateLimited {
        host: String,
        retry_after: Option<Duration>,
    },
    #[error("{host} rejected the API key: {hint}")]
    Unauthorized { host: String, hint: String },
    #[error("{host} blocked the request with an access-denied page")]
    Blocked { host: String },
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("invalid response body from {url_path}: {snippet:?}")]
    BadBody { url_path: String, snippet: String },
    #[error("request to {host} failed: {message}")]
    Transport { host: String, message: String },
    #[error("{host} answered with server error HTTP {status}")]
    Server { host: String, status: u16 },
    #[error("{host} returned an error: {message}")]
    Api { host: String, message: String },
    #[error("snapshot file {path} is unusable: {message}")]
    Snapshot { path: PathBuf, message: String },
}

fn retry_text(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(", retry after {} s", wait.as_secs()),
        None => String::new(),
    }
}

impl MarketError {
    /// Returns what the user can do about this error, in one sentence.
    pub fn hint(&self) -> String {
        match self {
            Self::RateLimited { retry_after, .. } => match retry_after {
                Some(wait) => format!(
                    "wait {} s before refreshing, or set an API key for a higher limit",
                    wait.as_secs()
                ),
                None => "wait a minute before refreshing, or set an API key for a higher limit"
                    .to_string(),
            },
            Self::Unauthorized { hint, .. } => hint.clone(),
            Self::Blocked { .. } => {
                "the host refuses this network (VPN, proxy or region); try another network or an API key"
                    .to_string()
            }
            Self::NotFound { .. } => "check the coin id in the config".to_string(),
            Self::BadBody { .. } | Self::Api { .. } => {
                "the service answered something unexpected; retry later and see the log".to_string()
            }
            Self::Transport { .. } => "check the network connection and retry".to_string(),
            Self::Server { .. } => "the service is failing; retry in a few minutes".to_string(),
            Self::Snapshot { .. } => {
                "check the snapshot folder layout: coins_markets.json, market_chart/, histoday/"
                    .to_string()
            }
        }
    }

    /// Returns true when every further request to the same host would fail
    /// the same way, so a refresh should stop instead of trying other coins.
    pub fn stops_host(&self) -> bool {
        matches!(self, Self::Unauthorized { .. } | Self::Blocked { .. })
    }
}

/// Returns at most [`SNIPPET_CHARS`] characters of `body` on one line.
pub(crate) fn snippet(body: &str) -> String {
    let flat: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(SNIPPET_CHARS)
        .collect();
    flat.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_is_short_and_flat() {
        let body = format!("<html>\n{}</html>", "x".repeat(500));
        let short = snippet(&body);
        assert!(short.chars().count() <= SNIPPET_CHARS);
        assert!(!short.contains('\n'));
    }

    #[test]
    fn rate_limit_message_shows_wait() {
        let error = MarketError::RateLimited {
            host: "api.coingecko.com".into(),
            retry_after: Some(Duration::from_secs(60)),
        };
        assert_eq!(
            error.to_string(),
            "api.coingecko.com rate limit reached, retry after 60 s"
        );
        assert!(error.hint().contains("60 s"));
    }
}
