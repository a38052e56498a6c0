//! SQLite database files of a test's own, removed with their write-ahead log when the test
//! ends, whether it passed or failed. Examples and other packages' tests include this
//! file too, each using part of it.
#![allow(dead_code, unreachable_pub)]

use eventsourcing::prelude::Uuid;

/// A new file name in the temporary directory (the stores create the file).
#[derive(Debug)]
pub struct SqliteFile(pub String);

impl SqliteFile {
    /// `<temp>/<prefix>-<random>.sqlite`.
    pub fn new(prefix: &str) -> Self {
        SqliteFile(std::env::temp_dir().join(format!("{prefix}-{}.sqlite", Uuid::new_v4())).display().to_string())
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0));
        }
    }
}

/// A new directory in the temporary directory, for several databases of one test, removed
/// with everything in it when the test ends.
#[derive(Debug)]
pub struct SqliteDir(pub std::path::PathBuf);

impl SqliteDir {
    /// `<temp>/<prefix>-<random>/`, created.
    pub fn new(prefix: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        SqliteDir(dir)
    }

    /// The path of the database `name` in it.
    pub fn file(&self, name: &str) -> String {
        self.0.join(format!("{name}.sqlite")).display().to_string()
    }
}

impl Drop for SqliteDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
