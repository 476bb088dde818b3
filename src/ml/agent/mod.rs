//! A tabular Q-learning agent that decides each day whether to hold a coin
//! or cash, and its out-of-sample backtest.
//!
//! The state is the RSI(14) zone, the MACD histogram sign, the close
//! against its 50-day SMA, the price model's predicted 7-day return bucket
//! and the current position ([`state`]). The reward of a day is the
//! position's next-day log return, minus ln(1 / (1 - fee)) on a switch.
//! Training uses days before a split date and the backtest days from that
//! date on, so the agent is evaluated out of sample.

pub mod backtest;
mod episode;
mod learn;
pub mod rng;
pub mod state;

pub use backtest::{
    backtest, BacktestReport, CoinBacktest, Comparison, OverallBacktest, StrategyResult,
};
pub use episode::{episode_from_series, AgentStep, Episode};
pub use learn::{train, AgentError, AgentParams, QAgent, Signal, SignalAction};
pub use state::Action;
