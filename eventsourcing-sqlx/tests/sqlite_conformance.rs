//! The SQLite store passes the whole recorder conformance kit, in memory and in files.
#![cfg(feature = "sqlite")]

use eventsourcing_sqlx::sqlite::{SqliteOptions, SqliteStore};

mod in_memory {
    use super::*;

    eventsourcing_core::recorder_conformance_tests!(process, || async {
        SqliteStore::open(SqliteOptions::new(":memory:")).await.unwrap().events()
    });

    mod snapshots {
        use super::*;

        eventsourcing_core::recorder_conformance_tests!(aggregate, || async {
            SqliteStore::open(SqliteOptions::new(":memory:")).await.unwrap().snapshots()
        });
    }
}

mod file {
    use super::*;

    fn path() -> String {
        let dir = std::env::temp_dir().join("eventsourcing-sqlx-tests");
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(format!("{}.sqlite", uuid::Uuid::new_v4())).display().to_string()
    }

    eventsourcing_core::recorder_conformance_tests!(process, || async {
        SqliteStore::open(SqliteOptions::new(path())).await.unwrap().events()
    });
}
