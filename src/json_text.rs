//! A JSON value kept as its text inside formats that cannot hold one as it is (the build
//! cache's binary format needs to know each field's shape ahead of reading it).
//!
//! Takes a [`serde_json::Value`], gives its JSON text; and back. For `#[serde(with)]`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Writes `value` as its JSON text.
pub fn serialize<S: Serializer>(
    value: &serde_json::Value,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serde_json::to_string(value)
        .map_err(serde::ser::Error::custom)?
        .serialize(serializer)
}

/// Reads a value written by [`serialize`].
pub fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<serde_json::Value, D::Error> {
    let text = String::deserialize(deserializer)?;
    serde_json::from_str(&text).map_err(serde::de::Error::custom)
}
