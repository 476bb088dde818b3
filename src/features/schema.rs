//! The ordered feature names, one line of definition each, and their hash.
//!
//! Conventions for every definition below: "rows" are the candles present in
//! the history, so a rolling window of N rows skips over missing days. "Days"
//! are calendar days looked up by date, and the value is NaN when that day is
//! missing. "Warm-up" is the number of earlier rows (or days) a value
//! needs; the value is NaN before it. Ratios to price are `x / close - 1`.

/// One feature column and its definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureSpec {
    pub name: &'static str,
    /// Formula, window and warm-up in one line.
    pub doc: &'static str,
}

/// Version of the feature definitions. Raise it when a formula changes but the
/// names stay the same, so that models trained on the old formulas are rejected.
pub const SCHEMA_VERSION: u32 = 1;

macro_rules! feature_schema {
    ($($variant:ident => $name:literal: $doc:literal,)+) => {
        /// Column index of each feature, in schema order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Feature {
            $($variant,)+
        }

        /// Every feature in column order.
        pub const FEATURES: &[FeatureSpec] = &[$(FeatureSpec { name: $name, doc: $doc },)+];

        pub(crate) const NAMES: &[&str] = &[$($name,)+];
    };
}

feature_schema! {
    Return1d => "return_1d": "close / close 1 day earlier - 1; warm-up 1 day",
    Return3d => "return_3d": "close / close 3 days earlier - 1; warm-up 3 days",
    Return7d => "return_7d": "close / close 7 days earlier - 1; warm-up 7 days",
    Return14d => "return_14d": "close / close 14 days earlier - 1; warm-up 14 days",
    Return30d => "return_30d": "close / close 30 days earlier - 1; warm-up 30 days",
    Return90d => "return_90d": "close / close 90 days earlier - 1; warm-up 90 days",
    Sma7Ratio => "sma_7_ratio": "SMA(close, 7 rows) / close - 1; warm-up 6 rows",
    Sma20Ratio => "sma_20_ratio": "SMA(close, 20 rows) / close - 1; warm-up 19 rows",
    Sma50Ratio => "sma_50_ratio": "SMA(close, 50 rows) / close - 1; warm-up 49 rows",
    Sma200Ratio => "sma_200_ratio": "SMA(close, 200 rows) / close - 1; warm-up 199 rows",
    Ema12Ratio => "ema_12_ratio": "EMA(close, 12 rows, SMA seed) / close - 1; warm-up 11 rows",
    Ema26Ratio => "ema_26_ratio": "EMA(close, 26 rows, SMA seed) / close - 1; warm-up 25 rows",
    MacdLine => "macd_line_pct": "TA-Lib MACD(12, 26, 9) line / close; warm-up 33 rows",
    MacdSignal => "macd_signal_pct": "TA-Lib MACD(12, 26, 9) signal / close; warm-up 33 rows",
    MacdHist => "macd_hist_pct": "TA-Lib MACD(12, 26, 9) histogram / close; warm-up 33 rows",
    Rsi7 => "rsi_7": "Wilder RSI(close, 7 rows), 0..100; warm-up 7 rows",
    Rsi14 => "rsi_14": "Wilder RSI(close, 14 rows), 0..100; warm-up 14 rows",
    BollingerPercentB => "bb_percent_b": "(close - lower) / (upper - lower), bands SMA(20) +/- 2 population std; warm-up 19 rows",
    BollingerBandwidth => "bb_bandwidth": "(upper - lower) / middle of the same Bollinger(20, 2) bands; warm-up 19 rows",
    Atr14Pct => "atr_14_pct": "Wilder ATR(14 rows) / close; needs high and low; warm-up 14 rows",
    StochK => "stoch_k": "slow Stochastic %K (14, 3, 3), 0..100; needs high and low; warm-up 17 rows",
    StochD => "stoch_d": "slow Stochastic %D (14, 3, 3), 0..100; needs high and low; warm-up 17 rows",
    WilliamsR14 => "williams_r_14": "Williams %R(14 rows), -100..0; needs high and low; warm-up 13 rows",
    Cci20 => "cci_20": "CCI(20 rows) of the typical price (h + l + c) / 3; warm-up 19 rows",
    Mfi14 => "mfi_14": "money flow index (14 rows, plain sums), 0..100; needs high, low, volume; warm-up 14 rows",
    Adx14 => "adx_14": "Wilder ADX(14 rows), 0..100; needs high and low; warm-up 27 rows",
    PlusDi14 => "plus_di_14": "Wilder +DI(14 rows), 0..100; needs high and low; warm-up 14 rows",
    MinusDi14 => "minus_di_14": "Wilder -DI(14 rows), 0..100; needs high and low; warm-up 14 rows",
    ObvSlope14 => "obv_slope_14": "OBV change over 14 rows / volume over those rows, -1..1; warm-up 14 rows",
    Roc10 => "roc_10": "100 * (close / close 10 rows earlier - 1); warm-up 10 rows",
    Volatility7d => "volatility_7d": "sample std of daily log returns over 7 rows, not annualized; warm-up 7 rows",
    Volatility30d => "volatility_30d": "sample std of daily log returns over 30 rows, not annualized; warm-up 30 rows",
    VolumeChange1d => "volume_change_1d": "volume / volume 1 day earlier - 1; warm-up 1 day",
    VolumeChange7d => "volume_change_7d": "volume of the last 7 rows / volume of the 7 rows before - 1; warm-up 13 rows",
    VolumeZscore30 => "volume_zscore_30": "(volume - mean) / sample std of volume over 30 rows; warm-up 29 rows",
    VolumeToMarketCap => "volume_to_market_cap": "volume / market cap of the same day; no warm-up",
    Drawdown30 => "drawdown_30": "close / max close of the last 30 rows - 1, <= 0; warm-up 29 rows",
    Drawdown90 => "drawdown_90": "close / max close of the last 90 rows - 1, <= 0; warm-up 89 rows",
    AthDistance => "ath_distance": "close / max close of all rows so far - 1, <= 0; no warm-up",
    LogMarketCap => "log_market_cap": "ln(market cap); no warm-up",
    MarketCapRank => "market_cap_rank": "1 + number of coins with a larger market cap that day; no warm-up",
    MarketCapRankChange7d => "market_cap_rank_change_7d": "rank 7 days earlier - rank today, > 0 when climbing; warm-up 7 days",
    ReturnVsBtc7d => "return_vs_btc_7d": "return_7d - bitcoin's return_7d of the same day; warm-up 7 days",
    ReturnVsBtc30d => "return_vs_btc_30d": "return_30d - bitcoin's return_30d of the same day; warm-up 30 days",
    CorrelationBtc30 => "correlation_btc_30": "Pearson correlation of daily log returns with bitcoin's over 30 rows; warm-up 30 rows",
    BetaBtc30 => "beta_btc_30": "cov(coin, bitcoin) / var(bitcoin) of daily log returns over 30 rows; warm-up 30 rows",
    HighLowRangePct => "high_low_range_pct": "(high - low) / close of the same day; no warm-up",
}

impl Feature {
    /// Column index in [`FEATURES`].
    pub const fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        NAMES[self.index()]
    }
}

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Continues a 64-bit FNV-1a hash over `bytes`.
fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// Hashes the schema version and the ordered names with 64-bit FNV-1a, which
/// gives the same value on every platform, build and run.
pub fn schema_hash() -> u64 {
    let mut hash = fnv1a(FNV_OFFSET_BASIS, &SCHEMA_VERSION.to_le_bytes());
    for name in NAMES {
        hash = fnv1a(hash, name.as_bytes());
        // A separator keeps ["ab", "c"] and ["a", "bc"] apart.
        hash = fnv1a(hash, &[0]);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique() {
        let unique: HashSet<&str> = NAMES.iter().copied().collect();
        assert_eq!(
            unique.len(),
            NAMES.len(),
            "duplicate feature name in {NAMES:?}"
        );
    }

    #[test]
    fn schema_has_at_least_40_features() {
        assert!(NAMES.len() >= 40, "only {} features", NAMES.len());
    }

    #[test]
    fn every_feature_is_documented() {
        for spec in FEATURES {
            assert!(!spec.doc.is_empty(), "{} has no definition", spec.name);
            assert!(
                !spec.doc.contains('\n'),
                "{} definition spans lines",
                spec.name
            );
        }
    }

    #[test]
    fn enum_order_matches_names() {
        assert_eq!(Feature::Return1d.name(), "return_1d");
        assert_eq!(Feature::HighLowRangePct.index(), NAMES.len() - 1);
        assert_eq!(Feature::HighLowRangePct.name(), "high_low_range_pct");
    }

    #[test]
    fn fnv1a_matches_published_vectors() {
        assert_eq!(fnv1a(FNV_OFFSET_BASIS, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_OFFSET_BASIS, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(FNV_OFFSET_BASIS, b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn schema_hash_is_recorded_value() {
        // Changing a name, the order or SCHEMA_VERSION changes the hash: update
        // this literal on purpose, because saved models become unusable.
        assert_eq!(
            schema_hash(),
            0x1446_7244_1d8b_d669,
            "schema hash changed to {:#018x}",
            schema_hash()
        );
    }
}
