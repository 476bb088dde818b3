//! Row selection and order for each view: view membership, the text filter
//! and the sort, as pure functions over the app's data.

use crate::analysis::ScoredCoin;
use crate::market::Coin;
use crate::ml::agent::SignalAction;
use std::cmp::Ordering;

/// The four tables, switched with Tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    Coins,
    Predictions,
    Gems,
    Favourites,
}

impl View {
    pub const ALL: [View; 4] = [View::Coins, View::Predictions, View::Gems, View::Favourites];

    pub fn title(self) -> &'static str {
        match self {
            View::Coins => "Coins",
            View::Predictions => "Predictions",
            View::Gems => "Gems",
            View::Favourites => "Favourites",
        }
    }

    pub fn index(self) -> usize {
        View::ALL.iter().position(|v| *v == self).unwrap_or(0)
    }

    pub fn next(self) -> View {
        View::ALL[(self.index() + 1) % View::ALL.len()]
    }

    pub fn previous(self) -> View {
        View::ALL[(self.index() + View::ALL.len() - 1) % View::ALL.len()]
    }

    /// The order a view opens in: predictions by predicted return, gems by
    /// gem probability, the others by market-cap rank.
    pub fn default_sort(self) -> Sort {
        match self {
            View::Coins | View::Favourites => Sort::new(SortColumn::Rank),
            View::Predictions => Sort::new(SortColumn::Predicted),
            View::Gems => Sort::new(SortColumn::GemProbability),
        }
    }
}

/// A sortable table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Rank,
    Name,
    Symbol,
    Price,
    Change24h,
    Change7d,
    MarketCap,
    Volume,
    Predicted,
    GemProbability,
    Score,
    /// The agent's advice as a number: buy is +value, sell is -value, hold is 0.
    Signal,
}

impl SortColumn {
    pub const ALL: [SortColumn; 12] = [
        SortColumn::Rank,
        SortColumn::Name,
        SortColumn::Symbol,
        SortColumn::Price,
        SortColumn::Change24h,
        SortColumn::Change7d,
        SortColumn::MarketCap,
        SortColumn::Volume,
        SortColumn::Predicted,
        SortColumn::GemProbability,
        SortColumn::Score,
        SortColumn::Signal,
    ];

    pub fn next(self) -> SortColumn {
        let index = SortColumn::ALL.iter().position(|c| *c == self).unwrap_or(0);
        SortColumn::ALL[(index + 1) % SortColumn::ALL.len()]
    }

    /// Rank and text columns read best ascending, amounts and returns descending.
    fn natural_descending(self) -> bool {
        !matches!(
            self,
            SortColumn::Rank | SortColumn::Name | SortColumn::Symbol
        )
    }
}

/// A sort column and direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: SortColumn,
    pub descending: bool,
}

impl Sort {
    /// Sorts by `column` in its natural direction.
    pub fn new(column: SortColumn) -> Self {
        Self {
            column,
            descending: column.natural_descending(),
        }
    }
}

/// One table row: the coin, its scores when scored, and whether it is a favourite.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub coin: &'a Coin,
    pub scored: Option<&'a ScoredCoin>,
    pub favorite: bool,
}

impl Row<'_> {
    fn number(&self, column: SortColumn) -> Option<f64> {
        let coin = self.coin;
        let value =
            match column {
                SortColumn::Rank => coin.market_cap_rank.map(f64::from),
                SortColumn::Price => coin.current_price,
                SortColumn::Change24h => coin.price_change_percentage_24h,
                SortColumn::Change7d => coin.price_change_percentage_7d,
                SortColumn::MarketCap => coin.market_cap,
                SortColumn::Volume => coin.total_volume,
                SortColumn::Predicted => self.scored.and_then(|s| s.predicted_return_7d),
                SortColumn::GemProbability => self.scored.and_then(|s| s.gem_probability),
                SortColumn::Score => self.scored.and_then(|s| s.real_score()),
                SortColumn::Signal => self.scored.and_then(|s| s.signal).map(|signal| match signal
                    .action
                {
                    SignalAction::Buy => signal.value,
                    SignalAction::Sell => -signal.value,
                    SignalAction::Hold => 0.0,
                }),
                SortColumn::Name | SortColumn::Symbol => None,
            };
        value.filter(|v| v.is_finite())
    }

    /// Returns true when the filter text (already lower-case) is part of the
    /// coin's name or symbol, ignoring case.
    pub fn matches_filter(&self, filter_lower: &str) -> bool {
        filter_lower.is_empty()
            || self.coin.name.to_lowercase().contains(filter_lower)
            || self.coin.symbol.to_lowercase().contains(filter_lower)
    }

    pub fn belongs_to(&self, view: View) -> bool {
        match view {
            View::Coins | View::Predictions => true,
            View::Gems => self.scored.is_some_and(|s| s.is_gem),
            View::Favourites => self.favorite,
        }
    }
}

/// Sorts rows in place. Rows without a value for the column go last in
/// either direction, and ties keep market-cap order so the table is stable.
pub fn sort_rows(rows: &mut [Row<'_>], sort: Sort) {
    rows.sort_by(|a, b| {
        let primary = match sort.column {
            SortColumn::Name => Some(compare_text(&a.coin.name, &b.coin.name)),
            SortColumn::Symbol => Some(compare_text(&a.coin.symbol, &b.coin.symbol)),
            column => match (a.number(column), b.number(column)) {
                (Some(x), Some(y)) => Some(x.total_cmp(&y)),
                (Some(_), None) => return Ordering::Less,
                (None, Some(_)) => return Ordering::Greater,
                (None, None) => None,
            },
        };
        let directed = match primary {
            Some(order) if sort.descending => order.reverse(),
            Some(order) => order,
            None => Ordering::Equal,
        };
        directed.then_with(|| compare_rank(a, b))
    });
}

fn compare_text(a: &str, b: &str) -> Ordering {
    a.to_lowercase().cmp(&b.to_lowercase())
}

fn compare_rank(a: &Row<'_>, b: &Row<'_>) -> Ordering {
    match (a.coin.market_cap_rank, b.coin.market_cap_rank) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.coin.id.cmp(&b.coin.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coin(id: &str, name: &str, rank: Option<u32>, price: Option<f64>) -> Coin {
        Coin {
            id: id.to_string(),
            symbol: id[..3].to_string(),
            name: name.to_string(),
            current_price: price,
            market_cap_rank: rank,
            ..Coin::default()
        }
    }

    fn rows(coins: &[Coin]) -> Vec<Row<'_>> {
        coins
            .iter()
            .map(|coin| Row {
                coin,
                scored: None,
                favorite: false,
            })
            .collect()
    }

    fn ids(rows: &[Row<'_>]) -> Vec<String> {
        rows.iter().map(|r| r.coin.id.clone()).collect()
    }

    #[test]
    fn missing_values_sort_last_both_ways() {
        let coins = vec![
            coin("aaa", "Alpha", Some(2), None),
            coin("bbb", "Beta", Some(1), Some(5.0)),
            coin("ccc", "Gamma", None, Some(1.0)),
        ];
        let mut table = rows(&coins);

        sort_rows(&mut table, Sort::new(SortColumn::Price));
        assert_eq!(ids(&table), ["bbb", "ccc", "aaa"]);

        sort_rows(
            &mut table,
            Sort {
                column: SortColumn::Price,
                descending: false,
            },
        );
        assert_eq!(ids(&table), ["ccc", "bbb", "aaa"]);

        sort_rows(&mut table, Sort::new(SortColumn::Rank));
        assert_eq!(ids(&table), ["bbb", "aaa", "ccc"]);
    }

    #[test]
    fn name_sort_ignores_case() {
        let coins = vec![
            coin("ccc", "gamma", Some(1), None),
            coin("aaa", "Alpha", Some(2), None),
            coin("bbb", "beta", Some(3), None),
        ];
        let mut table = rows(&coins);
        sort_rows(&mut table, Sort::new(SortColumn::Name));
        assert_eq!(ids(&table), ["aaa", "bbb", "ccc"]);
        sort_rows(
            &mut table,
            Sort {
                column: SortColumn::Name,
                descending: true,
            },
        );
        assert_eq!(ids(&table), ["ccc", "bbb", "aaa"]);
    }

    #[test]
    fn filter_matches_name_or_symbol() {
        let coins = vec![coin("bitcoin", "Bitcoin", Some(1), None)];
        let row = rows(&coins)[0];
        assert!(row.matches_filter("coin"));
        assert!(row.matches_filter("bit"));
        assert!(row.matches_filter(""));
        assert!(!row.matches_filter("eth"));
    }

    #[test]
    fn sort_column_cycles() {
        let mut column = SortColumn::Rank;
        for _ in 0..SortColumn::ALL.len() {
            column = column.next();
        }
        assert_eq!(column, SortColumn::Rank);
    }
}
