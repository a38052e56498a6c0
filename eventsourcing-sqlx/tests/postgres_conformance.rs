//! The PostgreSQL store passes the whole recorder conformance kit. Each test uses a new
//! schema of the database named by `EVENTSOURCING_POSTGRES_TEST_URL`; without it the tests
//! say that they were skipped.
#![cfg(feature = "postgres")]

use eventsourcing_sqlx::IdType;
use eventsourcing_sqlx::postgres::{PostgresOptions, PostgresStore};

fn url() -> Option<String> {
    let url = std::env::var("EVENTSOURCING_POSTGRES_TEST_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        say_skipped();
    }
    url
}

async fn store(id_type: IdType) -> Option<PostgresStore> {
    let mut options = PostgresOptions::from_url(&url()?, "conformance").unwrap();
    options.schema = format!("es_test_{}", uuid::Uuid::new_v4().simple());
    options.id_type = id_type;
    Some(PostgresStore::open(options).await.unwrap())
}

mod events {
    use super::*;
    eventsourcing_core::recorder_conformance_tests!(optional process, || async { Some(store(IdType::Uuid).await?.events()) });
}

mod snapshots {
    use super::*;
    eventsourcing_core::recorder_conformance_tests!(optional aggregate, || async { Some(store(IdType::Uuid).await?.snapshots()) });
}

/// Says, once per test program and past the test harness's output capture, that the
/// PostgreSQL tests were skipped.
fn say_skipped() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "note: PostgreSQL tests skipped in {}: set EVENTSOURCING_POSTGRES_TEST_URL to run them",
            module_path!()
        );
    });
}
