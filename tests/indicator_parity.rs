//! Each indicator against TA-Lib's values for daily BTC candles (2014-09-17 to
//! 2025-02-11), read with its OHLCV input from the shared reference CSV.

use coinlens::features::indicators as ind;
use std::collections::HashMap;
use std::sync::OnceLock;

const REFERENCE_CSV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/reference/btc_indicators_reference.csv"
);

/// Maximum relative difference allowed after the warm-up.
const TOLERANCE: f64 = 1e-9;

fn reference() -> &'static HashMap<String, Vec<f64>> {
    static COLUMNS: OnceLock<HashMap<String, Vec<f64>>> = OnceLock::new();
    COLUMNS.get_or_init(|| {
        let text = std::fs::read_to_string(REFERENCE_CSV).unwrap_or_else(|error| {
            panic!("reference CSV {REFERENCE_CSV} is missing or unreadable: {error}")
        });
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .next()
            .unwrap_or_default()
            .split(',')
            .map(str::to_owned)
            .collect();
        let mut columns: HashMap<String, Vec<f64>> = header
            .iter()
            .map(|name| (name.clone(), Vec::new()))
            .collect();
        for (line_number, line) in lines.enumerate() {
            for (name, cell) in header.iter().zip(line.split(',')) {
                if name == "date" {
                    continue;
                }
                let value = if cell.is_empty() {
                    f64::NAN
                } else {
                    cell.parse().unwrap_or_else(|_| {
                        panic!("invalid number {cell:?} in column {name}, data row {line_number}")
                    })
                };
                columns.entry(name.clone()).or_default().push(value);
            }
        }
        columns
    })
}

fn input(name: &str) -> &'static [f64] {
    reference()
        .get(name)
        .unwrap_or_else(|| panic!("column {name} not in {REFERENCE_CSV}"))
}

/// Checks the first valid row and every value of `got` against `column`.
fn assert_matches(column: &str, expected_first_valid: usize, got: &[f64]) {
    let want = input(column);
    assert_eq!(got.len(), want.len(), "{column}: output length");
    let first_valid = |values: &[f64]| values.iter().position(|v| !v.is_nan());
    assert_eq!(
        first_valid(want),
        Some(expected_first_valid),
        "{column}: reference first valid row"
    );
    assert_eq!(
        first_valid(got),
        Some(expected_first_valid),
        "{column}: computed first valid row"
    );
    for (row, (&g, &w)) in got.iter().zip(want).enumerate() {
        if w.is_nan() {
            assert!(g.is_nan(), "{column} row {row}: expected NaN, computed {g}");
            continue;
        }
        let scale = w.abs().max(1e-12);
        assert!(
            (g - w).abs() / scale <= TOLERANCE,
            "{column} row {row}: expected {w}, computed {g} (relative difference {:e})",
            (g - w).abs() / scale
        );
    }
}

fn ohlcv() -> (
    &'static [f64],
    &'static [f64],
    &'static [f64],
    &'static [f64],
) {
    (input("high"), input("low"), input("close"), input("volume"))
}

#[test]
fn sma_20() {
    assert_matches("sma_20", 19, &ind::sma(input("close"), 20));
}

#[test]
fn ema_12() {
    assert_matches("ema_12", 11, &ind::ema(input("close"), 12));
}

#[test]
fn ema_26() {
    assert_matches("ema_26", 25, &ind::ema(input("close"), 26));
}

#[test]
fn rsi_14() {
    assert_matches("rsi_14", 14, &ind::rsi(input("close"), 14));
}

#[test]
fn macd_12_26_9() {
    let macd = ind::macd(input("close"), 12, 26, 9);
    assert_matches("macd_line", 33, &macd.line);
    assert_matches("macd_signal", 33, &macd.signal);
    assert_matches("macd_hist", 33, &macd.hist);
}

#[test]
fn bollinger_20_2() {
    let bands = ind::bollinger(input("close"), 20, 2.0);
    assert_matches("bb_upper_20_2", 19, &bands.upper);
    assert_matches("bb_middle_20_2", 19, &bands.middle);
    assert_matches("bb_lower_20_2", 19, &bands.lower);
}

#[test]
fn true_range() {
    let (high, low, close, _) = ohlcv();
    assert_matches("true_range", 1, &ind::true_range(high, low, close));
}

#[test]
fn atr_14() {
    let (high, low, close, _) = ohlcv();
    assert_matches("atr_14", 14, &ind::atr(high, low, close, 14));
}

#[test]
fn obv() {
    let (_, _, close, volume) = ohlcv();
    assert_matches("obv", 0, &ind::obv(close, volume));
}

#[test]
fn stochastic_14_3_3() {
    let (high, low, close, _) = ohlcv();
    let stochastic = ind::stochastic(high, low, close, 14, 3, 3);
    assert_matches("stoch_k_14_3_3", 17, &stochastic.k);
    assert_matches("stoch_d_14_3_3", 17, &stochastic.d);
}

#[test]
fn roc_10() {
    assert_matches("roc_10", 10, &ind::roc(input("close"), 10));
}

#[test]
fn williams_r_14() {
    let (high, low, close, _) = ohlcv();
    assert_matches("willr_14", 13, &ind::williams_r(high, low, close, 14));
}

#[test]
fn cci_20() {
    let (high, low, close, _) = ohlcv();
    assert_matches("cci_20", 19, &ind::cci(high, low, close, 20));
}

#[test]
fn mfi_14() {
    let (high, low, close, volume) = ohlcv();
    assert_matches("mfi_14", 14, &ind::mfi(high, low, close, volume, 14));
}

#[test]
fn directional_movement_14() {
    let (high, low, close, _) = ohlcv();
    let movement = ind::directional_movement(high, low, close, 14);
    assert_matches("plus_di_14", 14, &movement.plus_di);
    assert_matches("minus_di_14", 14, &movement.minus_di);
    assert_matches("dx_14", 14, &movement.dx);
}

#[test]
fn adx_14() {
    let (high, low, close, _) = ohlcv();
    let adx = ind::adx(high, low, close, 14);
    assert_matches("adx_14", 27, &adx.adx);
    assert_matches("plus_di_14", 14, &adx.plus_di);
    assert_matches("minus_di_14", 14, &adx.minus_di);
}
