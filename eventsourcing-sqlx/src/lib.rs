//! SQLite and PostgreSQL stores for the `eventsourcing` crate, built on sqlx.
//!
//! Each store implements every recorder trait of `eventsourcing_core::persistence` and
//! passes the recorder conformance kit. Table layouts follow Python `eventsourcing` 9.5,
//! so that a database written by either library has the same tables.
//!
//! - [`sqlite`] (feature `sqlite`): tables `stored_events` (notification id = `rowid`),
//!   `stored_snapshots`, `tracking`; one writer at a time; WAL for files.
//! - [`postgres`] (feature `postgres`): tables `<name>_events`, `<name>_snapshots`,
//!   `<name>_tracking` in a schema; notification ids in commit order; LISTEN/NOTIFY.

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod error;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod ids;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod limits;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod names;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod views;

#[cfg(feature = "sqlite")]
pub mod sqlite;

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "postgres")]
mod reconnect;
#[cfg(all(feature = "postgres", any(test, feature = "testing")))]
pub mod testing;
