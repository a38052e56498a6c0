use thiserror::Error;

/// Boxed error returned by a command body during replay.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a sequence of events could not be replayed into an aggregate.
///
/// Replaying never panics and never yields a silently wrong aggregate: each way a stored
/// sequence can disagree with the aggregate is its own variant, naming the event.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// There were no events to replay.
    #[error("no events to replay into a {aggregate}")]
    NoEvents {
        /// The aggregate type's name.
        aggregate: &'static str,
    },
    /// An event belongs to another aggregate (Python's `OriginatorIDError`).
    #[error("event {event} (version {version}) belongs to aggregate {found}, not to {aggregate} {expected}")]
    OriginatorId {
        /// The aggregate type's name.
        aggregate: &'static str,
        /// The id of the aggregate being replayed.
        expected: String,
        /// The id the event carries.
        found: String,
        /// The event's name.
        event: &'static str,
        /// The event's version.
        version: u64,
    },
    /// An event's version does not follow the aggregate's (Python's `OriginatorVersionError`).
    #[error("event {event} of {aggregate} {id} has version {found}, expected version {expected}")]
    OriginatorVersion {
        /// The aggregate type's name.
        aggregate: &'static str,
        /// The aggregate's id.
        id: String,
        /// The version that should come next.
        expected: u64,
        /// The version the event carries.
        found: u64,
        /// The event's name.
        event: &'static str,
    },
    /// The first event does not create the aggregate.
    #[error("event {event} (version {version}) of {aggregate} {id} does not create the aggregate")]
    NotCreated {
        /// The aggregate type's name.
        aggregate: &'static str,
        /// The id the event carries.
        id: String,
        /// The event's name.
        event: &'static str,
        /// The event's version.
        version: u64,
    },
    /// A creation event appears after the aggregate already exists.
    #[error("event {event} (version {version}) would create {aggregate} {id} a second time")]
    AlreadyCreated {
        /// The aggregate type's name.
        aggregate: &'static str,
        /// The aggregate's id.
        id: String,
        /// The event's name.
        event: &'static str,
        /// The event's version.
        version: u64,
    },
    /// The command body rejected an event while it was replayed.
    ///
    /// Bodies must be deterministic in their parameters: a body that accepted an event
    /// when it was recorded should accept it again.
    #[error("{aggregate} {id} rejected event {event} (version {version}) on replay: {source}")]
    Rejected {
        /// The aggregate type's name.
        aggregate: &'static str,
        /// The aggregate's id.
        id: String,
        /// The event's name.
        event: &'static str,
        /// The event's version.
        version: u64,
        /// The error the body returned.
        source: BoxError,
    },
}
