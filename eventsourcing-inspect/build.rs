//! Marks, at build time, whether the tests that need a PostgreSQL server can run: without
//! `EVENTSOURCING_POSTGRES_TEST_URL` they are ignored, and the test summary counts them so.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=EVENTSOURCING_POSTGRES_TEST_URL");
    if std::env::var("EVENTSOURCING_POSTGRES_TEST_URL").is_ok_and(|value| !value.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
