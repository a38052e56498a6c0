use std::fmt;

use uuid::Uuid;

use crate::environment::{ConfigError, Environment};

/// The id of the aggregate (or log) a stored event belongs to: a UUID or a text id.
///
/// Stores keep UUIDs in their native form (a `uuid` column in PostgreSQL, 32 hex digits in
/// SQLite) and text ids as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OriginatorId {
    /// A UUID id.
    Uuid(Uuid),
    /// A text id.
    Text(String),
}

impl fmt::Display for OriginatorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginatorId::Uuid(id) => id.fmt(f),
            OriginatorId::Text(id) => f.write_str(id),
        }
    }
}

impl From<Uuid> for OriginatorId {
    fn from(id: Uuid) -> Self {
        OriginatorId::Uuid(id)
    }
}

impl From<String> for OriginatorId {
    fn from(id: String) -> Self {
        OriginatorId::Text(id)
    }
}

impl From<&str> for OriginatorId {
    fn from(id: &str) -> Self {
        OriginatorId::Text(id.to_owned())
    }
}

impl OriginatorId {
    /// The id's bytes as hashed and authenticated: the 16 bytes of a UUID (also of a text
    /// id that spells one, since stores may hand a UUID back as text or the reverse), or
    /// the UTF-8 text, each after a tag byte so that the two never collide.
    pub(crate) fn write_identity(&self, out: &mut Vec<u8>) {
        let uuid = match self {
            OriginatorId::Uuid(id) => Ok(*id),
            OriginatorId::Text(text) => Uuid::try_parse(text).map_err(|_| text),
        };
        match uuid {
            Ok(id) => {
                out.push(0);
                out.extend_from_slice(id.as_bytes());
            }
            Err(text) => {
                out.push(1);
                out.extend_from_slice(&(text.len() as u64).to_le_bytes());
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
}

/// How a store keeps originator ids (Python's `ORIGINATOR_ID_TYPE`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum IdType {
    /// UUIDs: a `uuid` column in PostgreSQL, 32 hex digits in SQLite (the default).
    #[default]
    Uuid,
    /// Text ids, as given (UUID ids are kept as their hyphenated text).
    Text,
}

impl IdType {
    /// Reads `ORIGINATOR_ID_TYPE`: `uuid` (the default) or `text`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the variable for any other value.
    pub fn from_env(env: &Environment) -> Result<Self, ConfigError> {
        match env.lookup("ORIGINATOR_ID_TYPE") {
            None => Ok(IdType::Uuid),
            Some((variable, value)) => match value.trim().to_ascii_lowercase().as_str() {
                "" | "uuid" => Ok(IdType::Uuid),
                "text" => Ok(IdType::Text),
                _ => Err(ConfigError::Invalid { variable, value: value.to_owned(), expected: "uuid or text".into() }),
            },
        }
    }
}

/// An event as a store keeps it: whose it is, at which version, its topic, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoredEvent {
    /// The aggregate the event belongs to.
    pub originator_id: OriginatorId,
    /// The aggregate's version after the event.
    pub originator_version: u64,
    /// What kind of event it is (`Aggregate.Event`, as named in `#[event("...")]`).
    pub topic: String,
    /// The encoded (and possibly compressed, encrypted and hash-chained) event.
    pub state: Vec<u8>,
}

/// Events selected for reading, as [`AggregateRecorder::select_events_shared`] returns
/// them: owned, or shared with the store that holds them (the in-memory store), so that
/// reading them copies nothing.
///
/// [`AggregateRecorder::select_events_shared`]: super::AggregateRecorder::select_events_shared
#[derive(Debug, Clone, Default)]
pub struct SelectedEvents(Selected);

#[derive(Debug, Clone)]
enum Selected {
    Owned(Vec<StoredEvent>),
    Shared(Vec<std::sync::Arc<StoredEvent>>),
}

impl Default for Selected {
    fn default() -> Self {
        Selected::Owned(Vec::new())
    }
}

impl SelectedEvents {
    /// Events the store shares rather than copies.
    pub fn shared(events: Vec<std::sync::Arc<StoredEvent>>) -> Self {
        SelectedEvents(Selected::Shared(events))
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        match &self.0 {
            Selected::Owned(events) => events.len(),
            Selected::Shared(events) => events.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The events, in the order selected.
    pub fn iter(&self) -> SelectedIter<'_> {
        let (owned, shared) = match &self.0 {
            Selected::Owned(events) => (&events[..], &[][..]),
            Selected::Shared(events) => (&[][..], &events[..]),
        };
        // One of the two is empty.
        SelectedIter { owned: owned.iter(), shared: shared.iter() }
    }

    /// The events as owned values (copying shared ones).
    pub fn into_vec(self) -> Vec<StoredEvent> {
        match self.0 {
            Selected::Owned(events) => events,
            Selected::Shared(events) => events.into_iter().map(std::sync::Arc::unwrap_or_clone).collect(),
        }
    }
}

impl From<Vec<StoredEvent>> for SelectedEvents {
    fn from(events: Vec<StoredEvent>) -> Self {
        SelectedEvents(Selected::Owned(events))
    }
}

impl<'a> IntoIterator for &'a SelectedEvents {
    type Item = &'a StoredEvent;
    type IntoIter = SelectedIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The iterator of [`SelectedEvents::iter`].
#[derive(Debug, Clone)]
pub struct SelectedIter<'a> {
    owned: std::slice::Iter<'a, StoredEvent>,
    shared: std::slice::Iter<'a, std::sync::Arc<StoredEvent>>,
}

impl<'a> Iterator for SelectedIter<'a> {
    type Item = &'a StoredEvent;

    fn next(&mut self) -> Option<&'a StoredEvent> {
        self.owned.next().or_else(|| self.shared.next().map(|event| &**event))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.owned.len() + self.shared.len();
        (len, Some(len))
    }
}

impl DoubleEndedIterator for SelectedIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.owned.next_back().or_else(|| self.shared.next_back().map(|event| &**event))
    }
}

impl ExactSizeIterator for SelectedIter<'_> {}

/// A stored event with its position in the application's sequence of all events.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Notification {
    /// The notification id: increases with commit order; may have gaps.
    pub id: u64,
    /// The stored event.
    pub event: StoredEvent,
}

/// How far a downstream processor has got in an upstream application's notifications.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tracking {
    /// The upstream application's name.
    pub application_name: String,
    /// The id of the last notification processed.
    pub notification_id: u64,
}

impl Tracking {
    /// Tracking of `notification_id` from `application_name`.
    pub fn new(application_name: impl Into<String>, notification_id: u64) -> Self {
        Tracking { application_name: application_name.into(), notification_id }
    }
}

/// Which events of one aggregate to select (Python's `gt`, `lte`, `desc`, `limit`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Only versions greater than this.
    pub gt: Option<u64>,
    /// Only versions less than or equal to this.
    pub lte: Option<u64>,
    /// Newest first.
    pub desc: bool,
    /// At most this many.
    pub limit: Option<usize>,
}

impl EventQuery {
    /// Every event, oldest first.
    pub fn all() -> Self {
        EventQuery::default()
    }

    /// Only versions greater than `version`.
    #[must_use]
    pub fn gt(mut self, version: u64) -> Self {
        self.gt = Some(version);
        self
    }

    /// Only versions up to and including `version`.
    #[must_use]
    pub fn lte(mut self, version: u64) -> Self {
        self.lte = Some(version);
        self
    }

    /// Newest first.
    #[must_use]
    pub fn desc(mut self) -> Self {
        self.desc = true;
        self
    }

    /// At most `limit` events.
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Whether `version` is within the bounds (ignoring order and limit).
    pub fn includes(&self, version: u64) -> bool {
        self.gt.is_none_or(|gt| version > gt) && self.lte.is_none_or(|lte| version <= lte)
    }
}

/// Which notifications to select (Python's `start`, `limit`, `stop`, `topics`,
/// `inclusive_of_start`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationQuery {
    /// First id (see `inclusive_of_start`); `None` means from the beginning.
    pub start: Option<u64>,
    /// Whether `start` itself is included (`>=`) or not (`>`).
    pub inclusive_of_start: bool,
    /// At most this many.
    pub limit: usize,
    /// Last id, inclusive.
    pub stop: Option<u64>,
    /// Only these topics; empty means all.
    pub topics: Vec<String>,
}

impl NotificationQuery {
    /// Up to `limit` notifications from id `start` (inclusive).
    pub fn new(start: Option<u64>, limit: usize) -> Self {
        NotificationQuery { start, inclusive_of_start: true, limit, stop: None, topics: Vec::new() }
    }

    /// Up to `limit` notifications with ids greater than `after` (all if `None`).
    pub fn after(after: Option<u64>, limit: usize) -> Self {
        NotificationQuery { start: after, inclusive_of_start: after.is_none(), limit, stop: None, topics: Vec::new() }
    }

    /// Only up to and including id `stop`.
    #[must_use]
    pub fn stop(mut self, stop: u64) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Only these topics.
    #[must_use]
    pub fn topics<I, T>(mut self, topics: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.topics = topics.into_iter().map(Into::into).collect();
        self
    }

    /// Whether `start` is included.
    #[must_use]
    pub fn inclusive_of_start(mut self, inclusive: bool) -> Self {
        self.inclusive_of_start = inclusive;
        self
    }

    /// The smallest id the query can return.
    pub fn first_id(&self) -> u64 {
        match self.start {
            None => 1,
            Some(start) if self.inclusive_of_start => start.max(1),
            Some(start) => start.saturating_add(1).max(1),
        }
    }

    /// Whether `notification` matches the id bounds and topics (ignoring the limit).
    pub fn matches(&self, id: u64, topic: &str) -> bool {
        id >= self.first_id()
            && self.stop.is_none_or(|stop| id <= stop)
            && (self.topics.is_empty() || self.topics.iter().any(|t| t == topic))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{OriginatorId, SelectedEvents, StoredEvent};

    fn events() -> Vec<StoredEvent> {
        (1..=3)
            .map(|v| StoredEvent {
                originator_id: OriginatorId::Text("a".into()),
                originator_version: v,
                topic: "Dog.TrickAdded".into(),
                state: vec![u8::try_from(v).unwrap()],
            })
            .collect()
    }

    #[test]
    fn owned_and_shared_selections_read_alike() {
        let owned = SelectedEvents::from(events());
        let shared = SelectedEvents::shared(events().into_iter().map(Arc::new).collect());
        for selected in [owned, shared] {
            assert_eq!(selected.len(), 3);
            assert!(!selected.is_empty());
            let versions: Vec<u64> = selected.iter().map(|e| e.originator_version).collect();
            assert_eq!(versions, [1, 2, 3]);
            let backwards: Vec<u64> = selected.iter().rev().map(|e| e.originator_version).collect();
            assert_eq!(backwards, [3, 2, 1]);
            assert_eq!(selected.iter().len(), 3);
            assert_eq!((&selected).into_iter().count(), 3);
            assert_eq!(selected.into_vec(), events());
        }
        assert!(SelectedEvents::default().is_empty());
        assert_eq!(SelectedEvents::default().iter().next(), None);
    }
}
