//! Writes a [`FeatureTable`] as CSV or JSON with every feature by name.
//!
//! Numbers use Rust's shortest round-trip form, so a reader gets back the
//! exact `f64`. A NaN is an empty CSV cell and a JSON `null`.

use super::{feature_names, FeatureTable};
use std::io::{self, Write};

/// Writes a header `date,<feature names>` and one line per day.
pub fn write_csv(table: &FeatureTable, out: &mut impl Write) -> io::Result<()> {
    write!(out, "date")?;
    for name in feature_names() {
        write!(out, ",{name}")?;
    }
    writeln!(out)?;

    for (index, date) in table.dates.iter().enumerate() {
        write!(out, "{date}")?;
        for &value in table.row(index) {
            if value.is_finite() {
                write!(out, ",{value:?}")?;
            } else {
                write!(out, ",")?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Writes a JSON array with one object per day: `date` (`YYYY-MM-DD`) and
/// every feature by name, one object per line.
pub fn write_json(table: &FeatureTable, out: &mut impl Write) -> io::Result<()> {
    write!(out, "[")?;
    for (index, date) in table.dates.iter().enumerate() {
        let separator = if index == 0 { "\n" } else { ",\n" };
        write!(out, "{separator}{{\"date\":\"{date}\"")?;
        for (name, &value) in feature_names().iter().zip(table.row(index)) {
            // Feature names are plain ASCII identifiers, so they need no escaping.
            if value.is_finite() {
                write!(out, ",\"{name}\":{value:?}")?;
            } else {
                write!(out, ",\"{name}\":null")?;
            }
        }
        write!(out, "}}")?;
    }
    writeln!(out, "\n]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn sample_table() -> FeatureTable {
        let width = feature_names().len();
        let dates = vec![
            NaiveDate::from_ymd_opt(2021, 7, 5).expect("valid date"),
            NaiveDate::from_ymd_opt(2021, 7, 6).expect("valid date"),
        ];
        let mut values = vec![f64::NAN; 2 * width];
        values[0] = 0.1;
        values[width + 1] = -2.5e-7;
        values[2 * width - 1] = 1e20;
        FeatureTable { dates, values }
    }

    #[test]
    fn csv_has_header_and_empty_nan_cells() {
        let mut out = Vec::new();
        write_csv(&sample_table(), &mut out).expect("writing to a Vec cannot fail");
        let text = String::from_utf8(out).expect("writing to a Vec cannot fail");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], format!("date,{}", feature_names().join(",")));
        let first: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(first.len(), feature_names().len() + 1);
        assert_eq!(first[0], "2021-07-05");
        assert_eq!(first[1], "0.1");
        assert_eq!(first[2], "");
        let second: Vec<&str> = lines[2].split(',').collect();
        assert_eq!(second[2].parse::<f64>().ok(), Some(-2.5e-7));
        assert_eq!(
            second.last().and_then(|v| v.parse::<f64>().ok()),
            Some(1e20)
        );
    }

    #[test]
    fn json_parses_with_nulls_for_nan() {
        let mut out = Vec::new();
        write_json(&sample_table(), &mut out).expect("writing to a Vec cannot fail");
        let parsed: serde_json::Value =
            serde_json::from_slice(&out).expect("writing to a Vec cannot fail");
        let rows = parsed
            .as_array()
            .cloned()
            .expect("writing to a Vec cannot fail");
        assert_eq!(rows.len(), 2);
        let first = &rows[0];
        assert_eq!(first["date"], "2021-07-05");
        assert_eq!(first[feature_names()[0]], 0.1);
        assert!(first[feature_names()[1]].is_null());
        assert_eq!(
            first.as_object().map(|o| o.len()),
            Some(feature_names().len() + 1)
        );
        assert_eq!(rows[1][feature_names()[1]], -2.5e-7);
    }

    #[test]
    fn empty_table_exports_header_and_empty_array() {
        let table = FeatureTable::default();
        let mut csv = Vec::new();
        write_csv(&table, &mut csv).expect("writing to a Vec cannot fail");
        assert_eq!(
            String::from_utf8(csv)
                .expect("CSV is UTF-8")
                .lines()
                .count(),
            1
        );
        let mut json = Vec::new();
        write_json(&table, &mut json).expect("writing to a Vec cannot fail");
        let parsed: serde_json::Value =
            serde_json::from_slice(&json).expect("writing to a Vec cannot fail");
        assert_eq!(parsed, serde_json::json!([]));
    }
}
