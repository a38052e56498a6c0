//! The domain layer: aggregates, their events and snapshots. No I/O, no async.
//!
//! An aggregate is a plain struct annotated with `#[aggregate]`; its command methods,
//! annotated with `#[event]`, record [`DomainEvent`]s. The traits here are what that
//! generated code implements, and what the application layer relies on.

pub(crate) mod aggregate;
mod error;
mod event;
mod hash;
mod id;
mod metadata;
mod snapshot;

pub use aggregate::Aggregate;
pub use error::ReplayError;
pub use event::{AggregateEvent, DomainEvent, Event, EventInfo};

#[doc(hidden)]
pub mod event_internals {
    pub use super::event::ApplyError;
}
pub use hash::{EventHash, ParseEventHashError};
pub use id::AggregateId;
pub use metadata::{EventMetadata, caused_by, caused_by_async};
pub use snapshot::Snapshot;
