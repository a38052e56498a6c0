//! The PostgreSQL store passes the whole recorder conformance kit. Each test uses a new
//! schema of the database named by `EVENTSOURCING_POSTGRES_TEST_URL`; without it the tests
//! say that they were skipped.
#![cfg(feature = "postgres")]

use eventsourcing_core::persistence::IdType;
use eventsourcing_sqlx::postgres::{PostgresOptions, PostgresStore};

fn url() -> Option<String> {
    eventsourcing_core::testing::env_or_skip("EVENTSOURCING_POSTGRES_TEST_URL")
}

async fn store(id_type: IdType) -> Option<PostgresStore> {
    let mut options = PostgresOptions::from_url(&url()?, "conformance").unwrap();
    options.schema = eventsourcing_sqlx::testing::schema(&url()?, "conformance").await;
    options.id_type = id_type;
    Some(PostgresStore::open(options).await.unwrap())
}

mod events {
    use super::*;
    eventsourcing_core::recorder_conformance_tests!(postgres process, || async { Some(store(IdType::Uuid).await?.events()) });
}

mod snapshots {
    use super::*;
    eventsourcing_core::recorder_conformance_tests!(postgres aggregate, || async { Some(store(IdType::Uuid).await?.snapshots()) });
}
