//! PostgreSQL schemas for this crate's tests (feature `testing`): each test program names
//! its schemas after itself, and drops those an earlier run of it left behind before it
//! makes its first, so that runs do not pile schemas up in the database.

use tokio::sync::OnceCell;
use uuid::Uuid;

/// A new schema name for the test program `program` (`es_test_<program>_<random>`). The
/// first call of a run drops the schemas with that prefix.
///
/// # Panics
/// If the database cannot be reached: the tests that use it need it anyway.
pub async fn schema(url: &str, program: &str) -> String {
    static SWEPT: OnceCell<()> = OnceCell::const_new();
    let prefix = format!("es_test_{program}_");
    SWEPT
        .get_or_init(|| async {
            let pool = sqlx::PgPool::connect(url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
            let pattern = format!("{}%", prefix.replace('_', "\\_"));
            let stale: Vec<String> = sqlx::query_scalar(
                "SELECT schema_name::text FROM information_schema.schemata WHERE schema_name LIKE $1",
            )
            .bind(pattern)
            .fetch_all(&pool)
            .await
            .unwrap_or_default();
            for name in stale {
                let drop = format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE");
                if let Err(error) = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await {
                    eprintln!("note: could not drop the stale test schema {name}: {error}");
                }
            }
            pool.close().await;
        })
        .await;
    format!("{prefix}{}", Uuid::new_v4().simple())
}
