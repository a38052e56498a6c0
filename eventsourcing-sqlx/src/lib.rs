//! SQLite and PostgreSQL stores for the `eventsourcing` crate, built on sqlx.
//!
//! The stores are not written yet: this crate reserves the name and the features
//! (`sqlite`, `postgres`) that the facade crate forwards.
