use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserializer, Serialize, Serializer};

use super::aggregate::Aggregate;
use super::hash::EventHash;

/// The state of an aggregate at one version, from which it can be restored without
/// replaying the events before that version.
///
/// Taking a snapshot clones the aggregate (its pending events are left out); the state is
/// stored through `Serialize`, tagged with the aggregate's [`Aggregate::STATE_VERSION`].
/// A state stored at an older version is upcast by the chain declared with
/// `#[aggregate(version = N, upcast(...))]` when the snapshot is read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot<A: Aggregate> {
    /// The aggregate's id.
    pub originator_id: A::Id,
    /// The aggregate's version when the snapshot was taken.
    pub originator_version: u64,
    /// When the snapshot was taken.
    pub timestamp: DateTime<Utc>,
    /// The aggregate's `created_on`.
    pub created_on: DateTime<Utc>,
    /// The aggregate's `modified_on`.
    pub modified_on: DateTime<Utc>,
    /// The aggregate's hash-chain head, if events are hash-chained.
    pub head: Option<EventHash>,
    /// The aggregate itself, with nothing pending.
    pub state: A,
}

impl<A: Aggregate + Clone> Snapshot<A> {
    /// Takes a snapshot of `aggregate` as it is now.
    #[must_use]
    pub fn take(aggregate: &A) -> Self {
        let mut state = aggregate.clone();
        state.collect_events();
        Snapshot {
            originator_id: aggregate.id().clone(),
            originator_version: aggregate.version(),
            timestamp: Utc::now(),
            created_on: aggregate.created_on(),
            modified_on: aggregate.modified_on(),
            head: aggregate.head(),
            state,
        }
    }
}

impl<A: Aggregate> Snapshot<A> {
    /// The aggregate, as it was when the snapshot was taken. Later events can then be
    /// applied with [`Aggregate::apply_events`].
    #[must_use]
    pub fn restore(self) -> A {
        let mut aggregate = self.state;
        aggregate.__meta_mut().restore(
            self.originator_id,
            self.originator_version,
            self.created_on,
            self.modified_on,
            self.head,
        );
        aggregate
    }

    /// Serialises what the snapshot holds besides id and version (which a store keeps in
    /// columns of their own): the state's schema version, timestamps, head and state.
    pub fn serialize_payload<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>
    where
        A: Serialize,
    {
        let mut s = serializer.serialize_struct("Snapshot", FIELDS.len())?;
        s.serialize_field("state_version", &A::STATE_VERSION)?;
        s.serialize_field("timestamp", &self.timestamp)?;
        s.serialize_field("created_on", &self.created_on)?;
        s.serialize_field("modified_on", &self.modified_on)?;
        s.serialize_field("head", &self.head)?;
        s.serialize_field("state", &self.state)?;
        s.end()
    }

    /// Deserialises what [`Snapshot::serialize_payload`] wrote, upcasting a state stored at
    /// an older version to [`Aggregate::STATE_VERSION`].
    ///
    /// # Errors
    /// A deserialisation error if the payload does not match, or the state version is
    /// unknown.
    pub fn deserialize_payload<'de, D: Deserializer<'de>>(
        originator_id: A::Id,
        originator_version: u64,
        deserializer: D,
    ) -> Result<Self, D::Error> {
        Self::deserialize_versioned(originator_id, originator_version, deserializer)?.map_err(|version| {
            de::Error::custom(format_args!(
                "{} state version {version} is unknown (current version is {})",
                A::NAME,
                A::STATE_VERSION
            ))
        })
    }

    /// As [`Snapshot::deserialize_payload`], with an unknown state version as `Err(version)`.
    pub(crate) fn deserialize_versioned<'de, D: Deserializer<'de>>(
        originator_id: A::Id,
        originator_version: u64,
        deserializer: D,
    ) -> Result<Result<Self, u32>, D::Error> {
        let parts = deserializer.deserialize_struct("Snapshot", FIELDS, PayloadVisitor::<A>(PhantomData))?;
        let mut state = match parts.state {
            Ok(state) => state,
            Err(version) => return Ok(Err(version)),
        };
        state.__meta_mut().restore(
            originator_id.clone(),
            originator_version,
            parts.created_on,
            parts.modified_on,
            parts.head,
        );
        Ok(Ok(Snapshot {
            originator_id,
            originator_version,
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
fn deserialize_state<'de, A, D>(version: u32, deserializer: D) -> Result<Result<A, u32>, D::Error>
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

const FIELDS: &[&str] = &["state_version", "timestamp", "created_on", "modified_on", "head", "state"];

struct Parts<A> {
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

struct PayloadVisitor<A>(PhantomData<A>);

impl<'de, A: Aggregate> Visitor<'de> for PayloadVisitor<A> {
    type Value = Parts<A>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a snapshot of {}", A::NAME)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Parts<A>, S::Error> {
        let missing = |i| de::Error::invalid_length(i, &"a snapshot with 6 fields");
        let version = seq.next_element()?.ok_or_else(|| missing(0))?;
        let timestamp = seq.next_element()?.ok_or_else(|| missing(1))?;
        let created_on = seq.next_element()?.ok_or_else(|| missing(2))?;
        let modified_on = seq.next_element()?.ok_or_else(|| missing(3))?;
        let head = seq.next_element()?.ok_or_else(|| missing(4))?;
        let seed = StateSeed { version, marker: PhantomData };
        let state = seq.next_element_seed(seed)?.ok_or_else(|| missing(5))?;
        Ok(Parts { timestamp, created_on, modified_on, head, state })
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Parts<A>, M::Error> {
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
                other => return Err(de::Error::unknown_field(other, FIELDS)),
            }
        }
        Ok(Parts {
            timestamp: timestamp.ok_or_else(|| de::Error::missing_field("timestamp"))?,
            created_on: created_on.ok_or_else(|| de::Error::missing_field("created_on"))?,
            modified_on: modified_on.ok_or_else(|| de::Error::missing_field("modified_on"))?,
            head: head.unwrap_or(None),
            state: state.ok_or_else(|| de::Error::missing_field("state"))?,
        })
    }
}
