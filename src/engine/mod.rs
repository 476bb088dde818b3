//! The background task that fetches, builds features, trains and scores.

mod events;

pub use events::{Command, DataOrigin, EngineEvent, Job};
