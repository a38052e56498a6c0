//! Names from configuration used in SQL: checked, then quoted.

use eventsourcing_core::persistence::{PersistenceError, Result};

/// A name usable as an SQL identifier (PostgreSQL's rules, which SQLite accepts too): letters, digits and underscores, not starting
/// with a digit, at most 63 bytes. Names from configuration are checked, then quoted.
pub(crate) fn identifier(name: &str, what: &str) -> Result<String> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if valid {
        Ok(format!("\"{name}\""))
    } else {
        Err(PersistenceError::Configuration {
            message: format!(
                "{what} {name:?} is not a valid name: use at most 63 letters, digits and underscores, not starting with a digit"
            ),
            source: None,
        })
    }
}
