//! Decoding the notifications of one log into one Rust type: the records of one
//! aggregate type ([`Record`]), or the events of several, with `#[derive(LogEvent)]` on an
//! enum whose variants wrap their domain events.

use super::mapper::{ChainCursor, Mapper, MapperError, Record, RecordId};
use super::stored::{Notification, StoredEvent};
use super::topic::{self, Topic};
use crate::domain::{Aggregate, AggregateEvent, AggregateId, DomainEvent, EventMetadata};

/// A type that the notifications of an application's log decode into, chosen by topic.
///
/// [`Record<A>`] decodes the records of the aggregate type `A` and passes over all others.
/// `#[derive(LogEvent)]` on an enum whose variants each wrap the domain events of one
/// aggregate type decodes the events of all of them into one type that a handler can
/// `match`; a topic none of them knows is an error
/// ([`MapperError::UnknownTopic`]) unless the enum passes over it on purpose, with
/// `#[log_event(skip("Account", "Audit.Logged"))]` (an aggregate's name skips all its
/// topics, a full topic only that one). The derive's documentation has an example.
///
/// Discard markers are passed over: a subscription or query for [`LogEvent::topics`]
/// never returns them, and decoding one gives `None`.
pub trait LogEvent: Sized {
    /// The topics this type decodes: what to ask a store's query or subscription for, so
    /// that other records are filtered out by the store, not after reading.
    fn topics() -> Vec<String>;

    /// Decodes a notification: `None` if this type passes over its topic on purpose. The
    /// hash chain, if any, is checked for the record alone.
    ///
    /// # Errors
    /// A [`MapperError`] naming the record: one of this type's topics that cannot be read,
    /// or a topic it neither knows nor skips.
    fn decode(mapper: &Mapper, notification: &Notification) -> Result<Option<Self>, MapperError>;

    /// The decoded event's ids: what the events a handler records in response name as
    /// their cause.
    fn metadata(&self) -> &EventMetadata;
}

impl<A: Aggregate> LogEvent for Record<A> {
    fn topics() -> Vec<String> {
        let mut topics = Mapper::topics::<A>();
        topics.push(topic::discarded(A::NAME));
        topics
    }

    fn decode(mapper: &Mapper, notification: &Notification) -> Result<Option<Self>, MapperError> {
        if mapper.parse_topic::<A::Event>(&notification.event.topic).is_none() {
            return Ok(None);
        }
        mapper.decode_event::<A>(&notification.event, &mut ChainCursor::after(None)).map(Some)
    }

    fn metadata(&self) -> &EventMetadata {
        match self {
            Record::Event(event) => &event.metadata,
            Record::Discarded { metadata, .. } => metadata,
        }
    }
}

/// How a variant of a `#[derive(LogEvent)]` enum met a record.
#[doc(hidden)]
#[derive(Debug)]
pub enum Matched<T> {
    /// One of its events.
    Event(T),
    /// One of its aggregate type's records that it does not hold (a discard marker).
    Skipped,
    /// A record of another aggregate type.
    Other,
}

/// What a variant of a `#[derive(LogEvent)]` enum wraps: the domain events of one
/// aggregate type. Only generated code names it.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a `LogEvent` variant wraps `DomainEvent<XEvent>` (or `DomainEvent<XEvent, Id>`), not `{Self}`",
    label = "write the domain events of one aggregate type here, e.g. `DomainEvent<DogEvent>`"
)]
pub trait LogVariant: Sized {
    /// The topics of the aggregate type's events.
    fn topics() -> Vec<String>;
    /// Decodes a record if it is one of the aggregate type's.
    ///
    /// # Errors
    /// A [`MapperError`] if it is, and cannot be read.
    fn decode(mapper: &Mapper, stored: &StoredEvent) -> Result<Matched<Self>, MapperError>;
    /// The event's ids.
    fn metadata(&self) -> &EventMetadata;
}

impl<E: AggregateEvent, Id: AggregateId> LogVariant for DomainEvent<E, Id> {
    fn topics() -> Vec<String> {
        Mapper::event_topics::<E>()
    }

    fn decode(mapper: &Mapper, stored: &StoredEvent) -> Result<Matched<Self>, MapperError> {
        let Some(topic) = mapper.parse_topic::<E>(&stored.topic) else { return Ok(Matched::Other) };
        if topic == Topic::Discarded {
            return Ok(Matched::Skipped);
        }
        let decoded = mapper.decode_topic::<E, Id>(stored, topic, &mut ChainCursor::after(None))?;
        Ok(decoded.map_or(Matched::Skipped, Matched::Event))
    }

    fn metadata(&self) -> &EventMetadata {
        &self.metadata
    }
}

/// The end of a derived [`LogEvent::decode`]: a record no variant holds is passed over if
/// `skip` names its aggregate type or its topic, and is an error otherwise.
///
/// # Errors
/// [`MapperError::UnknownTopic`] naming the record and `enum_name`.
#[doc(hidden)]
pub fn unmatched<T>(stored: &StoredEvent, enum_name: &'static str, skip: &[&str]) -> Result<Option<T>, MapperError> {
    let skipped = skip.iter().any(|entry| *entry == stored.topic || topic::parse(entry, &stored.topic).is_some());
    if skipped {
        Ok(None)
    } else {
        Err(MapperError::UnknownTopic { record: RecordId::of(stored), aggregate: enum_name })
    }
}
