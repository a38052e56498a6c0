//! sqlx errors as the library's [`PersistenceError`]s.

use eventsourcing_core::persistence::PersistenceError;

/// Maps an error that is not a version conflict (callers check those first, knowing the
/// row involved).
#[allow(clippy::needless_pass_by_value)] // used as `.map_err(map)`
pub(crate) fn map(error: sqlx::Error) -> PersistenceError {
    match &error {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) | sqlx::Error::PoolClosed => {
            PersistenceError::Connection { message: error.to_string() }
        }
        sqlx::Error::PoolTimedOut => {
            PersistenceError::Connection { message: "timed out waiting for a connection from the pool".into() }
        }
        sqlx::Error::Configuration(_) => PersistenceError::Configuration { message: error.to_string() },
        sqlx::Error::Database(db) => {
            let message = db.message().to_owned();
            match db.code().as_deref() {
                // PostgreSQL: undefined_table, invalid_schema_name.
                Some("42P01" | "3F000") => PersistenceError::MissingTable { message },
                // PostgreSQL: lock_not_available, query_canceled (statement timeout).
                Some("55P03" | "57014") => PersistenceError::LockTimeout { message },
                // PostgreSQL: connection exceptions, admin shutdown, cannot connect now.
                Some(code) if code.starts_with("08") || code == "57P01" || code == "57P03" => {
                    PersistenceError::Connection { message }
                }
                // SQLite: SQLITE_BUSY, SQLITE_LOCKED (with extended codes).
                Some(code) if is_sqlite(db.as_ref()) && is_sqlite_code(code, &[5, 6]) => {
                    PersistenceError::LockTimeout { message }
                }
                _ if message.starts_with("no such table") => PersistenceError::MissingTable { message },
                _ => PersistenceError::Other { message },
            }
        }
        _ => PersistenceError::Other { message: error.to_string() },
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

/// Whether trying again may succeed: the connection failed before anything was sent.
#[cfg(feature = "postgres")]
pub(crate) fn is_transient(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Protocol(_))
        || matches!(error, sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("08") || c == "57P03"))
}
