//! Notification ids under load on PostgreSQL: eight writers commit batches of ten events
//! (some conflicting on purpose) while two readers tail the log; every reader must see
//! every committed event exactly once, in ascending order, with nothing skipped.
//! Needs `EVENTSOURCING_POSTGRES_TEST_URL`.

use eventsourcing_core::testing::{Stress, run, tailing_readers_see_every_commit};
use eventsourcing_sqlx::postgres::{PostgresOptions, PostgresStore};

#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
#[test]
fn tailing_readers_see_every_commit_under_concurrent_writers() {
    let Some(url) = eventsourcing_core::testing::env_or_skip("EVENTSOURCING_POSTGRES_TEST_URL") else { return };
    run(async {
        let mut options = PostgresOptions::from_url(&url, "stress").unwrap();
        options.schema = eventsourcing_sqlx::testing::schema(&url, "stress").await;
        options.pool_size = 12;
        let recorder = PostgresStore::open(options).await.unwrap().events();
        let stress = Stress { writers: 8, batches: 50, events_per_batch: 10 };
        let figures = tailing_readers_see_every_commit(&recorder, stress).await;
        println!(
            "{} events committed in {:?} ({:.0} events/s), {} batches refused by conflicts; \
             both readers saw every one exactly once, in order",
            figures.events,
            figures.elapsed,
            f64::from(u32::try_from(figures.events).unwrap_or(u32::MAX)) / figures.elapsed.as_secs_f64(),
            figures.conflicts
        );
    });
}
