//! The application layer of the `eventsourcing` crate: [`Application`] saves aggregates'
//! events atomically on any store, gets aggregates back at any version (through
//! snapshots and a cache), and exposes every event through a [`NotificationLog`].
//!
//! Configuration follows Python `eventsourcing`: environment variables with the same
//! names (`PERSISTENCE_MODULE`, `CIPHER_KEY`, `IS_SNAPSHOTTING_ENABLED`, ...), each of
//! which may be prefixed with the application's name (`DOGSCHOOL_CIPHER_KEY`), or the same
//! settings through [`ApplicationBuilder`].

mod aggregate_types;
mod application;
mod cache;
mod changes;
pub mod config;
mod error;
mod event_sourced_projection;
mod notification_log;
mod process;
mod projection;
mod repository;
mod retry;
mod runner;
mod store;
mod system;
pub mod testing;

pub use application::{Application, ApplicationBuilder, DEFAULT_SECTION_SIZE};
pub use changes::Changes;
pub use error::ApplicationError;
pub use event_sourced_projection::EventSourcedProjectionRunner;
pub use eventsourcing_core::environment::{ConfigError, Environment};
pub use notification_log::{LogReader, NotificationLog, Section};
pub use process::{Policy, Processing, ProcessingError, process_notification};
pub use projection::{Projection, ProjectionError, ProjectionRunner};
pub use repository::Repository;
pub use retry::{Conflict, Retry, retry_on_conflict};
pub use runner::{Mode, Runner, RunnerBuilder};
pub use system::{Pipe, ProcessApplication, System, SystemApplication, SystemBuilder, SystemError};
