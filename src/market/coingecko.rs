//! CoinGecko client: `/ping`, the paged `/coins/markets` listing and daily
//! `/coins/{id}/market_chart` histories.

use super::error::MarketError;
use super::http::{HttpHost, Vendor};
use super::parse::{parse_market_chart, parse_markets};
use super::settings::{CoinGeckoPlan, MarketSettings};
use super::types::{Coin, History};
use std::collections::HashSet;

/// Largest page CoinGecko serves for `/coins/markets`.
pub const MAX_PAGE_SIZE: usize = 250;

/// How much daily history to request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryDays {
    /// As much as the plan allows (`days=max` on pro, 365 days otherwise).
    All,
    /// The last `n` days up to now.
    Last(u32),
}

/// Client of one CoinGecko host.
#[derive(Debug)]
pub struct CoinGeckoClient {
    http: HttpHost,
    plan: CoinGeckoPlan,
    vs_currency: String,
    page_size: usize,
    coin_count: usize,
}

impl CoinGeckoClient {
    /// Creates the client for the settings' plan, key and base URL.
    pub fn new(settings: &MarketSettings) -> Result<Self, MarketError> {
        let plan = settings.coingecko_plan;
        let http = HttpHost::new(
            settings.coingecko_url(),
            Vendor::CoinGecko(plan),
            settings.coingecko_key.clone(),
            settings.coingecko_host_limit(),
            settings.retry,
            &settings.user_agent,
        )?;
        Ok(Self {
            http,
            plan,
            vs_currency: settings.vs_currency.to_lowercase(),
            page_size: settings.coingecko_page_size.clamp(1, MAX_PAGE_SIZE),
            coin_count: settings.coin_count,
        })
    }

    /// Returns the underlying host, for request counts and limiter state.
    pub fn http(&self) -> &HttpHost {
        &self.http
    }

    /// Checks that the host responds to `/ping`.
    pub async fn ping(&self) -> Result<(), MarketError> {
        let body = self.http.get("/ping", &[]).await?;
        if body.contains("gecko_says") {
            Ok(())
        } else {
            Err(MarketError::BadBody {
                url_path: "/ping".to_string(),
                snippet: super::error::snippet(&body),
            })
        }
    }

    /// Lists the first `coin_count` coins by market cap, page by page. Paging
    /// stops at a short page or once enough coins arrived. A coin that moved
    /// between pages while paging is kept once, at its first position.
    pub async fn markets(&self) -> Result<Vec<Coin>, MarketError> {
        let mut coins: Vec<Coin> = Vec::with_capacity(self.coin_count);
        let mut seen = HashSet::new();
        let mut page = 1usize;
        while coins.len() < self.coin_count {
            let query = [
                ("vs_currency", self.vs_currency.clone()),
                ("order", "market_cap_desc".to_string()),
                ("per_page", self.page_size.to_string()),
                ("page", page.to_string()),
                ("sparkline", "false".to_string()),
                ("price_change_percentage", "7d,30d".to_string()),
            ];
            let body = self.http.get("/coins/markets", &query).await?;
            let rows = parse_markets(&body, "/coins/markets")?;
            let row_count = rows.len();
            coins.extend(rows.into_iter().filter(|coin| seen.insert(coin.id.clone())));
            if row_count < self.page_size {
                break;
            }
            page += 1;
        }
        coins.truncate(self.coin_count);
        tracing::info!(coins = coins.len(), pages = page, host = %self.http.host(), "fetched coin markets");
        Ok(coins)
    }

    /// Fetches the daily history of coin `id`; see
    /// [`parse_market_chart`] for how chart points become candles.
    pub async fn daily_history(&self, id: &str, days: HistoryDays) -> Result<History, MarketError> {
        let valid_id = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid_id {
            return Err(MarketError::NotFound {
                what: format!("coin id {id:?}"),
            });
        }
        let days = match days {
            HistoryDays::Last(n) => n.max(1).to_string(),
            HistoryDays::All if self.plan == CoinGeckoPlan::Pro => "max".to_string(),
            // NOTE: CoinGecko's public and demo plans are understood to serve
            // at most 365 days since 2024, so `days=max` is sent only on pro.
            // This was not checked against the live service.
            HistoryDays::All => "365".to_string(),
        };
        let path = format!("/coins/{id}/market_chart");
        let query = [
            ("vs_currency", self.vs_currency.clone()),
            ("days", days),
            ("interval", "daily".to_string()),
        ];
        let body = self.http.get(&path, &query).await?;
        parse_market_chart(&body, &path)
    }
}
