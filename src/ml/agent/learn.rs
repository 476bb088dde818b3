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
    /// Learning rate α of the Q update, in (0, 1]. Default 0.05, small
    /// because one day's return is mostly noise.
    pub alpha: f64,
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
            alpha: 0.05,
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
        let checks: [(&'static str, f64, bool, &'static str); 6] = [
            ("passes", self.passes as f64, self.passes > 0, "at least 1"),
            (
                "alpha",
                self.alpha,
                self.alpha > 0.0 && self.alpha <= 1.0,
                "in (0, 1]",
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

/// Why the agent could not be trained or loaded.
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

/// What the agent advises for a coin on one day, given what is held.
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

    /// The greedy action; ties keep the current position, so an unvisited
    /// state never pays a fee.
    pub fn action(&self, step: &AgentStep, in_position: bool) -> Action {
        self.greedy(state_index(step, in_position), in_position)
    }

    /// The advice for the coin table and detail view (see [`SignalAction`]).
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
/// Q(s, a) += α · (r + γ · max Q(s', ·) − Q(s, a))
///
/// where s' is the next day's state. Days with an unknown return are not
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
        agent.q[cell] += params.alpha * (reward + future - agent.q[cell]);
        agent.visits[cell] = agent.visits[cell].saturating_add(1);
    }
}
