//! CryptoCompare client: daily OHLCV from `/data/v2/histoday`, paged
//! backwards with `toTs`.

use super::error::MarketError;
use super::http::{HttpHost, Vendor};
use super::parse::parse_histoday;
use super::settings::MarketSettings;
use super::types::History;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Most rows CryptoCompare returns per histoday call.
pub const MAX_LIMIT: i64 = 2000;
/// Pages fetched at most for one coin: 10 × 2000 days reaches back to 1970.
const MAX_PAGES: usize = 10;
const SECONDS_PER_DAY: i64 = 86_400;

/// Client of the CryptoCompare host; only built when a key is set.
#[derive(Debug)]
pub struct CryptoCompareClient {
    http: HttpHost,
    vs_currency: String,
}

impl CryptoCompareClient {
    pub fn new(settings: &MarketSettings) -> Result<Self, MarketError> {
        let http = HttpHost::new(
            settings.cryptocompare_url(),
            Vendor::CryptoCompare,
            settings.cryptocompare_key.clone(),
            settings.cryptocompare_limit,
            settings.retry,
            &settings.user_agent,
        )?;
        Ok(Self {
            http,
            vs_currency: settings.vs_currency.to_uppercase(),
        })
    }

    /// Returns the underlying host, for request counts and limiter state.
    pub fn http(&self) -> &HttpHost {
        &self.http
    }

    /// Fetches daily OHLCV candles of `symbol` dated after `since` (all
    /// available when `None`) up to and including `up_to`.
    ///
    /// Candles after `up_to` are dropped, which drops today's still-open
    /// candle when `up_to` is the last complete day. Pages overlap at their
    /// boundary, so candles are deduplicated by date. Paging stops at the
    /// all-zero rows before the coin's listing, at a short page, or at `since`.
    pub async fn daily_history(
        &self,
        symbol: &str,
        since: Option<NaiveDate>,
        up_to: NaiveDate,
    ) -> Result<History, MarketError> {
        let symbol = symbol.to_uppercase();
        let wanted_days = since.map(|since| (up_to - since).num_days().max(1));
        let mut to_ts = up_to
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp())
            .unwrap_or_default();
        let mut by_date = BTreeMap::new();

        for _ in 0..MAX_PAGES {
            let limit = wanted_days.map_or(MAX_LIMIT, |days| days.min(MAX_LIMIT));
            let query = [
                ("fsym", symbol.clone()),
                ("tsym", self.vs_currency.clone()),
                ("limit", limit.to_string()),
                ("toTs", to_ts.to_string()),
            ];
            let body = self.http.get("/data/v2/histoday", &query).await?;
            let page = parse_histoday(&body, "/data/v2/histoday", self.http.host())?;
            let earliest = page.candles.first().map(|c| c.date);
            for candle in page.candles {
                by_date.insert(candle.date, candle);
            }

            // CryptoCompare returns limit + 1 rows for a full page.
            let short_page = (page.row_count as i64) <= limit;
            let reached_since =
                matches!((since, earliest), (Some(since), Some(first)) if first <= since);
            let Some(time_from) = page.time_from else {
                break;
            };
            if page.reached_listing || short_page || reached_since || time_from >= to_ts {
                break;
            }
            to_ts = time_from - SECONDS_PER_DAY;
        }

        let history = by_date
            .into_values()
            .filter(|c| c.date <= up_to && since.is_none_or(|since| c.date > since))
            .collect();
        Ok(history)
    }
}
