//! Configuration from the environment, with Python `eventsourcing`'s variable names: what
//! applications and stores read their settings from.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

use thiserror::Error;

/// A setting that cannot be used. Each variant names the variable.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The value is not one the setting accepts.
    #[error("{variable}={value:?} is invalid: expected {expected}")]
    Invalid {
        /// The variable, as found (with or without the application's prefix).
        variable: String,
        /// Its value.
        value: String,
        /// What it should be.
        expected: String,
    },
    /// A required setting is missing.
    #[error("{variable} is required: {reason}")]
    Missing {
        /// The variable.
        variable: String,
        /// Why it is needed.
        reason: String,
    },
    /// The store named by `PERSISTENCE_MODULE` is not compiled in.
    #[error("{variable}={value:?} needs the `{feature}` feature of the eventsourcing crate")]
    StoreNotCompiled {
        /// The variable.
        variable: String,
        /// Its value.
        value: String,
        /// The feature to enable.
        feature: &'static str,
    },
}

/// Configuration variables for one application, read the way Python `eventsourcing`
/// reads them: `<NAME>_<KEY>` (the application's name in upper case) beats `<KEY>`, so
/// every setting can be given for one application alone (`DOGSCHOOL_CIPHER_KEY`).
///
/// Values come from the process environment, then from overrides (an application
/// builder's `env`), which win.
#[derive(Debug, Clone)]
pub struct Environment {
    prefix: String,
    vars: BTreeMap<String, String>,
}

impl Environment {
    /// The process environment, for the application called `name`. Variables whose name
    /// or value is not UTF-8 are left out (none of the settings can be such).
    pub fn from_process(name: &str) -> Self {
        let mut env = Self::empty(name);
        env.vars.extend(
            std::env::vars_os().filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?))),
        );
        env
    }

    /// No variables, for the application called `name`.
    pub fn empty(name: &str) -> Self {
        Environment { prefix: name.to_uppercase(), vars: BTreeMap::new() }
    }

    /// Sets a variable, replacing one of the same name.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(key.into(), value.into());
    }

    /// The variable that holds `key` (the prefixed one first) and its value.
    pub fn lookup(&self, key: &str) -> Option<(String, &str)> {
        let prefixed = format!("{}_{key}", self.prefix);
        if let Some(value) = self.vars.get(&prefixed) {
            return Some((prefixed, value));
        }
        self.vars.get(key).map(|value| (key.to_owned(), value.as_str()))
    }

    /// The value of `key` (see [`Environment::lookup`]).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.lookup(key).map(|(_, value)| value)
    }

    /// A yes/no setting: `y yes t true on 1` or `n no f false off 0`, in any case.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the variable if the value is neither.
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        let Some((variable, value)) = self.lookup(key) else { return Ok(None) };
        match value.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" | "t" | "true" | "on" | "1" => Ok(Some(true)),
            "n" | "no" | "f" | "false" | "off" | "0" => Ok(Some(false)),
            _ => Err(ConfigError::Invalid { variable, value: value.to_owned(), expected: "yes or no".into() }),
        }
    }

    /// A setting parsed with `FromStr`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the variable if the value does not parse.
    pub fn get_parsed<T: FromStr>(&self, key: &str, expected: &str) -> Result<Option<T>, ConfigError> {
        let Some((variable, value)) = self.lookup(key) else { return Ok(None) };
        value.trim().parse().map(Some).map_err(|_| ConfigError::Invalid {
            variable,
            value: value.to_owned(),
            expected: expected.to_owned(),
        })
    }

    /// A number of seconds, at most `max` and more than zero if `positive`, or `default`
    /// if the variable is not set.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the variable, with the range, if the value is not
    /// a number in it.
    pub fn get_seconds(
        &self,
        key: &str,
        default: Duration,
        max: Duration,
        positive: bool,
    ) -> Result<Duration, ConfigError> {
        let Some((variable, value)) = self.lookup(key) else { return Ok(default) };
        let low = if positive { "more than 0" } else { "from 0" };
        let invalid = || ConfigError::Invalid {
            variable: variable.clone(),
            value: value.to_owned(),
            expected: format!("a number of seconds {low} to {}", max.as_secs_f64()),
        };
        let seconds: f64 = value.trim().parse().map_err(|_| invalid())?;
        let duration = Duration::try_from_secs_f64(seconds).map_err(|_| invalid())?;
        if duration > max || (positive && duration.is_zero()) {
            return Err(invalid());
        }
        Ok(duration)
    }

    /// A whole number in `range`, if the variable is set.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the variable, with the range, if the value is not
    /// a whole number in it.
    pub fn get_count(&self, key: &str, range: RangeInclusive<u32>) -> Result<Option<u32>, ConfigError> {
        let Some((variable, value)) = self.lookup(key) else { return Ok(None) };
        let parsed = value.trim().parse::<u64>().ok().and_then(|n| u32::try_from(n).ok());
        match parsed.filter(|n| range.contains(n)) {
            Some(n) => Ok(Some(n)),
            None => Err(ConfigError::Invalid {
                variable,
                value: value.to_owned(),
                expected: format!("a whole number from {} to {}", range.start(), range.end()),
            }),
        }
    }

    /// The application name's upper-case form, used as the prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_variables_win() {
        let mut env = Environment::empty("DogSchool");
        env.set("CIPHER_KEY", "general");
        assert_eq!(env.get("CIPHER_KEY"), Some("general"));
        env.set("DOGSCHOOL_CIPHER_KEY", "mine");
        assert_eq!(env.lookup("CIPHER_KEY"), Some(("DOGSCHOOL_CIPHER_KEY".into(), "mine")));
        assert_eq!(env.get("OTHER"), None);
    }

    #[test]
    fn booleans_follow_strtobool_and_name_the_variable() {
        let mut env = Environment::empty("App");
        for (value, expected) in [("y", true), ("TRUE", true), ("on", true), ("0", false), ("No", false)] {
            env.set("FLAG", value);
            assert_eq!(env.get_bool("FLAG").unwrap(), Some(expected));
        }
        env.set("APP_FLAG", "maybe");
        let error = env.get_bool("FLAG").unwrap_err();
        assert!(error.to_string().contains("APP_FLAG"), "{error}");
        assert!(error.to_string().contains("maybe"), "{error}");
    }
}
