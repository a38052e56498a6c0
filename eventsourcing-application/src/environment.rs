use std::collections::BTreeMap;
use std::str::FromStr;

use crate::error::ConfigError;

/// Configuration variables for one application, read the way Python `eventsourcing`
/// reads them: `<NAME>_<KEY>` (the application's name in upper case) beats `<KEY>`, so
/// every setting can be given for one application alone (`DOGSCHOOL_CIPHER_KEY`).
///
/// Values come from the process environment, then from overrides given to the
/// [`ApplicationBuilder`](crate::ApplicationBuilder), which win.
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
