//! The recorder conformance kit: the properties every store must have, ported from
//! Python `eventsourcing`'s shared recorder test cases, written once and run for every
//! store with one macro call.
//!
//! ```ignore
//! eventsourcing_core::recorder_conformance_tests!(process, || async { InMemoryRecorder::new() });
//! eventsourcing_core::recorder_conformance_tests!(optional process, || async { connect_if_configured().await });
//! ```
//!
//! The first argument says what the store implements: `aggregate` ([`AggregateRecorder`]),
//! `application` ([`ApplicationRecorder`] + [`TrackingRecorder`]) or `process`
//! ([`ProcessRecorder`]); the second makes a fresh, empty store for each test.
//!
//! [`AggregateRecorder`]: crate::persistence::AggregateRecorder
//! [`ApplicationRecorder`]: crate::persistence::ApplicationRecorder
//! [`TrackingRecorder`]: crate::persistence::TrackingRecorder
//! [`ProcessRecorder`]: crate::persistence::ProcessRecorder

// The kit's functions are tests: failing an assertion is how they report.
#![allow(clippy::missing_panics_doc)]

mod aggregate;
mod application;
mod process;
mod tracking;

pub use aggregate::{insert_and_select, select_bounds_and_order, stored_bytes_round_trip};
pub use application::{
    Stress, StressFigures, concurrent_writers_with_tailing_readers, insert_and_select_notifications,
    non_interleaving_notification_ids, subscribe_catches_up_then_follows, tailing_readers_see_every_commit,
};
pub use process::{events_and_tracking_are_atomic, tracking_only_inserts};
pub use tracking::{insert_tracking, wait_for_tracking};

use uuid::Uuid;

use crate::persistence::{OriginatorId, StoredEvent};

/// Runs a test body on a two-thread tokio runtime.
///
/// # Panics
/// If the runtime cannot be built.
pub fn run<F: std::future::Future<Output = ()>>(future: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime for the conformance test")
        .block_on(future);
}

/// The value of the environment variable `var`, which names a server tests need; without
/// it, says once per test program, past the test harness's output capture, that those
/// tests were skipped, and returns `None`.
pub fn env_or_skip(var: &str) -> Option<String> {
    static SAID: std::sync::Once = std::sync::Once::new();
    let value = std::env::var(var).ok().filter(|value| !value.is_empty());
    if value.is_none() {
        SAID.call_once(|| {
            use std::io::Write as _;
            let program = std::env::args().next().unwrap_or_default();
            let _ = writeln!(std::io::stderr(), "note: tests skipped in {program}: set {var} to run them");
        });
    }
    value
}

/// A stored event with the given identity and a small payload.
pub fn stored(originator_id: &OriginatorId, originator_version: u64, topic: &str) -> StoredEvent {
    StoredEvent {
        originator_id: originator_id.clone(),
        originator_version,
        topic: topic.to_owned(),
        state: format!("{{\"v\":{originator_version}}}").into_bytes(),
    }
}

/// A new random originator id.
pub fn new_id() -> OriginatorId {
    OriginatorId::Uuid(Uuid::new_v4())
}

/// Expands the conformance kit into one named `#[test]` per property, for a store made
/// by `$make` (an expression callable as `$make().await`).
///
/// With `optional` before the kind, `$make().await` returns an `Option`, and `None` skips
/// each test (for stores that need a server the environment may not name). `postgres` is
/// `optional`, and also marks each test ignored unless the crate that expands it is built
/// with `--cfg postgres_tests` (set by its build script when
/// `EVENTSOURCING_POSTGRES_TEST_URL` is), so that the test summary counts the skips.
#[macro_export]
macro_rules! recorder_conformance_tests {
    (optional $kind:ident, $make:expr) => {
        $crate::recorder_conformance_tests!(@ $kind, $make, optional);
    };
    (postgres $kind:ident, $make:expr) => {
        $crate::recorder_conformance_tests!(@ $kind, $make, postgres);
    };
    ($kind:ident, $make:expr) => {
        $crate::recorder_conformance_tests!(@ $kind, $make, required);
    };
    (@ aggregate, $make:expr, $mode:ident) => {
        $crate::__conformance_tests!($mode, $make; insert_and_select, select_bounds_and_order, stored_bytes_round_trip);
    };
    (@ application, $make:expr, $mode:ident) => {
        $crate::recorder_conformance_tests!(@ aggregate, $make, $mode);
        $crate::__conformance_tests!($mode, $make;
            insert_and_select_notifications,
            subscribe_catches_up_then_follows,
            concurrent_writers_with_tailing_readers,
            non_interleaving_notification_ids,
            insert_tracking,
            wait_for_tracking
        );
    };
    (@ process, $make:expr, $mode:ident) => {
        $crate::recorder_conformance_tests!(@ application, $make, $mode);
        $crate::__conformance_tests!($mode, $make; events_and_tracking_are_atomic, tracking_only_inserts);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    (postgres, $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
            #[test]
            fn $name() {
                $crate::testing::run(async {
                    let Some(recorder) = $crate::__conformance_tests!(@make optional, $make) else { return };
                    $crate::testing::$name(&recorder).await;
                });
            }
        )*
    };
    ($mode:ident, $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::testing::run(async {
                    let Some(recorder) = $crate::__conformance_tests!(@make $mode, $make) else { return };
                    $crate::testing::$name(&recorder).await;
                });
            }
        )*
    };
    (@make required, $make:expr) => {
        Some(($make)().await)
    };
    (@make optional, $make:expr) => {
        ($make)().await
    };
}
