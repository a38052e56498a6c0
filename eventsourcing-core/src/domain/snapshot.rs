use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::aggregate::Aggregate;

/// The state of an aggregate at one version, from which it can be restored without
/// replaying the events before that version.
///
/// Taking a snapshot clones the aggregate (its pending events are left out); the state is
/// stored through `Serialize`, at the aggregate's current [`Aggregate::STATE_VERSION`].
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
        aggregate.__meta_mut().restore(self.originator_id, self.originator_version, self.created_on, self.modified_on);
        aggregate
    }

    /// Serialises what the snapshot holds besides id and version (which a store keeps in
    /// columns of their own): timestamps and the state.
    pub fn serialize_payload<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>
    where
        A: Serialize,
    {
        let mut s = serializer.serialize_struct("Snapshot", 4)?;
        s.serialize_field("timestamp", &self.timestamp)?;
        s.serialize_field("created_on", &self.created_on)?;
        s.serialize_field("modified_on", &self.modified_on)?;
        s.serialize_field("state", &self.state)?;
        s.end()
    }

    /// Deserialises what [`Snapshot::serialize_payload`] wrote, with the state stored at
    /// `state_version`, upcasting it to [`Aggregate::STATE_VERSION`].
    ///
    /// # Errors
    /// A deserialisation error if the payload does not match, or the state version is
    /// newer than the aggregate knows.
    pub fn deserialize_payload<'de, D: Deserializer<'de>>(
        originator_id: A::Id,
        originator_version: u64,
        state_version: u32,
        deserializer: D,
    ) -> Result<Self, D::Error>
    where
        A: Deserialize<'de>,
    {
        let (timestamp, created_on, modified_on, mut state) = deserializer.deserialize_struct(
            "Snapshot",
            FIELDS,
            PayloadVisitor::<A> { state_version, marker: PhantomData },
        )?;
        state.__meta_mut().restore(originator_id.clone(), originator_version, created_on, modified_on);
        Ok(Snapshot { originator_id, originator_version, timestamp, created_on, modified_on, state })
    }
}

/// Deserialises an aggregate's state stored at `version`.
///
/// # Errors
/// A deserialisation error for a version newer than [`Aggregate::STATE_VERSION`] or a
/// state that does not match its version's shape.
pub(crate) fn deserialize_state<'de, A, D>(version: u32, deserializer: D) -> Result<A, D::Error>
where
    A: Aggregate + Deserialize<'de>,
    D: Deserializer<'de>,
{
    if version == A::STATE_VERSION {
        A::deserialize(deserializer)
    } else if version > A::STATE_VERSION || version == 0 {
        Err(de::Error::custom(format_args!(
            "{} state version {version} is unknown (current version is {})",
            A::NAME,
            A::STATE_VERSION
        )))
    } else {
        A::__deserialize_old_state(version, deserializer)
    }
}

const FIELDS: &[&str] = &["timestamp", "created_on", "modified_on", "state"];

type Parts<A> = (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>, A);

struct StateSeed<A> {
    version: u32,
    marker: PhantomData<A>,
}

impl<'de, A: Aggregate + Deserialize<'de>> DeserializeSeed<'de> for StateSeed<A> {
    type Value = A;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<A, D::Error> {
        deserialize_state(self.version, deserializer)
    }
}

struct PayloadVisitor<A> {
    state_version: u32,
    marker: PhantomData<A>,
}

impl<'de, A: Aggregate + Deserialize<'de>> Visitor<'de> for PayloadVisitor<A> {
    type Value = Parts<A>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a snapshot of {}", A::NAME)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Parts<A>, S::Error> {
        let missing = |i| de::Error::invalid_length(i, &"a snapshot with 4 fields");
        let timestamp = seq.next_element()?.ok_or_else(|| missing(0))?;
        let created_on = seq.next_element()?.ok_or_else(|| missing(1))?;
        let modified_on = seq.next_element()?.ok_or_else(|| missing(2))?;
        let seed = StateSeed { version: self.state_version, marker: PhantomData };
        let state = seq.next_element_seed(seed)?.ok_or_else(|| missing(3))?;
        Ok((timestamp, created_on, modified_on, state))
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Parts<A>, M::Error> {
        let (mut timestamp, mut created_on, mut modified_on, mut state) = (None, None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "timestamp" => timestamp = Some(map.next_value()?),
                "created_on" => created_on = Some(map.next_value()?),
                "modified_on" => modified_on = Some(map.next_value()?),
                "state" => {
                    let seed = StateSeed { version: self.state_version, marker: PhantomData };
                    state = Some(map.next_value_seed(seed)?);
                }
                other => return Err(de::Error::unknown_field(other, FIELDS)),
            }
        }
        Ok((
            timestamp.ok_or_else(|| de::Error::missing_field("timestamp"))?,
            created_on.ok_or_else(|| de::Error::missing_field("created_on"))?,
            modified_on.ok_or_else(|| de::Error::missing_field("modified_on"))?,
            state.ok_or_else(|| de::Error::missing_field("state"))?,
        ))
    }
}
