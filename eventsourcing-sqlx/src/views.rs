//! Materialised views in SQLite and PostgreSQL: a projection writes its own tables through
//! the open sqlx transaction, and the tracking position is inserted in the same
//! transaction, in the table `<name>_tracking`.

use eventsourcing_core::persistence::{Result, Tracking, View};
use sqlx::AssertSqlSafe;

use crate::error::{map, tracking_conflict};
use crate::ids::{version_from_db, version_to_db};
use crate::names::identifier;

/// The statements of one view's tracking table, built from checked names only.
#[derive(Debug, Clone)]
struct TrackingSql {
    create: String,
    insert: String,
    select: String,
}

impl TrackingSql {
    fn new(table: &str) -> Self {
        TrackingSql {
            create: format!(
                "CREATE TABLE IF NOT EXISTS {table} (application_name TEXT, notification_id BIGINT, \
                 PRIMARY KEY (application_name))"
            ),
            // Advances the position only forwards: a runner behind another inserts nothing.
            insert: format!(
                "INSERT INTO {table} AS t (application_name, notification_id) VALUES ($1, $2) \
                 ON CONFLICT (application_name) DO UPDATE SET notification_id = excluded.notification_id \
                 WHERE t.notification_id < excluded.notification_id RETURNING notification_id"
            ),
            select: format!("SELECT notification_id FROM {table} WHERE application_name = $1"),
        }
    }
}

/// `View::commit` and `View::max_tracking_id`, the same SQL on both databases: the
/// tracking row advances only forwards, and a position not beyond the recorded one is the
/// tracking conflict it stands for.
macro_rules! tracking_methods {
    () => {
        async fn commit(&self, mut transaction: Self::Transaction, tracking: Tracking) -> Result<()> {
            let advanced = sqlx::query(AssertSqlSafe(self.sql.insert.as_str()))
                .bind(&tracking.application_name)
                .bind(version_to_db(tracking.notification_id)?)
                .fetch_optional(&mut *transaction)
                .await
                .map_err(map)?;
            if advanced.is_none() {
                let recorded: Option<i64> = sqlx::query_scalar(AssertSqlSafe(self.sql.select.as_str()))
                    .bind(&tracking.application_name)
                    .fetch_optional(&mut *transaction)
                    .await
                    .map_err(map)?;
                return Err(tracking_conflict(&tracking, recorded));
            }
            transaction.commit().await.map_err(map)
        }

        async fn max_tracking_id(&self, application_name: &str) -> Result<Option<u64>> {
            let recorded: Option<i64> = sqlx::query_scalar(AssertSqlSafe(self.sql.select.as_str()))
                .bind(application_name)
                .fetch_optional(&self.pool)
                .await
                .map_err(map)?;
            recorded.map(version_from_db).transpose()
        }
    };
}

/// A view in a SQLite database: the projection gets the open transaction (taken with
/// `BEGIN IMMEDIATE`, so that it holds the write lock from the start) and writes to its own
/// tables; the tracking position goes to `<name>_tracking`.
#[cfg(feature = "sqlite")]
#[derive(Debug, Clone)]
pub struct SqliteView {
    pool: sqlx::SqlitePool,
    sql: TrackingSql,
}

#[cfg(feature = "sqlite")]
impl SqliteView {
    /// The view called `name` in the database of `pool`; creates its tracking table if
    /// missing.
    ///
    /// # Errors
    /// [`PersistenceError::Configuration`](eventsourcing_core::persistence::PersistenceError::Configuration) for a name that is not letters, digits and
    /// underscores; a store error creating the table.
    pub async fn open(pool: sqlx::SqlitePool, name: &str) -> Result<Self> {
        let table = identifier(&format!("{name}_tracking"), "the view's tracking table")?;
        let view = SqliteView { pool, sql: TrackingSql::new(&table) };
        sqlx::query(AssertSqlSafe(view.sql.create.as_str())).execute(&view.pool).await.map_err(map)?;
        Ok(view)
    }

    /// The connection pool, to read the view.
    pub fn pool(&self) -> &sqlx::SqlitePool {
        &self.pool
    }
}

#[cfg(feature = "sqlite")]
impl View for SqliteView {
    type Transaction = sqlx::Transaction<'static, sqlx::Sqlite>;

    async fn begin(&self) -> Result<Self::Transaction> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map)
    }

    tracking_methods!();
}

/// A view in a PostgreSQL database: the projection gets the open transaction and writes to
/// its own tables; the tracking position goes to `<schema>.<name>_tracking`.
#[cfg(feature = "postgres")]
#[derive(Debug, Clone)]
pub struct PostgresView {
    pool: sqlx::PgPool,
    sql: TrackingSql,
}

#[cfg(feature = "postgres")]
impl PostgresView {
    /// The view called `name` in `schema` of the database of `pool`; creates the schema
    /// and the tracking table if missing.
    ///
    /// # Errors
    /// [`PersistenceError::Configuration`](eventsourcing_core::persistence::PersistenceError::Configuration) for a name that is not letters, digits and
    /// underscores; a store error creating the table.
    pub async fn open(pool: sqlx::PgPool, schema: &str, name: &str) -> Result<Self> {
        let quoted_schema = identifier(schema, "the view's schema")?;
        let table =
            format!("{quoted_schema}.{}", identifier(&format!("{name}_tracking"), "the view's tracking table")?);
        let view = PostgresView { pool, sql: TrackingSql::new(&table) };
        let mut tx = view.pool.begin().await.map_err(map)?;
        // Serialise concurrent creators: CREATE ... IF NOT EXISTS races on the catalog.
        sqlx::query("SELECT pg_advisory_xact_lock(4412062907317)").execute(&mut *tx).await.map_err(map)?;
        let create_schema = format!("CREATE SCHEMA IF NOT EXISTS {quoted_schema}");
        sqlx::query(AssertSqlSafe(create_schema)).execute(&mut *tx).await.map_err(map)?;
        sqlx::query(AssertSqlSafe(view.sql.create.as_str())).execute(&mut *tx).await.map_err(map)?;
        tx.commit().await.map_err(map)?;
        Ok(view)
    }

    /// The connection pool, to read the view.
    pub fn pool(&self) -> &sqlx::PgPool {
        &self.pool
    }
}

#[cfg(feature = "postgres")]
impl View for PostgresView {
    type Transaction = sqlx::Transaction<'static, sqlx::Postgres>;

    async fn begin(&self) -> Result<Self::Transaction> {
        self.pool.begin().await.map_err(map)
    }

    tracking_methods!();
}
