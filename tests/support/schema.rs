//! PostgreSQL schemas of a test's own, dropped with everything in them when the test ends,
//! whether it passed or failed.

use std::fmt;
use std::ops::Deref;

use eventsourcing::prelude::Uuid;

/// A schema named `es_test_<random>`, dropped (`CASCADE`) when this is dropped.
pub struct Schema {
    url: String,
    name: String,
}

impl Schema {
    /// A new name; the stores create the schema when they open.
    pub fn new(url: &str) -> Self {
        Schema { url: url.to_owned(), name: format!("es_test_{}", Uuid::new_v4().simple()) }
    }

    /// The schema's name.
    pub fn as_str(&self) -> &str {
        &self.name
    }
}

impl Deref for Schema {
    type Target = str;

    fn deref(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl From<&Schema> for String {
    fn from(schema: &Schema) -> String {
        schema.name.clone()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // On a thread of its own, with a runtime of its own: a test's runtime may be the one
        // dropping this, and cannot be blocked on from inside.
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let pool = sqlx::PgPool::connect(&url).await.map_err(|e| e.to_string())?;
                let drop = format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE");
                sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await.map_err(|e| e.to_string())?;
                pool.close().await;
                Ok(())
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("note: could not drop the test schema {}: {error}", self.name);
        }
    }
}
