//! The persistence layer: how events are stored, and the stores.
//!
//! - [`StoredEvent`], [`Notification`] and [`Tracking`] are what stores keep;
//! - the recorder traits ([`AggregateRecorder`], [`ApplicationRecorder`],
//!   [`TrackingRecorder`], [`ProcessRecorder`]) are what every store implements;
//! - [`Mapper`] turns domain events into stored events and back: encode ([`Codec`]),
//!   compress, encrypt, hash-chain;
//! - [`EventStore`] puts aggregates' events through a mapper into a recorder and gets
//!   aggregates back (from their latest snapshot);
//! - [`memory::InMemoryRecorder`] is the default store.

mod cipher;
mod codec;
mod envelope;
mod error;
mod event_store;
pub(crate) mod log_event;
mod mapper;
pub mod memory;
pub mod python;
mod recorder;
mod stored;
mod subscription;
mod topic;
mod view;

pub use cipher::{Cipher, CipherKeyError};
pub use codec::{Codec, CodecError, MAX_RECORD_SIZE};
pub use error::{BoxError, PersistenceError};
pub use event_store::{EventStore, EventStoreError, NewEvents};
pub use log_event::LogEvent;
pub use mapper::{
    ChainBreak, ChainCursor, Compression, HashChain, Inspected, Mapper, MapperError, Record, RecordFormat, RecordId,
};
pub use recorder::{
    AggregateRecorder, AnyAggregateRecorder, AnyRecorder, ApplicationRecorder, ProcessRecorder, Result, Subscription,
    TrackingRecorder,
};
pub use stored::{
    EventQuery, IdType, Notification, NotificationQuery, OriginatorId, SelectedEvents, SelectedIter, StoredEvent,
    Tracking,
};
pub use subscription::follow;
pub use view::{MemoryView, View};
