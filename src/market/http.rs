//! The shared HTTP layer: one [`HttpHost`] per API host sends GET requests
//! through the host's rate limiter, retries what is worth retrying and turns
//! every failed response into a typed [`MarketError`].
//!
//! Status and content type are checked before any parsing, because rate-limit
//! and error pages often arrive as HTML or plain text.

use super::error::{snippet, MarketError};
use super::limiter::{backoff_delay, RateLimiter};
use super::parse::cryptocompare_error;
use super::settings::{ApiKey, CoinGeckoPlan, HostLimit, RetrySettings};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Wait assumed after a 429 without a usable `Retry-After`.
const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// API vendor of a host, which decides its key header and error shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    CoinGecko(CoinGeckoPlan),
    CryptoCompare,
}

/// Status, headers and body of one response, for [`classify`].
#[derive(Debug, Clone, Copy)]
pub struct ResponseInfo<'a> {
    pub status: u16,
    pub content_type: &'a str,
    pub retry_after: Option<Duration>,
    pub body: &'a str,
}

/// One API host: client, base URL, key header, limiter and request counter.
#[derive(Debug)]
pub struct HttpHost {
    client: reqwest::Client,
    base_url: String,
    host: String,
    vendor: Vendor,
    key: Option<ApiKey>,
    limiter: RateLimiter,
    retry: RetrySettings,
    requests: AtomicU64,
}

impl HttpHost {
    /// Creates the host for `base_url`. Fails when the URL is invalid or the
    /// HTTP client cannot be built.
    pub fn new(
        base_url: &str,
        vendor: Vendor,
        key: Option<ApiKey>,
        limit: HostLimit,
        retry: RetrySettings,
        user_agent: &str,
    ) -> Result<Self, MarketError> {
        let parsed = reqwest::Url::parse(base_url).map_err(|error| MarketError::Transport {
            host: base_url.to_string(),
            message: format!("invalid base URL: {error}"),
        })?;
        let host = match (parsed.host_str(), parsed.port()) {
            (Some(name), Some(port)) => format!("{name}:{port}"),
            (Some(name), None) => name.to_string(),
            (None, _) => base_url.to_string(),
        };
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(retry.request_timeout)
            .connect_timeout(retry.request_timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|error| MarketError::Transport {
                host: host.clone(),
                message: format!("could not build the HTTP client: {error}"),
            })?;
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_string(),
            host,
            vendor,
            key,
            limiter: RateLimiter::new(limit),
            retry,
            requests: AtomicU64::new(0),
        })
    }

    /// Host name (with port when given), as used in error messages.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Number of requests sent so far, retries included.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Number of requests waiting on this host's limiter.
    pub fn waiting_on_limiter(&self) -> usize {
        self.limiter.waiting()
    }

    /// Sends `GET base_url + path` with `query` and returns the body.
    ///
    /// Server errors and transport errors are retried with exponential
    /// backoff. A 429 pauses the host's limiter for its `Retry-After`, and it
    /// is retried only when that wait is within `max_retry_after`. Either way
    /// at most `max_retries` retries are made.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<String, MarketError> {
        let mut attempt = 0;
        loop {
            self.limiter.acquire().await;
            self.requests.fetch_add(1, Ordering::SeqCst);
            let error = match self.send_once(path, query).await {
                Ok(body) => return Ok(body),
                Err(error) => error,
            };

            attempt += 1;
            let retries_left = attempt <= self.retry.max_retries;
            let retry_in = match &error {
                MarketError::RateLimited { retry_after, .. } => {
                    let wait = retry_after.unwrap_or(DEFAULT_RATE_LIMIT_WAIT);
                    self.limiter.pause_for(wait).await;
                    // The limiter pause already makes the retry wait.
                    (retries_left && wait <= self.retry.max_retry_after).then_some(Duration::ZERO)
                }
                MarketError::Server { .. } | MarketError::Transport { .. } => {
                    retries_left.then(|| backoff_delay(self.retry.base_delay, attempt))
                }
                _ => None,
            };
            let Some(delay) = retry_in else {
                return Err(error);
            };
            tracing::warn!(host = %self.host, path, attempt, ?delay, %error, "retrying request");
            tokio::time::sleep(delay).await;
        }
    }

    async fn send_once(&self, path: &str, query: &[(&str, String)]) -> Result<String, MarketError> {
        let url = format!("{}{}", self.base_url, path);
        let mut request = self.client.get(&url).query(query);
        if let Some(key) = &self.key {
            request = match self.vendor {
                Vendor::CoinGecko(CoinGeckoPlan::Pro) => {
                    request.header("x-cg-pro-api-key", key.expose())
                }
                Vendor::CoinGecko(_) => request.header("x-cg-demo-api-key", key.expose()),
                Vendor::CryptoCompare => {
                    request.header("authorization", format!("Apikey {}", key.expose()))
                }
            };
        }

        let response = request
            .send()
            .await
            .map_err(|error| self.transport_error(error))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(parse_retry_after);
        let raw_body = response
            .text()
            .await
            .map_err(|error| self.transport_error(error))?;
        let body = match &self.key {
            Some(key) if !key.expose().is_empty() => raw_body.replace(key.expose(), "***"),
            _ => raw_body,
        };

        let info = ResponseInfo {
            status,
            content_type: &content_type,
            retry_after,
            body: &body,
        };
        classify(self.vendor, &self.host, path, &info)?;
        Ok(body)
    }

    fn transport_error(&self, error: reqwest::Error) -> MarketError {
        let kind = if error.is_timeout() {
            "timed out"
        } else if error.is_connect() {
            "connection failed"
        } else {
            "failed"
        };
        // without_url drops the URL, whose query could hold a key.
        let mut message = format!("{kind}: {}", error.without_url());
        if let Some(key) = &self.key {
            message = message.replace(key.expose(), "***");
        }
        MarketError::Transport {
            host: self.host.clone(),
            message,
        }
    }
}

/// Parses a `Retry-After` value: delay seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

fn contains_any(haystack: &str, needles: &[&str]) -> bool {
    needles.iter().any(|needle| haystack.contains(needle))
}

/// Returns the error message inside a JSON error body of either API.
fn json_error_message(root: &Value) -> Option<String> {
    let candidates = [
        root.pointer("/status/error_message"),
        root.pointer("/error/status/error_message"),
        root.get("error"),
        root.pointer("/Err/message"),
        root.get("Message"),
        root.get("message"),
    ];
    candidates
        .into_iter()
        .flatten()
        .find_map(Value::as_str)
        .map(snippet)
}

fn coingecko_error_code(root: &Value) -> Option<i64> {
    root.pointer("/status/error_code")
        .or_else(|| root.pointer("/error/status/error_code"))
        .and_then(Value::as_i64)
}

/// Returns the fix for a rejected key: which variable to set, for which host.
pub fn unauthorized_hint(vendor: Vendor, code: Option<i64>, message: Option<&str>) -> String {
    let lower = message.unwrap_or("").to_ascii_lowercase();
    let fix = match vendor {
        Vendor::CryptoCompare => {
            "set CRYPTOCOMPARE_API_KEY to a valid CryptoCompare key, or unset it to use CoinGecko alone"
        }
        // CoinGecko error 10010: a pro key sent to the public host.
        Vendor::CoinGecko(_) if code == Some(10010) || lower.contains("pro-api.coingecko.com") => {
            "this is a Pro key sent to api.coingecko.com: set it as COINGECKO_PRO_API_KEY so coinlens uses pro-api.coingecko.com"
        }
        // CoinGecko error 10011: a demo key sent to the pro host.
        Vendor::CoinGecko(_) if code == Some(10011) || lower.contains("demo") => {
            "this is a Demo key sent to pro-api.coingecko.com: set it as COINGECKO_API_KEY instead of COINGECKO_PRO_API_KEY"
        }
        Vendor::CoinGecko(CoinGeckoPlan::Public) => {
            "this request needs a key: set COINGECKO_API_KEY to a free CoinGecko demo key"
        }
        Vendor::CoinGecko(CoinGeckoPlan::Demo) => {
            "check COINGECKO_API_KEY: the demo key for api.coingecko.com was rejected"
        }
        Vendor::CoinGecko(CoinGeckoPlan::Pro) => {
            "check COINGECKO_PRO_API_KEY: the pro key for pro-api.coingecko.com was rejected"
        }
    };
    match message {
        Some(message) => format!("{fix} (server message: {message})"),
        None => fix.to_string(),
    }
}

/// Turns a response into `Ok(())` when its body is usable data, else into
/// the matching error.
pub fn classify(
    vendor: Vendor,
    host: &str,
    path: &str,
    info: &ResponseInfo<'_>,
) -> Result<(), MarketError> {
    let trimmed = info.body.trim_start();
    let looks_json =
        info.content_type.contains("json") || trimmed.starts_with('{') || trimmed.starts_with('[');
    let json: Option<Value> = if looks_json {
        serde_json::from_str(info.body).ok()
    } else {
        None
    };
    let lower = info.body.to_ascii_lowercase();
    let host_string = || host.to_string();
    let blocked_page = json.is_none()
        && contains_any(
            &lower,
            &[
                "access denied",
                "attention required",
                "forbidden",
                "blocked",
            ],
        );
    let throttle_text = contains_any(
        &lower,
        &[
            "too many requests",
            "rate limit",
            "throttl",
            "error code: 1015",
        ],
    );

    match info.status {
        200..=299 => match &json {
            Some(root) => match vendor {
                Vendor::CryptoCompare => match cryptocompare_error(root, host) {
                    Some(MarketError::Api { message, .. })
                        if contains_any(
                            &message.to_ascii_lowercase(),
                            &["api key", "auth key"],
                        ) =>
                    {
                        Err(MarketError::Unauthorized {
                            host: host_string(),
                            hint: unauthorized_hint(vendor, None, Some(&message)),
                        })
                    }
                    Some(error) => Err(error),
                    None => Ok(()),
                },
                Vendor::CoinGecko(_) => Ok(()),
            },
            None if blocked_page => Err(MarketError::Blocked {
                host: host_string(),
            }),
            None if throttle_text => Err(MarketError::RateLimited {
                host: host_string(),
                retry_after: info.retry_after,
            }),
            None => Err(MarketError::BadBody {
                url_path: path.to_string(),
                snippet: snippet(info.body),
            }),
        },
        429 => Err(MarketError::RateLimited {
            host: host_string(),
            retry_after: info.retry_after,
        }),
        401 | 403 if blocked_page => Err(MarketError::Blocked {
            host: host_string(),
        }),
        401 | 403 if throttle_text => Err(MarketError::RateLimited {
            host: host_string(),
            retry_after: info.retry_after,
        }),
        401 | 403 => {
            let message = json.as_ref().and_then(json_error_message);
            let code = json.as_ref().and_then(coingecko_error_code);
            Err(MarketError::Unauthorized {
                host: host_string(),
                hint: unauthorized_hint(vendor, code, message.as_deref()),
            })
        }
        404 => Err(MarketError::NotFound {
            what: format!("{path} on {host}"),
        }),
        500..=599 => Err(MarketError::Server {
            host: host_string(),
            status: info.status,
        }),
        status => {
            let detail = json
                .as_ref()
                .and_then(json_error_message)
                .unwrap_or_else(|| snippet(info.body));
            Err(MarketError::Api {
                host: host_string(),
                message: format!("HTTP {status} for {path}: {detail}"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GECKO: Vendor = Vendor::CoinGecko(CoinGeckoPlan::Public);

    fn response(
        status: u16,
        content_type: &'static str,
        body: &'static str,
    ) -> ResponseInfo<'static> {
        ResponseInfo {
            status,
            content_type,
            retry_after: None,
            body,
        }
    }

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn html_on_200_is_bad_body() {
        let info = response(200, "text/html", "<html><body>maintenance</body></html>");
        let error = classify(GECKO, "h", "/ping", &info).unwrap_err();
        assert!(matches!(error, MarketError::BadBody { ref url_path, .. } if url_path == "/ping"));
    }

    #[test]
    fn pro_key_on_public_host_hint() {
        let body = r#"{"status":{"error_code":10010,"error_message":"If you are using Pro API key, please change your root URL from api.coingecko.com to pro-api.coingecko.com"}}"#;
        let info = response(401, "application/json", body);
        let error =
            classify(Vendor::CoinGecko(CoinGeckoPlan::Demo), "h", "/ping", &info).unwrap_err();
        let MarketError::Unauthorized { hint, .. } = error else {
            panic!("expected Unauthorized, got {error:?}");
        };
        assert!(hint.contains("COINGECKO_PRO_API_KEY"), "{hint}");
    }

    #[test]
    fn unprocessable_entity_is_api_error() {
        let info = response(
            422,
            "application/json",
            r#"{"error":"Missing parameter vs_currency"}"#,
        );
        let error = classify(GECKO, "h", "/coins/markets", &info).unwrap_err();
        assert!(
            matches!(error, MarketError::Api { ref message, .. } if message.contains("vs_currency"))
        );
    }

    #[test]
    fn server_error_status_is_kept() {
        let info = response(
            500,
            "application/json",
            r#"{"status":500,"error":"Internal Server Error"}"#,
        );
        let error = classify(GECKO, "h", "/x", &info).unwrap_err();
        assert_eq!(
            error,
            MarketError::Server {
                host: "h".into(),
                status: 500
            }
        );
    }
}
