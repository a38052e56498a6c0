#![doc = include_str!("../README.md")]

pub use eventsourcing_core::{domain, persistence};
pub use eventsourcing_macros::{Event, LogEvent, aggregate, event};

/// Applications: saving, getting, snapshotting aggregates, and the notification log.
pub mod application {
    pub use eventsourcing_application::config;
    pub use eventsourcing_application::{
        Application, ApplicationBuilder, ApplicationError, Changes, ConfigError, Conflict, DEFAULT_SECTION_SIZE,
        Environment, LogReader, NotificationLog, Repository, Retry, Section, retry_on_conflict,
    };
}

/// Projections: views built from an application's events, each applied exactly once. The
/// views are [`persistence::MemoryView`], `sqlite::SqliteView` and `postgres::PostgresView`.
///
/// An event-sourced projection, whose view is aggregates recorded by a
/// [`system::Policy`], runs with [`EventSourcedProjectionRunner`](projection::EventSourcedProjectionRunner).
pub mod projection {
    pub use eventsourcing_application::{EventSourcedProjectionRunner, Projection, ProjectionError, ProjectionRunner};
}

/// Systems: process applications whose policies react to other applications' events,
/// wired into pipes and run inline (for tests) or as tasks that follow their leaders live,
/// in this process or across processes.
pub mod system {
    pub use eventsourcing_application::{
        Mode, Pipe, Policy, ProcessApplication, Processing, ProcessingError, Runner, RunnerBuilder, System,
        SystemApplication, SystemBuilder, SystemError, process_notification,
    };
}

/// Given / when / then tests of aggregates' commands and of policies.
pub mod testing {
    pub use eventsourcing_application::testing::{
        CommandResult, Creation, Given, PolicyTest, Recorded, TestError, Then, given,
    };
}

/// The serde crate the generated code uses, for `#[serde(crate = "eventsourcing::serde")]`.
pub use eventsourcing_core::__private::serde;

#[doc(hidden)]
pub use eventsourcing_core::__private;

/// The SQLite store (feature `sqlite`): Python `eventsourcing`'s tables in one database
/// file, or in memory.
#[cfg(feature = "sqlite")]
pub mod sqlite {
    pub use eventsourcing_sqlx::sqlite::{
        SqliteApplicationRecorder, SqliteOptions, SqliteSnapshotRecorder, SqliteStore,
    };
    pub use eventsourcing_sqlx::views::SqliteView;
}

/// The PostgreSQL store (feature `postgres`): Python `eventsourcing`'s tables in a schema,
/// notification ids in commit order, LISTEN/NOTIFY.
#[cfg(feature = "postgres")]
pub mod postgres {
    pub use eventsourcing_sqlx::postgres::{
        PostgresApplicationRecorder, PostgresOptions, PostgresSnapshotRecorder, PostgresStore,
    };
    pub use eventsourcing_sqlx::views::PostgresView;
}

/// Everything an aggregate module needs: `use eventsourcing::prelude::*;`.
pub mod prelude {
    pub use crate::application::{Application, ApplicationError};
    pub use crate::domain::{Aggregate, AggregateEvent, AggregateId, DomainEvent, Event, Snapshot};
    pub use crate::persistence::{
        AggregateRecorder, ApplicationRecorder, LogEvent, ProcessRecorder, Record, TrackingRecorder,
    };
    pub use crate::{aggregate, event};
    pub use eventsourcing_core::__private::chrono::{DateTime, Utc};
    pub use eventsourcing_core::__private::serde::{Deserialize, Serialize};
    pub use eventsourcing_core::__private::uuid::Uuid;
    pub use eventsourcing_macros::{Event, LogEvent};
}

/// The user guide's chapters, compiled and run as documentation tests.
#[cfg(doctest)]
mod guide {
    #[doc = include_str!("../docs/src/getting-started.md")]
    struct GettingStarted;
    #[doc = include_str!("../docs/src/aggregates.md")]
    struct Aggregates;
    #[doc = include_str!("../docs/src/versioning.md")]
    struct Versioning;
    #[doc = include_str!("../docs/src/application.md")]
    struct Applications;
    #[doc = include_str!("../docs/src/projections.md")]
    struct Projections;
    #[doc = include_str!("../docs/src/systems.md")]
    struct Systems;
    #[doc = include_str!("../docs/src/python.md")]
    struct Python;
}
