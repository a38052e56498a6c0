//! Records as lines for people, or as JSON objects for programs.

use base64::Engine;
use eventsourcing_core::persistence::{Codec, Inspected, MapperError, StoredEvent};
use serde_json::{Map, Value, json};

/// One stored record and what opening it gave.
#[derive(Debug)]
pub(crate) struct Shown<'a> {
    /// Its notification id, when read from the log.
    pub(crate) notification_id: Option<u64>,
    /// The record.
    pub(crate) stored: &'a StoredEvent,
    /// Its envelope, or why it cannot be read.
    pub(crate) opened: Result<Inspected, MapperError>,
}

impl Shown<'_> {
    /// The envelope as JSON: the decoded object for JSON records, the bytes in base64
    /// for bincode (which cannot be read without the Rust types).
    fn envelope(inspected: &Inspected) -> Value {
        match inspected.format.codec {
            Codec::Json => serde_json::from_slice(&inspected.plain).unwrap_or_else(|error| {
                json!({ "unreadable_json": error.to_string(),
                        "base64": base64::engine::general_purpose::STANDARD.encode(&inspected.plain) })
            }),
            _ => json!({ "bincode_base64": base64::engine::general_purpose::STANDARD.encode(&inspected.plain) }),
        }
    }

    /// One JSON object: the record's columns, how it was written, and its envelope or
    /// error.
    pub(crate) fn to_json(&self) -> Value {
        let mut object = Map::new();
        if let Some(id) = self.notification_id {
            object.insert("notification_id".into(), id.into());
        }
        object.insert("originator_id".into(), self.stored.originator_id.to_string().into());
        object.insert("originator_version".into(), self.stored.originator_version.into());
        object.insert("topic".into(), self.stored.topic.clone().into());
        object.insert("stored_bytes".into(), self.stored.state.len().into());
        match &self.opened {
            Ok(inspected) => {
                let format = inspected.format;
                object.insert(
                    "format".into(),
                    json!({
                        "codec": format.codec.to_string(),
                        "compressed": format.compressed,
                        "encrypted": format.encrypted,
                        "chained": format.chained,
                        "python": inspected.python,
                    }),
                );
                if let Some(hash) = inspected.hash {
                    object.insert("hash".into(), hex(&hash.0).into());
                }
                object.insert("envelope".into(), Self::envelope(inspected));
            }
            Err(error) => {
                object.insert("error".into(), error.to_string().into());
            }
        }
        Value::Object(object)
    }

    /// One line: id, version, topic, time, then the payload (or the error).
    pub(crate) fn to_line(&self) -> String {
        let mut parts = Vec::new();
        if let Some(id) = self.notification_id {
            parts.push(format!("#{id}"));
        }
        parts.push(format!("{} v{}", self.stored.originator_id, self.stored.originator_version));
        parts.push(self.stored.topic.clone());
        match &self.opened {
            Ok(inspected) => {
                let envelope = Self::envelope(inspected);
                if let Some(timestamp) = envelope.get("timestamp").and_then(Value::as_str) {
                    parts.push(timestamp.to_owned());
                }
                let shown = if inspected.python {
                    envelope
                } else if let Some(payload) = envelope.get("payload").or_else(|| envelope.get("state")) {
                    payload.clone()
                } else if envelope.get("bincode_base64").is_some() {
                    json!(format!("({} bytes of bincode)", inspected.plain.len()))
                } else {
                    // The marker of a discarded aggregate has no payload.
                    Value::Null
                };
                if !shown.is_null() {
                    parts.push(shown.to_string());
                }
            }
            Err(error) => parts.push(format!("! {error}")),
        }
        parts.join("  ")
    }
}

/// Bytes in lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(2 * bytes.len()), |mut text, b| {
        let _ = write!(text, "{b:02x}");
        text
    })
}

/// A byte count as people read it.
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024 * 1024 && unit < UNITS.len() - 1 {
        value /= 1024;
        unit += 1;
    }
    // One decimal, computed in integers.
    let tenths = value * 10 / 1024;
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::size;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1024), "1.0 KiB");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(10 * 1024 * 1024), "10.0 MiB");
        assert_eq!(size(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }
}
