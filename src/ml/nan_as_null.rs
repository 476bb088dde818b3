//! Serde helper for `f64` fields that may be NaN, for JSON output.
//!
//! serde_json writes a NaN or infinite `f64` as `null` but then fails to
//! read that `null` back into an `f64`. With `#[serde(with = "nan_as_null")]`
//! a non-finite value is written as `null` and `null` is read as NaN, so a
//! report round-trips (an infinity comes back as NaN).

use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.is_finite() {
        serializer.serialize_some(value)
    } else {
        serializer.serialize_none()
    }
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}
