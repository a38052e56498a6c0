//! Marks, at build time, whether the tests that need a PostgreSQL server or a Python
//! interpreter can run: without `EVENTSOURCING_POSTGRES_TEST_URL` (or
//! `EVENTSOURCING_PYTHON`) they are ignored, and the test summary counts them so.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rustc-check-cfg=cfg(python_tests)");
    for (variable, cfg) in
        [("EVENTSOURCING_POSTGRES_TEST_URL", "postgres_tests"), ("EVENTSOURCING_PYTHON", "python_tests")]
    {
        println!("cargo::rerun-if-env-changed={variable}");
        if std::env::var(variable).is_ok_and(|value| !value.is_empty()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
