//! What the integration tests share: the fixture aggregates, and a recorder that observes
//! and tampers with what the in-memory store returns.
#![allow(dead_code, missing_docs, unreachable_pub, unused_imports)]

mod fixtures;
mod observed;
pub mod python_dog;
mod schema;
mod sqlite_file;

pub use fixtures::{Account, AccountEvent, Counter, CounterEvent, Dog, DogEvent, Note, NoteEvent};
pub use observed::Observed;
pub use schema::Schema;
pub use sqlite_file::{SqliteDir, SqliteFile};
