//! sqlx errors as the library's [`PersistenceError`]s.

use eventsourcing_core::persistence::PersistenceError;

/// Maps an error that is not a version conflict (callers check those first, knowing the
/// row involved).
#[allow(clippy::needless_pass_by_value)] // used as `.map_err(map)`
pub(crate) fn map(error: sqlx::Error) -> PersistenceError {
    map_ref(&error).with_source(error)
}

/// As [`map`], for an error the caller keeps.
pub(crate) fn map_ref(error: &sqlx::Error) -> PersistenceError {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => {
            PersistenceError::Connection { message: error.to_string(), source: None }
        }
        // Closed by its owner, not lost: trying again cannot help.
        sqlx::Error::PoolClosed => {
            PersistenceError::Other { message: "the store's connection pool is closed".into(), source: None }
        }
        sqlx::Error::PoolTimedOut => PersistenceError::Connection {
            message: "timed out waiting for a connection from the pool".into(),
            source: None,
        },
        sqlx::Error::Configuration(_) => PersistenceError::Configuration { message: error.to_string(), source: None },
        sqlx::Error::Database(db) => {
            let message = db.message().to_owned();
            match db.code().as_deref() {
                // PostgreSQL: undefined_table, invalid_schema_name.
                Some("42P01" | "3F000") => PersistenceError::MissingTable { message, source: None },
                // PostgreSQL: lock_not_available, query_canceled (statement timeout).
                Some("55P03" | "57014") => PersistenceError::LockTimeout { message, source: None },
                Some(code) if is_lost_connection_code(code) => PersistenceError::Connection { message, source: None },
                // SQLite: SQLITE_BUSY, SQLITE_LOCKED (with extended codes).
                Some(code) if is_sqlite(db.as_ref()) && is_sqlite_code(code, &[5, 6]) => {
                    PersistenceError::LockTimeout { message, source: None }
                }
                _ if message.starts_with("no such table") => PersistenceError::MissingTable { message, source: None },
                _ => PersistenceError::Other { message, source: None },
            }
        }
        _ => PersistenceError::Other { message: error.to_string(), source: None },
    }
}

/// Whether the error comes from SQLite (whose codes are numbers, as some SQLSTATEs are).
fn is_sqlite(error: &dyn sqlx::error::DatabaseError) -> bool {
    #[cfg(feature = "sqlite")]
    {
        error.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
    }
    #[cfg(not(feature = "sqlite"))]
    {
        let _ = error;
        false
    }
}

fn is_sqlite_code(code: &str, primary: &[i64]) -> bool {
    code.parse::<i64>().is_ok_and(|code| primary.contains(&(code & 0xff)))
}

/// The conflict of a tracking position that did not advance past `recorded`.
pub(crate) fn tracking_conflict(
    tracking: &eventsourcing_core::persistence::Tracking,
    recorded: Option<i64>,
) -> PersistenceError {
    let recorded = recorded.map(crate::ids::version_from_db).transpose();
    match recorded {
        Ok(recorded) => PersistenceError::TrackingConflict {
            application_name: tracking.application_name.clone(),
            notification_id: tracking.notification_id,
            recorded,
        },
        Err(error) => error,
    }
}

/// Whether the error is a unique-constraint violation.
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// PostgreSQL's codes for a connection that the server ended or could not serve: class 08
/// (connection exception), `57P01` `admin_shutdown` (`pg_terminate_backend`, a fast
/// shutdown), `57P02` `crash_shutdown`, `57P03` `cannot_connect_now` (starting up).
fn is_lost_connection_code(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
}

/// Whether the connection was lost (ended by the server, or an I/O failure): nothing more
/// comes from it, and the same work on a new connection may succeed. Whether the work may
/// be repeated is for the caller to judge: a transaction cut off before its `COMMIT` was
/// sent was rolled back; one cut off during `COMMIT` may have committed.
///
/// A pool timeout is not among these: the pool has already spent the whole connect
/// timeout retrying, so trying again would only multiply the wait.
#[cfg(feature = "postgres")]
pub(crate) fn is_connection_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| is_lost_connection_code(&code)),
        _ => false,
    }
}
