//! Chronological train/test splits with an embargo.

use super::dataset::RowKey;
use chrono::{Duration, NaiveDate};

/// Row indices of one split, and the dates that bound it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
    /// First day of the test period; training rows end `embargo_days` before it.
    pub test_start: Option<NaiveDate>,
}

/// Splits labelled rows by date: the last `test_fraction` of the distinct
/// days is the test period. A training row is kept only when its label
/// window (`embargo_days` long) ends before the test period starts, so no
/// training label overlaps a test day. Rows are never shuffled across time.
pub fn chronological_split(
    keys: &[RowKey],
    labelled: impl Fn(usize) -> bool,
    test_fraction: f64,
    embargo_days: i64,
) -> Split {
    let mut dates: Vec<NaiveDate> = keys
        .iter()
        .enumerate()
        .filter(|(index, _)| labelled(*index))
        .map(|(_, key)| key.date)
        .collect();
    dates.sort_unstable();
    dates.dedup();
    if dates.len() < 2 {
        return Split::default();
    }

    let test_days = ((dates.len() as f64) * test_fraction.clamp(0.0, 1.0)).round() as usize;
    let test_days = test_days.clamp(1, dates.len() - 1);
    let test_start = dates[dates.len() - test_days];
    let train_end = test_start - Duration::days(embargo_days);

    let mut split = Split {
        test_start: Some(test_start),
        ..Split::default()
    };
    for (index, key) in keys.iter().enumerate() {
        if !labelled(index) {
            continue;
        }
        if key.date >= test_start {
            split.test.push(index);
        } else if key.date < train_end {
            split.train.push(index);
        }
    }
    split
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(days: u32, coins: usize) -> Vec<RowKey> {
        let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        (0..days)
            .flat_map(|day| {
                (0..coins).map(move |coin| RowKey {
                    coin,
                    date: start + Duration::days(day as i64),
                })
            })
            .collect()
    }

    #[test]
    fn train_ends_an_embargo_before_test() {
        let keys = keys(100, 3);
        let split = chronological_split(&keys, |_| true, 0.2, 7);
        let test_start = split.test_start.unwrap();

        let last_train = split.train.iter().map(|i| keys[*i].date).max().unwrap();
        let first_test = split.test.iter().map(|i| keys[*i].date).min().unwrap();
        assert_eq!(first_test, test_start);
        assert!(
            last_train + Duration::days(7) < test_start,
            "{last_train} vs {test_start}"
        );
        assert_eq!(split.test.len(), 20 * 3);
        assert_eq!(split.train.len(), (80 - 7) * 3);
    }

    #[test]
    fn unlabelled_rows_are_left_out() {
        let keys = keys(50, 2);
        let split = chronological_split(&keys, |i| keys[i].coin == 0, 0.2, 0);
        assert!(split
            .train
            .iter()
            .chain(&split.test)
            .all(|i| keys[*i].coin == 0));
    }

    #[test]
    fn too_few_days_give_an_empty_split() {
        let keys = keys(1, 5);
        assert_eq!(
            chronological_split(&keys, |_| true, 0.2, 0),
            Split::default()
        );
    }
}
