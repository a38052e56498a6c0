//! Opening the stores an application's configuration names.

use std::sync::Arc;

use eventsourcing_core::persistence::memory::InMemoryRecorder;
use eventsourcing_core::persistence::{DynAggregateRecorder, DynProcessRecorder};

use crate::config::PersistenceModule;
use crate::environment::Environment;
use crate::error::{ApplicationError, ConfigError};

/// The recorders of one application: its events (with notifications and tracking), and
/// its snapshots if snapshotting is on.
#[derive(Clone)]
pub(crate) struct Stores {
    pub(crate) events: Arc<dyn DynProcessRecorder>,
    pub(crate) snapshots: Option<Arc<dyn DynAggregateRecorder>>,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores").field("snapshots", &self.snapshots.is_some()).finish_non_exhaustive()
    }
}

/// Opens the store named by `module`.
pub(crate) fn open(
    module: PersistenceModule,
    env: &Environment,
    snapshotting: bool,
) -> Result<Stores, ApplicationError> {
    match module {
        PersistenceModule::Memory => Ok(Stores {
            events: Arc::new(InMemoryRecorder::new()),
            snapshots: snapshotting.then(|| Arc::new(InMemoryRecorder::new()) as Arc<dyn DynAggregateRecorder>),
        }),
        PersistenceModule::Sqlite => Err(not_compiled(env, "sqlite")),
        PersistenceModule::Postgres => Err(not_compiled(env, "postgres")),
    }
}

fn not_compiled(env: &Environment, feature: &'static str) -> ApplicationError {
    let (variable, value) = env.lookup("PERSISTENCE_MODULE").map_or_else(
        || ("PERSISTENCE_MODULE".to_owned(), feature.to_owned()),
        |(variable, value)| (variable, value.to_owned()),
    );
    ConfigError::StoreNotCompiled { variable, value, feature }.into()
}
