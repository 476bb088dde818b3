//! Tabular Q-learning over the discretized states, the trained agent and
//! its trading signal.

use super::episode::{AgentStep, Episode};
use super::rng::SplitMix64;
use super::state::{state_index, Action, STATE_COUNT};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Hyperparameters of the learner. The defaults are starting values chosen
/// by hand for daily crypto returns, not tuned on test data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AgentParams {
    /// Sweeps over all training episodes. Default 300.
    pub passes: usize,
    /// Learning rate α of the first update of each state and action, in
    /// (0, 1]. Default 1.0.
    pub alpha: f64,
    /// Exponent ω of the learning-rate decay, in [0, 1]: the n-th update of a
    /// state and action uses α / n^ω. Default 0.75. A constant rate (ω = 0)
    /// weights the last days of every pass most, which on daily returns
    /// leaves the policy to the noise of the last few weeks before the split.
    pub alpha_decay: f64,
    /// Discount γ per day, in [0, 1). Default 0.9, an effective horizon of
    /// about 10 days.
    pub gamma: f64,
    /// Exploration rate ε of the first pass, in [`epsilon_end`, 1]. Default 1.0.
    pub epsilon_start: f64,
    /// Exploration rate ε of the last pass, in (0, 1]. ε decays
    /// geometrically from the start value to this one. Default 0.05.
    pub epsilon_end: f64,
    /// Fee per switch between cash and coin as a fraction of the position;
    /// a switch costs ln(1 - fee_rate) in log return. Default 0.001 (0.1%).
    pub fee_rate: f64,
    pub seed: u64,
}

impl Default for AgentParams {
    fn default() -> Self {
        Self {
            passes: 300,
            alpha: 1.0,
            alpha_decay: 0.75,
            gamma: 0.9,
            epsilon_start: 1.0,
            epsilon_end: 0.05,
            fee_rate: 0.001,
            seed: 42,
        }
    }
}

impl AgentParams {
    /// Checks every parameter against its documented range.
    pub fn validate(&self) -> Result<(), AgentError> {
        let checks: [(&'static str, f64, bool, &'static str); 7] = [
            ("passes", self.passes as f64, self.passes > 0, "at least 1"),
            (
                "alpha",
                self.alpha,
                self.alpha > 0.0 && self.alpha <= 1.0,
                "in (0, 1]",
            ),
            (
                "alpha_decay",
                self.alpha_decay,
                (0.0..=1.0).contains(&self.alpha_decay),
                "in [0, 1]",
            ),
            (
                "gamma",
                self.gamma,
                (0.0..1.0).contains(&self.gamma),
                "in [0, 1)",
            ),
            (
                "epsilon_end",
                self.epsilon_end,
                self.epsilon_end > 0.0 && self.epsilon_end <= 1.0,
                "in (0, 1]",
            ),
            (
                "epsilon_start",
                self.epsilon_start,
                self.epsilon_start >= self.epsilon_end && self.epsilon_start <= 1.0,
                "in [epsilon_end, 1]",
            ),
            (
                "fee_rate",
                self.fee_rate,
                (0.0..1.0).contains(&self.fee_rate),
                "in [0, 1)",
            ),
        ];
        for (name, value, valid, expected) in checks {
            if !valid {
                return Err(AgentError::InvalidParam {
                    name,
                    value,
                    expected,
                });
            }
        }
        Ok(())
    }

    /// Log return lost on a switch between cash and coin.
    pub fn switch_cost(&self) -> f64 {
        (1.0 - self.fee_rate).ln()
    }

    /// ε of pass `pass`, decaying geometrically from `epsilon_start` to `epsilon_end`.
    fn epsilon(&self, pass: usize) -> f64 {
        if self.passes < 2 {
            return self.epsilon_start;
        }
        let progress = pass as f64 / (self.passes - 1) as f64;
        self.epsilon_start * (self.epsilon_end / self.epsilon_start).powf(progress)
    }
}

/// Errors from training the agent or checking a loaded one.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("invalid agent parameter {name} = {value}: expected {expected}")]
    InvalidParam {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error(
        "no training days before {train_until}: no episode has a day with a known next-day return \
         before that date; move the split date later or load more history"
    )]
    NoTrainingData { train_until: NaiveDate },
    #[error("saved agent has {found} Q-values, this build expects {expected}; retrain the agent")]
    WrongTableSize { found: usize, expected: usize },
}

/// Advised trade for a coin on one day, from the current position and the
/// action with the higher Q-value.
///
/// | held | best action | signal |
/// |---|---|---|
/// | cash | hold the coin | `Buy` |
/// | coin | hold cash | `Sell` |
/// | cash | hold cash | `Hold` (stay out) |
/// | coin | hold the coin | `Hold` (stay in) |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignalAction {
    Buy,
    Hold,
    Sell,
}

impl SignalAction {
    /// Lower-case name for tables and exports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Buy => "buy",
            Self::Hold => "hold",
            Self::Sell => "sell",
        }
    }
}

/// The advised action and how strongly the agent prefers it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub action: SignalAction,
    /// Q(best action) - Q(other action), never negative; 0 for a state the
    /// agent never visited in training. In units of discounted log return.
    pub value: f64,
}

/// A trained Q-table: [`STATE_COUNT`] states by 2 actions, 720 values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QAgent {
    params: AgentParams,
    train_until: NaiveDate,
    /// Q-values indexed by `state * 2 + action`.
    q: Vec<f64>,
    /// Updates per state and action, same indexing as `q`.
    visits: Vec<u32>,
}

impl QAgent {
    fn new(params: AgentParams, train_until: NaiveDate) -> Self {
        Self {
            params,
            train_until,
            q: vec![0.0; STATE_COUNT * 2],
            visits: vec![0; STATE_COUNT * 2],
        }
    }

    pub fn params(&self) -> &AgentParams {
        &self.params
    }

    /// First day the agent was not trained on; test from here.
    pub fn train_until(&self) -> NaiveDate {
        self.train_until
    }

    /// Checks that a loaded agent fits this build's state layout.
    pub fn validate(&self) -> Result<(), AgentError> {
        for found in [self.q.len(), self.visits.len()] {
            if found != STATE_COUNT * 2 {
                return Err(AgentError::WrongTableSize {
                    found,
                    expected: STATE_COUNT * 2,
                });
            }
        }
        Ok(())
    }

    /// Q-values of holding cash and holding the coin, in that order.
    pub fn q_values(&self, step: &AgentStep, in_position: bool) -> [f64; 2] {
        let state = state_index(step, in_position);
        [self.q[state * 2], self.q[state * 2 + 1]]
    }

    /// Number of training updates of each action in this state.
    pub fn visits(&self, step: &AgentStep, in_position: bool) -> [u32; 2] {
        let state = state_index(step, in_position);
        [self.visits[state * 2], self.visits[state * 2 + 1]]
    }

    /// Returns the greedy action. Ties keep the current position, so an
    /// unvisited state never pays a fee.
    pub fn action(&self, step: &AgentStep, in_position: bool) -> Action {
        self.greedy(state_index(step, in_position), in_position)
    }

    /// Computes the advice shown in the coin table and detail view (see
    /// [`SignalAction`]).
    pub fn signal(&self, step: &AgentStep, in_position: bool) -> Signal {
        let best = self.action(step, in_position);
        let [cash, coin] = self.q_values(step, in_position);
        let action = match (in_position, best) {
            (false, Action::HoldCoin) => SignalAction::Buy,
            (true, Action::HoldCash) => SignalAction::Sell,
            _ => SignalAction::Hold,
        };
        Signal {
            action,
            value: (coin - cash).abs(),
        }
    }

    fn greedy(&self, state: usize, in_position: bool) -> Action {
        let cash = self.q[state * 2];
        let coin = self.q[state * 2 + 1];
        if coin > cash {
            Action::HoldCoin
        } else if cash > coin {
            Action::HoldCash
        } else {
            Action::from_position(in_position)
        }
    }

    fn max_q(&self, state: usize) -> f64 {
        self.q[state * 2].max(self.q[state * 2 + 1])
    }
}

/// Trains an agent on the days of `episodes` dated before `train_until`.
///
/// Each pass visits the episodes in a shuffled order and walks each from
/// its first day, starting in cash or coin at random. On every day with a
/// known `log_return_next` the agent picks an action ε-greedily, earns
/// that day's log return if it holds the coin, pays
/// [`AgentParams::switch_cost`] if it switched, and updates
///
/// Q(s, a) += α_n · (r + γ · max Q(s', ·) − Q(s, a))
///
/// where s' is the next day's state and α_n = α / n^ω for the n-th update
/// of (s, a). Days with an unknown return are not
/// decided on and the position carries over them, but they still serve as
/// s' for the day before. The last day before `train_until` has no s' and
/// its target is r alone. The result depends only on the episodes, the
/// parameters and the seed.
pub fn train(
    episodes: &[Episode],
    train_until: NaiveDate,
    params: &AgentParams,
) -> Result<QAgent, AgentError> {
    params.validate()?;
    let training: Vec<&[AgentStep]> = episodes
        .iter()
        .map(|episode| episode.before(train_until))
        .filter(|steps| steps.iter().any(|step| step.log_return_next.is_finite()))
        .collect();
    if training.is_empty() {
        return Err(AgentError::NoTrainingData { train_until });
    }

    let mut agent = QAgent::new(*params, train_until);
    let mut rng = SplitMix64::new(params.seed);
    let mut order: Vec<usize> = (0..training.len()).collect();
    for pass in 0..params.passes {
        let epsilon = params.epsilon(pass);
        rng.shuffle(&mut order);
        for index in &order {
            run_episode(&mut agent, training[*index], epsilon, &mut rng);
        }
    }
    Ok(agent)
}

fn run_episode(agent: &mut QAgent, steps: &[AgentStep], epsilon: f64, rng: &mut SplitMix64) {
    let params = agent.params;
    let switch_cost = params.switch_cost();
    let mut in_position = rng.next_bool();

    for (t, step) in steps.iter().enumerate() {
        if !step.log_return_next.is_finite() {
            continue;
        }
        let state = state_index(step, in_position);
        let action = if rng.next_f64() < epsilon {
            Action::ALL[rng.next_below(2)]
        } else {
            agent.greedy(state, in_position)
        };

        let mut reward = if action.holds_coin() {
            step.log_return_next
        } else {
            0.0
        };
        if action.holds_coin() != in_position {
            reward += switch_cost;
        }
        in_position = action.holds_coin();

        let future = match steps.get(t + 1) {
            Some(next) => params.gamma * agent.max_q(state_index(next, in_position)),
            None => 0.0,
        };
        let cell = state * 2 + action.index();
        agent.visits[cell] = agent.visits[cell].saturating_add(1);
        let alpha = params.alpha / f64::from(agent.visits[cell]).powf(params.alpha_decay);
        agent.q[cell] += alpha * (reward + future - agent.q[cell]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::agent::backtest::simulate;
    use chrono::Duration;

    const RISE: f64 = 0.01;

    fn start() -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()
    }

    /// A day whose only varying indicator is RSI, so the state is A (RSI 20)
    /// or B (RSI 80) plus the position.
    fn chain_step(day: usize, in_a: bool, log_return_next: f64) -> AgentStep {
        AgentStep {
            date: start() + Duration::days(day as i64),
            rsi_14: if in_a { 20.0 } else { 80.0 },
            macd_hist: 1.0,
            close_over_sma_50: 1.1,
            predicted_return_7d: 0.0,
            log_return_next,
        }
    }

    /// A, B, A, B, ... where holding earns +1% after A and -1% after B. The
    /// last day has no known return, so every learned update bootstraps and
    /// the fixed point is the infinite-horizon one.
    fn chain_episode(days: usize) -> Episode {
        let mut steps: Vec<AgentStep> = (0..days)
            .map(|day| {
                let in_a = day % 2 == 0;
                chain_step(day, in_a, if in_a { RISE } else { -RISE })
            })
            .collect();
        steps.push(chain_step(days, days % 2 == 0, f64::NAN));
        Episode {
            coin_id: "chain".into(),
            steps,
        }
    }

    /// Optimal Q-values of the chain by value iteration, indexed
    /// [in_a][in_position][action].
    fn chain_optimum(gamma: f64, fee_rate: f64) -> [[[f64; 2]; 2]; 2] {
        let cost = (1.0 - fee_rate).ln();
        let mut q = [[[0.0f64; 2]; 2]; 2];
        for _ in 0..5_000 {
            let previous = q;
            for in_a in [false, true] {
                let day_return = if in_a { RISE } else { -RISE };
                for held in [false, true] {
                    for action in Action::ALL {
                        let coin = action.holds_coin();
                        let mut reward = if coin { day_return } else { 0.0 };
                        if coin != held {
                            reward += cost;
                        }
                        let next = previous[usize::from(!in_a)][usize::from(coin)];
                        q[usize::from(in_a)][usize::from(held)][action.index()] =
                            reward + gamma * next[0].max(next[1]);
                    }
                }
            }
        }
        q
    }

    fn chain_params(gamma: f64, fee_rate: f64) -> AgentParams {
        AgentParams {
            passes: 300,
            alpha: 0.1,
            alpha_decay: 0.0,
            gamma,
            epsilon_start: 0.3,
            epsilon_end: 0.3,
            fee_rate,
            seed: 5,
        }
    }

    /// Trains on the chain and checks the greedy action and Q-values of all
    /// four states against the expected policy `[in_a][in_position]`.
    fn check_chain(params: AgentParams, expected: [[Action; 2]; 2], tolerance: f64) {
        let episode = chain_episode(200);
        let agent = train(&[episode], start() + Duration::days(1_000), &params).unwrap();
        let optimum = chain_optimum(params.gamma, params.fee_rate);

        for in_a in [false, true] {
            for held in [false, true] {
                let step = chain_step(0, in_a, 0.0);
                let label = format!("in_a {in_a}, held {held}");
                assert_eq!(
                    agent.action(&step, held),
                    expected[usize::from(in_a)][usize::from(held)],
                    "{label}"
                );
                let learned = agent.q_values(&step, held);
                let exact = optimum[usize::from(in_a)][usize::from(held)];
                for action in 0..2 {
                    assert!(
                        (learned[action] - exact[action]).abs() < tolerance,
                        "{label}, action {action}: learned {} vs optimum {}",
                        learned[action],
                        exact[action]
                    );
                }
            }
        }
    }

    #[test]
    fn chain_small_fee_switches_each_day() {
        use Action::*;
        // Paying two 0.1% fees beats losing 1% on every B day.
        let policy = [[HoldCash, HoldCash], [HoldCoin, HoldCoin]];
        check_chain(chain_params(0.5, 0.001), policy, 1e-6);

        // Closed form of Q(A, cash, buy) on the alternating chain.
        let f = (1.0f64 - 0.001).ln();
        let gamma = 0.5;
        let expected = (RISE + f * (1.0 + gamma)) / (1.0 - gamma * gamma);
        let optimum = chain_optimum(gamma, 0.001);
        assert!((optimum[1][0][1] - expected).abs() < 1e-12);
    }

    #[test]
    fn chain_large_fee_keeps_position() {
        use Action::*;
        // A 5% fee costs more than any day's move, so no switch pays.
        check_chain(
            chain_params(0.5, 0.05),
            [[HoldCash, HoldCoin], [HoldCash, HoldCoin]],
            1e-6,
        );
    }

    #[test]
    fn chain_zero_discount_is_myopic() {
        use Action::*;
        check_chain(
            chain_params(0.0, 0.001),
            [[HoldCash, HoldCash], [HoldCoin, HoldCoin]],
            1e-6,
        );
    }

    #[test]
    fn chain_decaying_rate_converges() {
        use Action::*;
        let params = AgentParams {
            gamma: 0.5,
            seed: 5,
            ..AgentParams::default()
        };
        check_chain(params, [[HoldCash, HoldCash], [HoldCoin, HoldCoin]], 1e-4);
    }

    /// Noisy steps with random indicators, for tests that need variety.
    fn random_episode(coin: &str, days: usize, seed: u64) -> Episode {
        let mut rng = SplitMix64::new(seed);
        let steps = (0..days)
            .map(|day| AgentStep {
                date: start() + Duration::days(day as i64),
                rsi_14: rng.next_f64() * 100.0,
                macd_hist: rng.next_f64() - 0.5,
                close_over_sma_50: 0.8 + rng.next_f64() * 0.4,
                predicted_return_7d: (rng.next_f64() - 0.5) * 0.1,
                log_return_next: (rng.next_f64() - 0.5) * 0.08,
            })
            .collect();
        Episode {
            coin_id: coin.into(),
            steps,
        }
    }

    fn random_episodes() -> Vec<Episode> {
        (0..3)
            .map(|i| random_episode(&format!("coin{i}"), 300, 100 + i))
            .collect()
    }

    fn quick_params(seed: u64) -> AgentParams {
        AgentParams {
            passes: 20,
            seed,
            ..AgentParams::default()
        }
    }

    #[test]
    fn same_seed_same_table() {
        let episodes = random_episodes();
        let until = start() + Duration::days(200);
        let first = train(&episodes, until, &quick_params(1)).unwrap();
        let second = train(&episodes, until, &quick_params(1)).unwrap();
        let other = train(&episodes, until, &quick_params(2)).unwrap();
        assert_eq!(first, second);
        assert_ne!(first.q, other.q);
    }

    #[test]
    fn training_ignores_days_after_split() {
        let episodes = random_episodes();
        let until = start() + Duration::days(200);
        let mut altered = episodes.clone();
        for episode in &mut altered {
            for step in &mut episode.steps[200..] {
                step.rsi_14 = 100.0 - step.rsi_14;
                step.log_return_next *= -3.0;
            }
        }
        let params = quick_params(3);
        assert_eq!(
            train(&episodes, until, &params).unwrap(),
            train(&altered, until, &params).unwrap()
        );
    }

    #[test]
    fn actions_ignore_later_days() {
        let episodes = random_episodes();
        let agent = train(&episodes, start() + Duration::days(200), &quick_params(4)).unwrap();
        let decide = |step: &AgentStep, held: bool| agent.action(step, held).holds_coin();

        let original = random_episode("x", 120, 77);
        let mut changed = original.clone();
        let cut = 60;
        for step in &mut changed.steps[cut + 1..] {
            step.rsi_14 = 100.0 - step.rsi_14;
            step.macd_hist = -step.macd_hist;
            step.predicted_return_7d = -step.predicted_return_7d;
            step.log_return_next = -step.log_return_next;
        }

        let before = simulate(&original.steps, 0.001, decide);
        let after = simulate(&changed.steps, 0.001, decide);
        assert_eq!(before.holds_coin[..=cut], after.holds_coin[..=cut]);
        assert_ne!(
            before.holds_coin, after.holds_coin,
            "the change should matter later on"
        );
    }

    #[test]
    fn signal_maps_position_and_best_action() {
        let mut agent = QAgent::new(AgentParams::default(), start());
        let step = chain_step(0, true, 0.0);
        let cases = [
            (false, [0.0, 0.3], SignalAction::Buy, 0.3),
            (false, [0.2, 0.1], SignalAction::Hold, 0.1),
            (true, [0.5, 0.1], SignalAction::Sell, 0.4),
            (true, [0.0, 0.3], SignalAction::Hold, 0.3),
            (true, [0.0, 0.0], SignalAction::Hold, 0.0),
        ];
        for (held, [cash, coin], action, value) in cases {
            let state = state_index(&step, held);
            agent.q[state * 2] = cash;
            agent.q[state * 2 + 1] = coin;
            let signal = agent.signal(&step, held);
            assert_eq!(signal.action, action, "held {held}, q {cash} {coin}");
            assert!(
                (signal.value - value).abs() < 1e-12,
                "held {held}: {signal:?}"
            );
        }
    }

    #[test]
    fn rejects_bad_params_and_no_data() {
        let episodes = random_episodes();
        let bad = [
            AgentParams {
                alpha: 0.0,
                ..AgentParams::default()
            },
            AgentParams {
                alpha_decay: 1.5,
                ..AgentParams::default()
            },
            AgentParams {
                gamma: 1.0,
                ..AgentParams::default()
            },
            AgentParams {
                epsilon_end: 0.0,
                ..AgentParams::default()
            },
            AgentParams {
                epsilon_start: 0.01,
                ..AgentParams::default()
            },
            AgentParams {
                fee_rate: f64::NAN,
                ..AgentParams::default()
            },
            AgentParams {
                passes: 0,
                ..AgentParams::default()
            },
        ];
        for params in bad {
            let result = train(&episodes, start() + Duration::days(100), &params);
            assert!(
                matches!(result, Err(AgentError::InvalidParam { .. })),
                "{params:?}"
            );
        }
        assert!(matches!(
            train(&episodes, start(), &AgentParams::default()),
            Err(AgentError::NoTrainingData { .. })
        ));
    }

    #[test]
    fn binary_file_round_trips() {
        let agent = train(
            &random_episodes(),
            start() + Duration::days(200),
            &quick_params(6),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rl_agent.bin");
        let kind = crate::binfile::FileKind {
            tag: *b"RLAG",
            version: 1,
        };
        crate::binfile::write(&path, kind, 0, &agent).unwrap();
        let back: QAgent = crate::binfile::read(&path, kind, 0).unwrap();
        assert!(back == agent, "loaded agent differs from the saved one");
        assert!(back.validate().is_ok());

        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size < 16_000, "rl_agent.bin is {size} bytes");
    }

    #[test]
    fn validate_rejects_other_table_size() {
        let mut agent = QAgent::new(AgentParams::default(), start());
        agent.q.truncate(3);
        assert!(matches!(
            agent.validate(),
            Err(AgentError::WrongTableSize { found: 3, .. })
        ));
    }
}
