//! The serialised forms of stored events and snapshots, in whatever codec: an event's
//! header fields then its payload's fields; a snapshot's state version, timestamps and
//! head then its state. Decoding reads the schema version before the payload or state so
//! that it can be upcast.

use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::domain::{Aggregate, AggregateEvent, EventHash, EventMetadata, Snapshot};

const FIELDS: &[&str] = &["timestamp", "version", "event_id", "correlation_id", "causation_id", "payload"];

/// The name of an envelope's field, matched without allocating.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Field {
    Timestamp,
    Version,
    EventId,
    CorrelationId,
    CausationId,
    Payload,
    #[serde(other)]
    Other,
}

/// A timestamp in RFC 3339. What this library writes (`2026-11-23T12:00:00.123456789Z`, in
/// UTC, with 0 to 9 digits of fraction) is read on a fast path; anything else RFC 3339
/// allows is read by chrono, with chrono's errors, as `DateTime<Utc>` itself is.
pub(crate) struct Timestamp(pub(crate) DateTime<Utc>);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimestampVisitor;
        impl Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 date and time")
            }

            fn visit_str<Err: de::Error>(self, text: &str) -> Result<Timestamp, Err> {
                match parse_utc(text.as_bytes()) {
                    Some(timestamp) => Ok(Timestamp(timestamp)),
                    None => text
                        .parse::<DateTime<FixedOffset>>()
                        .map(|t| Timestamp(t.with_timezone(&Utc)))
                        .map_err(Err::custom),
                }
            }
        }
        deserializer.deserialize_str(TimestampVisitor)
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.F{1,9}]Z`, or `None` for anything else (including a leap second).
fn parse_utc(bytes: &[u8]) -> Option<DateTime<Utc>> {
    let number =
        |digits: &[u8]| digits.iter().try_fold(0_u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')));
    let (head, fraction) = (bytes.get(..19)?, bytes.get(19..bytes.len().checked_sub(1)?)?);
    if bytes.last() != Some(&b'Z')
        || head[4] != b'-'
        || head[7] != b'-'
        || head[10] != b'T'
        || head[13] != b':'
        || head[16] != b':'
    {
        return None;
    }
    let nanos = match fraction {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(digits)? * 10_u32.pow(9 - u32::try_from(digits.len()).ok()?)
        }
        _ => return None,
    };
    let year = i32::try_from(number(&head[0..4])?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, number(&head[5..7])?, number(&head[8..10])?)?;
    let time =
        NaiveTime::from_hms_nano_opt(number(&head[11..13])?, number(&head[14..16])?, number(&head[17..19])?, nanos)?;
    // A second of 60 (a leap second) has no `NaiveTime` here: chrono reads it its own way.
    Some(date.and_time(time).and_utc())
}

/// A timestamp to serialise, as chrono writes it (RFC 3339 in UTC, `Z`, with 0, 3, 6 or 9
/// digits of fraction, as few as it takes), but written in one piece: chrono's own
/// `Serialize` goes through the formatter a character at a time.
pub(crate) struct TimestampRef<'a>(pub(crate) &'a DateTime<Utc>);

impl Serialize for TimestampRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buffer = [0_u8; 30];
        match format_utc(self.0, &mut buffer) {
            Some(text) => serializer.serialize_str(text),
            None => self.0.serialize(serializer),
        }
    }
}

/// `timestamp` as chrono's `to_rfc3339_opts(SecondsFormat::AutoSi, true)` writes it, or
/// `None` for years outside 0 to 9999 and leap seconds, which chrono writes its own way.
fn format_utc<'b>(timestamp: &DateTime<Utc>, buffer: &'b mut [u8; 30]) -> Option<&'b str> {
    use chrono::{Datelike, Timelike};
    let (date, time) = (timestamp.date_naive(), timestamp.time());
    let nanos = time.nanosecond();
    if !(0..=9999).contains(&date.year()) || nanos >= 1_000_000_000 {
        return None;
    }
    let mut put = |at: usize, value: u32, digits: usize| {
        let mut value = value;
        for i in (at..at + digits).rev() {
            buffer[i] = b'0' + u8::try_from(value % 10).unwrap_or(0);
            value /= 10;
        }
    };
    put(0, date.year().unsigned_abs(), 4);
    put(5, date.month(), 2);
    put(8, date.day(), 2);
    put(11, time.hour(), 2);
    put(14, time.minute(), 2);
    put(17, time.second(), 2);
    let (fraction, digits) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    if digits > 0 {
        put(20, fraction, digits);
    }
    for (at, separator) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'.')] {
        buffer[at] = separator;
    }
    let end = if digits == 0 { 19 } else { 20 + digits };
    buffer[end] = b'Z';
    std::str::from_utf8(&buffer[..=end]).ok()
}

/// An event to serialise; `payload` is `None` for markers without fields (discards).
pub(crate) struct EnvelopeRef<'a, E> {
    pub(crate) timestamp: &'a DateTime<Utc>,
    pub(crate) version: u32,
    pub(crate) metadata: &'a EventMetadata,
    pub(crate) payload: Option<&'a E>,
}

/// An event's fields, serialised without its name (or a marker's, without any).
pub(crate) struct PayloadRef<'a, E>(pub(crate) Option<&'a E>);

impl<E: AggregateEvent> Serialize for PayloadRef<'_, E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(event) => event.serialize_payload(serializer),
            None => serializer.serialize_struct("Marker", 0)?.end(),
        }
    }
}

impl<E: AggregateEvent> Serialize for EnvelopeRef<'_, E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Event", FIELDS.len())?;
        s.serialize_field("timestamp", &TimestampRef(self.timestamp))?;
        s.serialize_field("version", &self.version)?;
        s.serialize_field("event_id", &self.metadata.event_id)?;
        s.serialize_field("correlation_id", &self.metadata.correlation_id)?;
        s.serialize_field("causation_id", &self.metadata.causation_id)?;
        s.serialize_field("payload", &PayloadRef(self.payload))?;
        s.end()
    }
}

/// A decoded envelope. `payload` is `Err(version)` when the stored schema version is not
/// one the event knows, so that the caller can report it as such.
pub(crate) struct Decoded<E> {
    pub(crate) timestamp: DateTime<Utc>,
    pub(crate) metadata: EventMetadata,
    pub(crate) payload: Result<Option<E>, u32>,
}

/// Decodes an envelope whose payload is the event `name` (or a marker, if `name` is `None`),
/// of which the current version is `current`.
pub(crate) struct EnvelopeSeed<'n, E> {
    pub(crate) name: Option<&'n str>,
    pub(crate) current: u32,
    pub(crate) marker: PhantomData<E>,
}

struct PayloadSeed<'n, E> {
    name: Option<&'n str>,
    version: u32,
    current: u32,
    marker: PhantomData<E>,
}

impl<'de, E: AggregateEvent> DeserializeSeed<'de> for PayloadSeed<'_, E> {
    type Value = Result<Option<E>, u32>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        match self.name {
            Some(name) if self.version >= 1 && self.version <= self.current => {
                E::deserialize_payload(name, self.version, deserializer).map(|e| Ok(Some(e)))
            }
            Some(_) => {
                // Skip a payload this code cannot read; the caller reports the version. The
                // payload is the last field: a format that cannot skip values leaves it unread.
                if deserializer.is_human_readable() {
                    deserializer.deserialize_ignored_any(IgnoredAny)?;
                }
                Ok(Err(self.version))
            }
            None => {
                deserializer.deserialize_struct("Marker", &[], IgnoredAny)?;
                Ok(Ok(None))
            }
        }
    }
}

impl<'de, E: AggregateEvent> DeserializeSeed<'de> for EnvelopeSeed<'_, E> {
    type Value = Decoded<E>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Decoded<E>, D::Error> {
        deserializer.deserialize_struct("Event", FIELDS, self)
    }
}

impl<'de, E: AggregateEvent> Visitor<'de> for EnvelopeSeed<'_, E> {
    type Value = Decoded<E>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a stored event")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Decoded<E>, S::Error> {
        let missing = |i| de::Error::invalid_length(i, &"an event with 6 fields");
        let Timestamp(timestamp) = seq.next_element()?.ok_or_else(|| missing(0))?;
        let version = seq.next_element()?.ok_or_else(|| missing(1))?;
        let event_id = seq.next_element()?.ok_or_else(|| missing(2))?;
        let correlation_id = seq.next_element()?.ok_or_else(|| missing(3))?;
        let causation_id = seq.next_element()?.ok_or_else(|| missing(4))?;
        let seed = PayloadSeed::<E> { name: self.name, version, current: self.current, marker: PhantomData };
        let payload = seq.next_element_seed(seed)?.ok_or_else(|| missing(5))?;
        Ok(Decoded { timestamp, metadata: EventMetadata { event_id, correlation_id, causation_id }, payload })
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Decoded<E>, M::Error> {
        let mut timestamp: Option<Timestamp> = None;
        let mut version = None;
        let (mut event_id, mut correlation_id, mut causation_id): (Option<Uuid>, Option<Uuid>, Option<Option<Uuid>>) =
            (None, None, None);
        let mut payload = None;
        while let Some(key) = map.next_key::<Field>()? {
            match key {
                Field::Timestamp => timestamp = Some(map.next_value()?),
                Field::Version => version = Some(map.next_value()?),
                Field::EventId => event_id = Some(map.next_value()?),
                Field::CorrelationId => correlation_id = Some(map.next_value()?),
                Field::CausationId => causation_id = Some(map.next_value()?),
                Field::Payload => {
                    let version = version.ok_or_else(|| de::Error::custom("`version` must come before `payload`"))?;
                    let seed =
                        PayloadSeed::<E> { name: self.name, version, current: self.current, marker: PhantomData };
                    payload = Some(map.next_value_seed(seed)?);
                }
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let event_id = event_id.ok_or_else(|| de::Error::missing_field("event_id"))?;
        Ok(Decoded {
            timestamp: timestamp.ok_or_else(|| de::Error::missing_field("timestamp"))?.0,
            metadata: EventMetadata {
                event_id,
                correlation_id: correlation_id.unwrap_or(event_id),
                causation_id: causation_id.unwrap_or(None),
            },
            payload: payload.ok_or_else(|| de::Error::missing_field("payload"))?,
        })
    }
}

/// Decodes a JSON envelope laid out exactly as this library writes it (its fields in
/// order, no spaces, ids hyphenated), reading the header by hand and only the payload
/// with serde: most of the cost of a load is otherwise the header. `None` for anything
/// else, including every malformed envelope and a version the event does not know, which
/// the general decoder then reads or reports.
pub(crate) fn decode_json_envelope<E: AggregateEvent>(
    bytes: &[u8],
    name: Option<&str>,
    current: u32,
) -> Option<Decoded<E>> {
    let rest = bytes.strip_prefix(b"{\"timestamp\":\"")?;
    let end = rest.iter().take(40).position(|&b| b == b'"')?;
    let timestamp = parse_utc(&rest[..end])?;
    let rest = rest[end..].strip_prefix(b"\",\"version\":")?;
    let digits = rest.iter().take(11).position(|b| !b.is_ascii_digit())?;
    // JSON numbers have no leading zeros.
    if digits == 0 || (digits > 1 && rest[0] == b'0') {
        return None;
    }
    let version = rest[..digits].iter().try_fold(0_u32, |n, d| n.checked_mul(10)?.checked_add(u32::from(d - b'0')))?;
    let uuid = |text: &[u8]| Uuid::try_parse_ascii(text.get(..36)?).ok();
    let rest = rest[digits..].strip_prefix(b",\"event_id\":\"")?;
    let event_id = uuid(rest)?;
    let (event_id_text, rest) = (&rest[..36], rest[36..].strip_prefix(b"\",\"correlation_id\":\"")?);
    // An event that starts a correlation has its own id as the correlation id.
    let correlation_id = if rest.get(..36) == Some(event_id_text) { event_id } else { uuid(rest)? };
    let rest = rest[36..].strip_prefix(b"\",\"causation_id\":")?;
    let (causation_id, rest) = if let Some(rest) = rest.strip_prefix(b"null") {
        (None, rest)
    } else {
        let rest = rest.strip_prefix(b"\"")?;
        (Some(uuid(rest)?), rest[36..].strip_prefix(b"\"")?)
    };
    let payload = rest.strip_prefix(b",\"payload\":")?.strip_suffix(b"}")?;
    // Checked as UTF-8 once, so that serde_json does not check each string again (a
    // payload that is not UTF-8 takes the serde path, which says where).
    let mut deserializer = serde_json::Deserializer::from_str(std::str::from_utf8(payload).ok()?);
    let payload = match name {
        Some(name) if (1..=current).contains(&version) => {
            Some(E::deserialize_payload(name, version, &mut deserializer).ok()?)
        }
        Some(_) => return None,
        None => {
            deserializer.deserialize_struct("Marker", &[], IgnoredAny).ok()?;
            None
        }
    };
    deserializer.end().ok()?;
    Some(Decoded {
        timestamp,
        metadata: EventMetadata { event_id, correlation_id, causation_id },
        payload: Ok(payload),
    })
}

/// Reads back only the payload of an envelope this library has just written, for the
/// check that it decodes: the header fields come from typed values that always read back,
/// so they are skipped (JSON) or read without parsing (bincode, which cannot skip).
pub(crate) struct PayloadCheck<'n, E> {
    pub(crate) name: &'n str,
    pub(crate) version: u32,
    pub(crate) marker: PhantomData<E>,
}

impl<'de, E: AggregateEvent> DeserializeSeed<'de> for PayloadCheck<'_, E> {
    type Value = E;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<E, D::Error> {
        deserializer.deserialize_struct("Event", FIELDS, self)
    }
}

struct CheckedPayload<'n, E> {
    name: &'n str,
    version: u32,
    marker: PhantomData<E>,
}

impl<'de, E: AggregateEvent> DeserializeSeed<'de> for CheckedPayload<'_, E> {
    type Value = E;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<E, D::Error> {
        E::deserialize_payload(self.name, self.version, deserializer)
    }
}

impl<'de, E: AggregateEvent> Visitor<'de> for PayloadCheck<'_, E> {
    type Value = E;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a stored event")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<E, S::Error> {
        let missing = |i| de::Error::invalid_length(i, &"an event with 6 fields");
        let _timestamp: &'de str = seq.next_element()?.ok_or_else(|| missing(0))?;
        let _version: u32 = seq.next_element()?.ok_or_else(|| missing(1))?;
        let _ids: (Uuid, Uuid, Option<Uuid>) = (
            seq.next_element()?.ok_or_else(|| missing(2))?,
            seq.next_element()?.ok_or_else(|| missing(3))?,
            seq.next_element()?.ok_or_else(|| missing(4))?,
        );
        let seed = CheckedPayload { name: self.name, version: self.version, marker: self.marker };
        seq.next_element_seed(seed)?.ok_or_else(|| missing(5))
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<E, M::Error> {
        let mut payload = None;
        while let Some(key) = map.next_key::<&'de str>()? {
            if key == "payload" {
                let seed = CheckedPayload { name: self.name, version: self.version, marker: self.marker };
                payload = Some(map.next_value_seed(seed)?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        payload.ok_or_else(|| de::Error::missing_field("payload"))
    }
}

/// A snapshot to serialise: what it holds besides id and version (which a store keeps in
/// columns of their own), the state's schema version, timestamps, head and state.
pub(crate) struct SnapshotRef<'a, A: Aggregate>(pub(crate) &'a Snapshot<A>);

impl<A: Aggregate + Serialize> Serialize for SnapshotRef<'_, A> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let snapshot = self.0;
        let mut s = serializer.serialize_struct("Snapshot", SNAPSHOT_FIELDS.len())?;
        s.serialize_field("state_version", &A::STATE_VERSION)?;
        s.serialize_field("timestamp", &TimestampRef(&snapshot.timestamp))?;
        s.serialize_field("created_on", &TimestampRef(&snapshot.created_on))?;
        s.serialize_field("modified_on", &TimestampRef(&snapshot.modified_on))?;
        s.serialize_field("head", &snapshot.head)?;
        s.serialize_field("state", &snapshot.state)?;
        s.end()
    }
}

/// Decodes what [`SnapshotRef`] wrote for the aggregate `originator_id` at
/// `originator_version`, upcasting a state stored at an older version; an unknown state
/// version is `Err(version)`.
pub(crate) struct SnapshotSeed<'i, A: Aggregate> {
    pub(crate) originator_id: &'i A::Id,
    pub(crate) originator_version: u64,
}

impl<'de, A: Aggregate> DeserializeSeed<'de> for SnapshotSeed<'_, A> {
    type Value = Result<Snapshot<A>, u32>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let parts = deserializer.deserialize_struct("Snapshot", SNAPSHOT_FIELDS, SnapshotVisitor::<A>(PhantomData))?;
        let mut state = match parts.state {
            Ok(state) => state,
            Err(version) => return Ok(Err(version)),
        };
        state.__meta_mut().restore(
            self.originator_id.clone(),
            self.originator_version,
            parts.created_on,
            parts.modified_on,
            parts.head,
        );
        Ok(Ok(Snapshot {
            originator_id: self.originator_id.clone(),
            originator_version: self.originator_version,
            timestamp: parts.timestamp,
            created_on: parts.created_on,
            modified_on: parts.modified_on,
            head: parts.head,
            state,
        }))
    }
}

/// Deserialises an aggregate's state stored at `version`; an unknown version is skipped
/// and returned as `Err(version)`.
pub(crate) fn deserialize_state<'de, A, D>(version: u32, deserializer: D) -> Result<Result<A, u32>, D::Error>
where
    A: Aggregate,
    D: Deserializer<'de>,
{
    if version == A::STATE_VERSION {
        match A::__deserialize_state(deserializer) {
            Some(state) => state.map(Ok),
            None => Err(de::Error::custom(format_args!(
                "snapshots of {} cannot be restored: derive Deserialize on it (below `#[aggregate]`)",
                A::NAME
            ))),
        }
    } else if version > A::STATE_VERSION || version == 0 {
        // The state is the last field: a format that cannot skip values leaves it unread.
        if deserializer.is_human_readable() {
            deserializer.deserialize_ignored_any(de::IgnoredAny)?;
        }
        Ok(Err(version))
    } else {
        A::__deserialize_old_state(version, deserializer).map(Ok)
    }
}

const SNAPSHOT_FIELDS: &[&str] = &["state_version", "timestamp", "created_on", "modified_on", "head", "state"];

struct SnapshotParts<A> {
    timestamp: DateTime<Utc>,
    created_on: DateTime<Utc>,
    modified_on: DateTime<Utc>,
    head: Option<EventHash>,
    state: Result<A, u32>,
}

struct StateSeed<A> {
    version: u32,
    marker: PhantomData<A>,
}

impl<'de, A: Aggregate> DeserializeSeed<'de> for StateSeed<A> {
    type Value = Result<A, u32>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserialize_state(self.version, deserializer)
    }
}

struct SnapshotVisitor<A>(PhantomData<A>);

impl<'de, A: Aggregate> Visitor<'de> for SnapshotVisitor<A> {
    type Value = SnapshotParts<A>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a snapshot of {}", A::NAME)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<SnapshotParts<A>, S::Error> {
        let missing = |i| de::Error::invalid_length(i, &"a snapshot with 6 fields");
        let version = seq.next_element()?.ok_or_else(|| missing(0))?;
        let timestamp = seq.next_element()?.ok_or_else(|| missing(1))?;
        let created_on = seq.next_element()?.ok_or_else(|| missing(2))?;
        let modified_on = seq.next_element()?.ok_or_else(|| missing(3))?;
        let head = seq.next_element()?.ok_or_else(|| missing(4))?;
        let seed = StateSeed { version, marker: PhantomData };
        let state = seq.next_element_seed(seed)?.ok_or_else(|| missing(5))?;
        Ok(SnapshotParts { timestamp, created_on, modified_on, head, state })
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<SnapshotParts<A>, M::Error> {
        let (mut version, mut timestamp, mut created_on, mut modified_on) = (None, None, None, None);
        let (mut head, mut state) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "state_version" => version = Some(map.next_value()?),
                "timestamp" => timestamp = Some(map.next_value()?),
                "created_on" => created_on = Some(map.next_value()?),
                "modified_on" => modified_on = Some(map.next_value()?),
                "head" => head = Some(map.next_value()?),
                "state" => {
                    let version =
                        version.ok_or_else(|| de::Error::custom("`state_version` must come before `state`"))?;
                    state = Some(map.next_value_seed(StateSeed { version, marker: PhantomData })?);
                }
                other => return Err(de::Error::unknown_field(other, SNAPSHOT_FIELDS)),
            }
        }
        Ok(SnapshotParts {
            timestamp: timestamp.ok_or_else(|| de::Error::missing_field("timestamp"))?,
            created_on: created_on.ok_or_else(|| de::Error::missing_field("created_on"))?,
            modified_on: modified_on.ok_or_else(|| de::Error::missing_field("modified_on"))?,
            head: head.unwrap_or(None),
            state: state.ok_or_else(|| de::Error::missing_field("state"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

    use super::{TimestampRef, parse_utc};

    /// Timestamps of every kind of fraction, across the years, each written as chrono
    /// writes it and read back as it was.
    #[test]
    fn timestamps_are_written_as_chrono_writes_them() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut random = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut checked = 0;
        for _ in 0..20_000 {
            let seconds = i64::try_from(random() % 253_402_300_800).unwrap() - 62_167_219_200; // years 0 to 9999
            let nanos = match random() % 4 {
                0 => 0,
                1 => u32::try_from(random() % 1000).unwrap() * 1_000_000,
                2 => u32::try_from(random() % 1_000_000).unwrap() * 1_000,
                _ => u32::try_from(random() % 1_000_000_000).unwrap(),
            };
            let timestamp: DateTime<Utc> = Utc.timestamp_opt(seconds, nanos).unwrap();
            let ours = serde_json::to_string(&TimestampRef(&timestamp)).unwrap();
            assert_eq!(ours, serde_json::to_string(&timestamp).unwrap());
            assert_eq!(ours.trim_matches('"'), timestamp.to_rfc3339_opts(SecondsFormat::AutoSi, true));
            assert_eq!(parse_utc(ours.trim_matches('"').as_bytes()), Some(timestamp));
            checked += 1;
        }
        assert_eq!(checked, 20_000);
        // Outside the years of four digits, chrono writes them.
        let far = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(serde_json::to_string(&TimestampRef(&far)).unwrap(), serde_json::to_string(&far).unwrap());
    }
}
