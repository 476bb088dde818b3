//! Settings of the live market clients and the API-key wrapper.
//!
//! The config module fills [`MarketSettings`] from the TOML file and the
//! environment; this module only consumes it.

use std::fmt;
use std::time::Duration;

/// Public and demo CoinGecko base URL.
pub const COINGECKO_PUBLIC_URL: &str = "https://api.coingecko.com/api/v3";
/// CoinGecko base URL for pro keys.
pub const COINGECKO_PRO_URL: &str = "https://pro-api.coingecko.com/api/v3";
/// CryptoCompare base URL.
pub const CRYPTOCOMPARE_URL: &str = "https://min-api.cryptocompare.com";

/// An API key. Debug and Display print `***`; only the request builder reads
/// the raw value through [`ApiKey::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// Returns the raw key, for the request header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// CoinGecko plan, which decides the host, the key header and the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CoinGeckoPlan {
    /// No key: `api.coingecko.com`, the strictest limit.
    #[default]
    Public,
    /// Free demo key sent as `x-cg-demo-api-key` to `api.coingecko.com`.
    Demo,
    /// Paid key sent as `x-cg-pro-api-key` to `pro-api.coingecko.com`.
    Pro,
}

impl CoinGeckoPlan {
    /// Name of the environment variable that contains this plan's key.
    pub fn key_env_var(self) -> &'static str {
        match self {
            Self::Pro => "COINGECKO_PRO_API_KEY",
            Self::Public | Self::Demo => "COINGECKO_API_KEY",
        }
    }

    /// Default request rate for this plan.
    ///
    /// NOTE: these are conservative estimates kept under CoinGecko's published
    /// plan limits as of 2024. They were not measured against the service.
    pub fn default_limit(self) -> HostLimit {
        match self {
            Self::Public => HostLimit::new(10, 2),
            Self::Demo => HostLimit::new(30, 5),
            Self::Pro => HostLimit::new(500, 20),
        }
    }
}

/// Token-bucket settings for one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostLimit {
    /// Sustained rate in requests per minute; 0 turns limiting off.
    pub requests_per_minute: u32,
    /// Requests allowed at once before the rate applies.
    pub burst: u32,
}

impl HostLimit {
    pub const fn new(requests_per_minute: u32, burst: u32) -> Self {
        Self {
            requests_per_minute,
            burst,
        }
    }
}

/// Retries after server errors, transport errors and HTTP 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySettings {
    /// Retries after the first attempt; 0 sends each request once.
    pub max_retries: u32,
    /// First backoff delay; each retry doubles it and adds up to 50% jitter.
    pub base_delay: Duration,
    /// Longest `Retry-After` the client waits out before retrying. A longer
    /// one is returned to the caller as [`MarketError::RateLimited`].
    ///
    /// [`MarketError::RateLimited`]: super::MarketError::RateLimited
    pub max_retry_after: Duration,
    /// Timeout of one request, connection included.
    pub request_timeout: Duration,
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(90),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Everything the live clients need.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketSettings {
    /// Quote currency such as `usd`.
    pub vs_currency: String,
    /// Number of coins to list, in market-cap order.
    pub coin_count: usize,
    /// Page size of `/coins/markets`, 1 to 250.
    pub coingecko_page_size: usize,
    /// Overrides the CoinGecko base URL (tests point it at a mock server).
    pub coingecko_base_url: Option<String>,
    pub coingecko_key: Option<ApiKey>,
    pub coingecko_plan: CoinGeckoPlan,
    /// Overrides the CoinGecko plan's default limit.
    pub coingecko_limit: Option<HostLimit>,
    /// Overrides the CryptoCompare base URL.
    pub cryptocompare_base_url: Option<String>,
    /// CryptoCompare is used only when this is set.
    pub cryptocompare_key: Option<ApiKey>,
    pub cryptocompare_limit: HostLimit,
    pub retry: RetrySettings,
    pub user_agent: String,
}

impl Default for MarketSettings {
    fn default() -> Self {
        Self {
            vs_currency: "usd".to_string(),
            coin_count: 100,
            coingecko_page_size: 250,
            coingecko_base_url: None,
            coingecko_key: None,
            coingecko_plan: CoinGeckoPlan::Public,
            coingecko_limit: None,
            cryptocompare_base_url: None,
            cryptocompare_key: None,
            // NOTE: CryptoCompare's free tier publishes per-second to
            // per-month quotas; 30 per minute stays well inside them.
            cryptocompare_limit: HostLimit::new(30, 5),
            retry: RetrySettings::default(),
            user_agent: concat!("coinlens/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

impl MarketSettings {
    /// CoinGecko base URL: the override, else the plan's host.
    pub fn coingecko_url(&self) -> &str {
        match (&self.coingecko_base_url, self.coingecko_plan) {
            (Some(url), _) => url,
            (None, CoinGeckoPlan::Pro) => COINGECKO_PRO_URL,
            (None, _) => COINGECKO_PUBLIC_URL,
        }
    }

    /// CryptoCompare base URL: the override, else the public host.
    pub fn cryptocompare_url(&self) -> &str {
        self.cryptocompare_base_url
            .as_deref()
            .unwrap_or(CRYPTOCOMPARE_URL)
    }

    /// CoinGecko limit: the override, else the plan's default.
    pub fn coingecko_host_limit(&self) -> HostLimit {
        self.coingecko_limit
            .unwrap_or_else(|| self.coingecko_plan.default_limit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_prints_stars() {
        let key = ApiKey::new("CG-secret123");
        assert_eq!(format!("{key}"), "***");
        assert!(!format!("{key:?}").contains("secret"));
        let settings = MarketSettings {
            coingecko_key: Some(key),
            ..MarketSettings::default()
        };
        assert!(!format!("{settings:?}").contains("secret"));
    }

    #[test]
    fn plan_selects_host() {
        let mut settings = MarketSettings::default();
        assert_eq!(settings.coingecko_url(), COINGECKO_PUBLIC_URL);
        settings.coingecko_plan = CoinGeckoPlan::Pro;
        assert_eq!(settings.coingecko_url(), COINGECKO_PRO_URL);
        settings.coingecko_base_url = Some("http://127.0.0.1:9".into());
        assert_eq!(settings.coingecko_url(), "http://127.0.0.1:9");
    }
}
