//! The ranges of the stores' numeric settings. Values outside them would overflow a
//! driver's integer (a lock timeout in milliseconds is an `i32` in SQLite and
//! PostgreSQL), allocate without bound (a pool preallocates per connection), or fail
//! only later, at the first save; so they are refused when a store is opened.

use std::ops::RangeInclusive;
use std::time::Duration;

use eventsourcing_core::persistence::PersistenceError;

/// The longest timeout (lock, connect) and connection age: `i32::MAX` milliseconds,
/// about 24.8 days, the most SQLite's `busy_timeout` and PostgreSQL's `lock_timeout` hold.
pub const MAX_TIMEOUT: Duration = Duration::from_millis(2_147_483_647);

/// The most connections one store's pool may open (pool size plus overflow).
pub const MAX_CONNECTIONS: u32 = 1_000;

/// The allowed connection counts of a pool.
pub const CONNECTIONS: RangeInclusive<u32> = 1..=MAX_CONNECTIONS;

/// Checks that `value`, the setting `name`, is at most [`MAX_TIMEOUT`] (and more than
/// zero if `positive`).
pub(crate) fn check_duration(name: &str, value: Duration, positive: bool) -> Result<(), PersistenceError> {
    if value > MAX_TIMEOUT || (positive && value.is_zero()) {
        let low = if positive { "more than 0" } else { "from 0" };
        return Err(PersistenceError::Configuration {
            message: format!("{name} is {value:?}: it must be {low} to {} seconds", MAX_TIMEOUT.as_secs_f64()),
            source: None,
        });
    }
    Ok(())
}

/// Checks that `value`, the setting `name`, is in `range`.
pub(crate) fn check_count(name: &str, value: u32, range: &RangeInclusive<u32>) -> Result<(), PersistenceError> {
    if range.contains(&value) {
        return Ok(());
    }
    Err(PersistenceError::Configuration {
        message: format!("{name} is {value}: it must be from {} to {}", range.start(), range.end()),
        source: None,
    })
}
