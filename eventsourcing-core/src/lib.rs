//! Runtime of the `eventsourcing` crate: aggregates, domain events, snapshots and codecs.
//!
//! Most users depend on the facade crate `eventsourcing`, which re-exports this crate
//! together with the `#[aggregate]` and `#[event]` macros. The layering follows Python's
//! `eventsourcing` library so that its users find their way:
//!
//! - [`domain`]: the [`Aggregate`](domain::Aggregate) trait, [`DomainEvent`](domain::DomainEvent),
//!   event traits, ids, snapshots and the errors of replaying events;
//! - [`persistence`]: how events and snapshots become bytes ([`Codec`](persistence::Codec)).

pub mod domain;
pub mod environment;
pub mod persistence;
#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
pub mod __private;
