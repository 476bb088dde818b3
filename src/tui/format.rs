//! Number, percentage and age formatting for table cells.
//!
//! Every formatter of an optional value returns "—" for a missing or
//! non-finite value, so a table never shows `NaN` or an empty cell where the
//! source had no data.

use chrono::TimeDelta;

/// The cell text for a value the source did not provide.
pub const MISSING: &str = "—";

/// Significant digits shown for prices below 1.
const SMALL_PRICE_DIGITS: i32 = 4;

/// Formats a price in the quote currency without scientific notation.
///
/// Below 1 the price keeps 4 significant digits (`0.000006423`), from 1 up to
/// a million it gets thousands separators and 2 decimals (`34,235.19`), and
/// above that it is compact (`1.23B`).
pub fn price(value: Option<f64>) -> String {
    let Some(value) = value.filter(|v| v.is_finite()) else {
        return MISSING.to_string();
    };
    let magnitude = value.abs();
    if magnitude == 0.0 {
        return "0".to_string();
    }
    if magnitude >= 1e6 {
        return compact(Some(value));
    }
    if magnitude >= 1.0 {
        return with_thousands(value, 2);
    }

    // Decimals needed so the first significant digit and 3 more are visible.
    let leading_zeros = -magnitude.log10().floor() as i32 - 1;
    let decimals = (leading_zeros + SMALL_PRICE_DIGITS).clamp(0, 30) as usize;
    let text = format!("{value:.decimals$}");
    trim_fraction_zeros(&text)
}

/// Formats a large amount such as a market cap or volume: `641.90B`, `1.23T`,
/// `12.3K`, or the plain number below a thousand.
pub fn compact(value: Option<f64>) -> String {
    let Some(value) = value.filter(|v| v.is_finite()) else {
        return MISSING.to_string();
    };
    let magnitude = value.abs();
    let (scaled, suffix, decimals) = if magnitude >= 1e12 {
        (value / 1e12, "T", 2)
    } else if magnitude >= 1e9 {
        (value / 1e9, "B", 2)
    } else if magnitude >= 1e6 {
        (value / 1e6, "M", 2)
    } else if magnitude >= 1e3 {
        (value / 1e3, "K", 1)
    } else {
        return with_thousands(value, 2);
    };
    format!("{scaled:.decimals$}{suffix}")
}

/// Formats a percentage that is already in percent units: `+5.23%`, `-0.40%`.
pub fn percent(value: Option<f64>) -> String {
    match value.filter(|v| v.is_finite()) {
        Some(v) => format!("{v:+.2}%"),
        None => MISSING.to_string(),
    }
}

/// Formats a fraction as a signed percentage: 0.0523 becomes `+5.23%`.
pub fn fraction_as_percent(value: Option<f64>) -> String {
    percent(value.map(|v| v * 100.0))
}

/// Formats a model feature value, whose unit depends on the feature:
/// compact from a thousand up, 2 decimals from 1, 4 decimals below.
pub fn feature_value(value: f64) -> String {
    if !value.is_finite() {
        return MISSING.to_string();
    }
    let magnitude = value.abs();
    if magnitude >= 1e3 {
        compact(Some(value))
    } else if magnitude >= 1.0 || magnitude == 0.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.4}")
    }
}

/// Formats a probability in [0, 1] as a whole percentage: `42%`.
pub fn probability(value: Option<f64>) -> String {
    match value.filter(|v| v.is_finite()) {
        Some(v) => format!("{:.0}%", v * 100.0),
        None => MISSING.to_string(),
    }
}

/// Formats a duration as its two largest units: `45s`, `12m`, `3h 05m`, `2d 4h`.
/// A negative duration (a clock behind the data) reads as `0s`.
pub fn age(duration: TimeDelta) -> String {
    let seconds = duration.num_seconds().max(0);
    let (days, hours) = (seconds / 86_400, seconds % 86_400 / 3_600);
    let (minutes, secs) = (seconds % 3_600 / 60, seconds % 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m")
    } else {
        format!("{secs}s")
    }
}

fn with_thousands(value: f64, decimals: usize) -> String {
    let text = format!("{:.decimals$}", value.abs());
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text.as_str(), None),
    };

    let mut grouped = String::with_capacity(text.len() + whole.len() / 3 + 1);
    if value < 0.0 {
        grouped.push('-');
    }
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if let Some(fraction) = fraction {
        grouped.push('.');
        grouped.push_str(fraction);
    }
    grouped
}

fn trim_fraction_zeros(text: &str) -> String {
    if !text.contains('.') {
        return text.to_string();
    }
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_across_magnitudes() {
        let cases = [
            (1e-12, "0.000000000001"),
            (1.234_567e-9, "0.000000001235"),
            (0.000_006_423, "0.000006423"),
            (0.000_123_4, "0.0001234"),
            (0.052_31, "0.05231"),
            (0.5, "0.5"),
            (0.999_84, "0.9998"),
            (1.0, "1.00"),
            (12.345, "12.35"),
            (999.999, "1,000.00"),
            (34_235.19, "34,235.19"),
            (999_999.0, "999,999.00"),
            (1_234_567.0, "1.23M"),
            (641.9e9, "641.90B"),
            (1.23e12, "1.23T"),
        ];
        for (value, expected) in cases {
            assert_eq!(price(Some(value)), expected, "price of {value:e}");
        }
    }

    #[test]
    fn price_never_uses_exponent() {
        let mut value = 1e-12;
        while value <= 1e12 {
            let text = price(Some(value));
            assert!(!text.contains('e'), "{value:e} formatted as {text}");
            value *= 7.3;
        }
    }

    #[test]
    fn price_missing_zero_negative() {
        assert_eq!(price(None), MISSING);
        assert_eq!(price(Some(f64::NAN)), MISSING);
        assert_eq!(price(Some(0.0)), "0");
        assert_eq!(price(Some(-1234.5)), "-1,234.50");
    }

    #[test]
    fn feature_value_scales() {
        assert_eq!(feature_value(71.234), "71.23");
        assert_eq!(feature_value(-0.01234), "-0.0123");
        assert_eq!(feature_value(0.0), "0.00");
        assert_eq!(feature_value(12_345.0), "12.3K");
        assert_eq!(feature_value(f64::NAN), MISSING);
    }

    #[test]
    fn compact_suffixes() {
        assert_eq!(compact(Some(12_345.0)), "12.3K");
        assert_eq!(compact(Some(999.0)), "999.00");
        assert_eq!(compact(Some(5.5e6)), "5.50M");
        assert_eq!(compact(Some(641.9e9)), "641.90B");
        assert_eq!(compact(Some(1.23e12)), "1.23T");
        assert_eq!(compact(None), MISSING);
    }

    #[test]
    fn percent_has_sign() {
        assert_eq!(percent(Some(5.234)), "+5.23%");
        assert_eq!(percent(Some(-0.4)), "-0.40%");
        assert_eq!(percent(None), MISSING);
        assert_eq!(fraction_as_percent(Some(0.0523)), "+5.23%");
        assert_eq!(probability(Some(0.421)), "42%");
    }

    #[test]
    fn age_units() {
        assert_eq!(age(TimeDelta::seconds(45)), "45s");
        assert_eq!(age(TimeDelta::minutes(12)), "12m");
        assert_eq!(age(TimeDelta::minutes(185)), "3h 05m");
        assert_eq!(age(TimeDelta::hours(52)), "2d 4h");
        assert_eq!(age(TimeDelta::seconds(-5)), "0s");
    }
}
