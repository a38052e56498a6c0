//! Reading an application's settings, with Python `eventsourcing`'s variable names.

use base64::Engine;
use eventsourcing_core::persistence::python::{AesCipher, PythonFormat};
use eventsourcing_core::persistence::{Cipher, CipherKeyError, Codec, Compression, HashChain, Mapper};

use eventsourcing_core::environment::ConfigError;
use eventsourcing_core::environment::Environment;

/// Which store an application uses (`PERSISTENCE_MODULE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PersistenceModule {
    /// In memory (the default): `memory`, `popo` or `eventsourcing.popo`.
    Memory,
    /// SQLite: `sqlite` or `eventsourcing.sqlite`.
    Sqlite,
    /// PostgreSQL: `postgres` or `eventsourcing.postgres`.
    Postgres,
}

impl PersistenceModule {
    /// Reads `PERSISTENCE_MODULE` (or the legacy `INFRASTRUCTURE_FACTORY` / `FACTORY_TOPIC`).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for an unknown store.
    pub fn from_env(env: &Environment) -> Result<Self, ConfigError> {
        let found = ["PERSISTENCE_MODULE", "INFRASTRUCTURE_FACTORY", "FACTORY_TOPIC"]
            .into_iter()
            .find_map(|key| env.lookup(key));
        let Some((variable, value)) = found else { return Ok(PersistenceModule::Memory) };
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "memory" | "popo" | "eventsourcing.popo" => Ok(PersistenceModule::Memory),
            "sqlite" | "eventsourcing.sqlite" => Ok(PersistenceModule::Sqlite),
            "postgres" | "postgresql" | "eventsourcing.postgres" => Ok(PersistenceModule::Postgres),
            _ => Err(ConfigError::Invalid {
                variable,
                value: value.to_owned(),
                expected: "memory, sqlite or postgres".into(),
            }),
        }
    }
}

/// How stored records are encoded, compressed, encrypted and chained, read from
/// `TRANSCODER_TOPIC`, `COMPRESSOR_TOPIC`, `CIPHER_TOPIC`, `CIPHER_KEY`, `HASH_CHAIN` and
/// `HASH_CHAIN_KEY`.
///
/// # Errors
/// A [`ConfigError`] naming the variable with a value that cannot be used.
pub fn mapper_from_env(env: &Environment) -> Result<Mapper, ConfigError> {
    if let Some((variable, value)) = env.lookup("RECORD_FORMAT") {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "native" => {}
            "python" => return python_mapper_from_env(env),
            _ => {
                return Err(ConfigError::Invalid {
                    variable,
                    value: value.to_owned(),
                    expected: "native (this library's records) or python (Python eventsourcing 9.5's)".into(),
                });
            }
        }
    }
    let codec = match env.lookup("TRANSCODER_TOPIC") {
        None => Codec::Json,
        Some((variable, value)) => match value.trim().to_ascii_lowercase().as_str() {
            "" | "json" | "eventsourcing.persistence:jsontranscoder" => Codec::Json,
            "bincode" => Codec::Bincode,
            _ => {
                return Err(ConfigError::Invalid {
                    variable,
                    value: value.to_owned(),
                    expected: "json or bincode".into(),
                });
            }
        },
    };
    let mut mapper = Mapper::new(codec);
    if let Some((variable, value)) = env.lookup("COMPRESSOR_TOPIC") {
        let text = value.trim().to_ascii_lowercase();
        let invalid = || ConfigError::Invalid {
            variable: variable.clone(),
            value: value.to_owned(),
            expected: "zstd, or zstd:LEVEL with a level from 1 to 22".into(),
        };
        match text.split_once(':') {
            _ if text.is_empty() => {}
            None if text == "zstd" => mapper = mapper.with_compression(Compression::default()),
            Some(("zstd", level)) => {
                let level: i32 = level.parse().map_err(|_| invalid())?;
                if !(1..=22).contains(&level) {
                    return Err(invalid());
                }
                mapper = mapper.with_compression(Compression::Zstd { level });
            }
            _ => return Err(invalid()),
        }
    }
    let key = cipher_key(
        env,
        |topic| matches!(topic.to_ascii_lowercase().as_str(), "xchacha20poly1305" | "xchacha20-poly1305"),
        "xchacha20poly1305 (the cipher of this library's format; Python's AES-GCM is RECORD_FORMAT=python's)",
    )?;
    if let Some((variable, value)) = key {
        let cipher = Cipher::from_base64(value).map_err(|error| ConfigError::Invalid {
            variable,
            value: "(hidden)".into(),
            expected: match error {
                CipherKeyError::NotBase64 => "base64 of 32 random bytes".into(),
                other => other.to_string(),
            },
        })?;
        mapper = mapper.with_cipher(cipher);
    }
    let chain_key = match env.lookup("HASH_CHAIN_KEY").filter(|(_, value)| !value.trim().is_empty()) {
        None => None,
        Some((variable, value)) => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(value.trim()).ok();
            let key: Option<[u8; 32]> = bytes.and_then(|b| b.as_slice().try_into().ok());
            Some(key.ok_or_else(|| ConfigError::Invalid {
                variable,
                value: "(hidden)".into(),
                expected: "base64 of 32 random bytes".into(),
            })?)
        }
    };
    match (env.get_bool("HASH_CHAIN")?, chain_key) {
        (Some(true), key) | (None, key @ Some(_)) => {
            mapper = mapper.with_hash_chain(key.map_or_else(HashChain::new, HashChain::keyed));
        }
        (Some(false) | None, _) => {}
    }
    Ok(mapper)
}

/// The aggregate cache size from `AGGREGATE_CACHE_MAXSIZE`: `None` for no cache, `Some(0)`
/// for an unbounded one.
///
/// # Errors
/// [`ConfigError::Invalid`] for a value that is not a whole number, or a cache mode this
/// library does not offer.
pub fn cache_from_env(env: &Environment) -> Result<Option<usize>, ConfigError> {
    if env.get_bool("AGGREGATE_CACHE_FASTFORWARD")? == Some(false) {
        let (variable, value) = env.lookup("AGGREGATE_CACHE_FASTFORWARD").unwrap_or_default();
        return Err(ConfigError::Invalid {
            variable,
            value: value.to_owned(),
            expected: "yes: a cache without fast-forward returns stale aggregates, so it is not offered".into(),
        });
    }
    if env.get_bool("AGGREGATE_CACHE_FASTFORWARD_SKIPPING")? == Some(true) {
        let (variable, value) = env.lookup("AGGREGATE_CACHE_FASTFORWARD_SKIPPING").unwrap_or_default();
        return Err(ConfigError::Invalid {
            variable,
            value: value.to_owned(),
            expected: "no: skipping fast-forward returns stale aggregates, so it is not offered".into(),
        });
    }
    // Rust hands out clones of cached aggregates, so DEEPCOPY_FROM_AGGREGATE_CACHE only
    // needs to be well-formed.
    env.get_bool("DEEPCOPY_FROM_AGGREGATE_CACHE")?;
    let size: Option<i64> = env.get_parsed("AGGREGATE_CACHE_MAXSIZE", "a whole number (0 or less: unbounded)")?;
    Ok(size.map(|size| usize::try_from(size).unwrap_or(0)))
}

/// The variable holding `CIPHER_KEY` and its value, if set. `CIPHER_TOPIC`, if set, must be
/// one `accepts` (given it trimmed), and then needs the key.
fn cipher_key<'e>(
    env: &'e Environment,
    accepts: impl Fn(&str) -> bool,
    expected: &str,
) -> Result<Option<(String, &'e str)>, ConfigError> {
    let key = env.lookup("CIPHER_KEY").filter(|(_, value)| !value.trim().is_empty());
    if let Some((variable, value)) = env.lookup("CIPHER_TOPIC").filter(|(_, value)| !value.trim().is_empty()) {
        if !accepts(value.trim()) {
            return Err(ConfigError::Invalid { variable, value: value.to_owned(), expected: expected.to_owned() });
        }
        if key.is_none() {
            return Err(ConfigError::Missing { variable: "CIPHER_KEY".into(), reason: format!("{variable} is set") });
        }
    }
    Ok(key)
}

/// Python's record format (`RECORD_FORMAT=python`), with Python's settings: its JSON
/// transcoder, `COMPRESSOR_TOPIC=eventsourcing.compressor:ZlibCompressor`, and AES-GCM
/// with `CIPHER_KEY` (base64 of 16, 24 or 32 bytes; `CIPHER_TOPIC` may name Python's
/// `AESCipher`, and is implied by the key, as in Python).
fn python_mapper_from_env(env: &Environment) -> Result<Mapper, ConfigError> {
    let invalid = |variable: String, value: &str, expected: &str| ConfigError::Invalid {
        variable,
        value: value.to_owned(),
        expected: expected.to_owned(),
    };
    if let Some((variable, value)) = env.lookup("TRANSCODER_TOPIC")
        && !matches!(value.trim(), "" | "json" | "eventsourcing.persistence:JSONTranscoder")
    {
        return Err(invalid(variable, value, "eventsourcing.persistence:JSONTranscoder with RECORD_FORMAT=python"));
    }
    let mut format = PythonFormat::new();
    if let Some((variable, value)) = env.lookup("COMPRESSOR_TOPIC") {
        match value.trim() {
            "" => {}
            "eventsourcing.compressor:ZlibCompressor" | "zlib" => format = format.with_zlib(),
            _ => {
                return Err(invalid(
                    variable,
                    value,
                    "eventsourcing.compressor:ZlibCompressor (or zlib) with RECORD_FORMAT=python",
                ));
            }
        }
    }
    let key = cipher_key(
        env,
        |topic| matches!(topic, "eventsourcing.cipher:AESCipher" | "eventsourcing.cryptography:AESCipher" | "aes"),
        "eventsourcing.cipher:AESCipher with RECORD_FORMAT=python",
    )?;
    if let Some((variable, value)) = key {
        let cipher =
            AesCipher::from_base64(value).map_err(|error| invalid(variable, "(hidden)", &error.to_string()))?;
        format = format.with_cipher(cipher);
    }
    for chain in ["HASH_CHAIN", "HASH_CHAIN_KEY"] {
        if let Some((variable, value)) = env.lookup(chain).filter(|(_, value)| !value.trim().is_empty())
            && (chain == "HASH_CHAIN_KEY" || env.get_bool(chain)?.unwrap_or(false))
        {
            return Err(invalid(
                variable,
                if chain == "HASH_CHAIN_KEY" { "(hidden)" } else { value },
                "no hash chain with RECORD_FORMAT=python: Python's records have nowhere to keep one",
            ));
        }
    }
    Ok(Mapper::python(format))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Environment {
        let mut env = Environment::empty("DogSchool");
        for (key, value) in vars {
            env.set(*key, *value);
        }
        env
    }

    #[test]
    fn persistence_module_accepts_python_names() {
        assert_eq!(PersistenceModule::from_env(&env(&[])).unwrap(), PersistenceModule::Memory);
        for (value, module) in [
            ("eventsourcing.popo", PersistenceModule::Memory),
            ("eventsourcing.sqlite", PersistenceModule::Sqlite),
            ("POSTGRES", PersistenceModule::Postgres),
        ] {
            assert_eq!(PersistenceModule::from_env(&env(&[("PERSISTENCE_MODULE", value)])).unwrap(), module);
        }
        let error = PersistenceModule::from_env(&env(&[("DOGSCHOOL_PERSISTENCE_MODULE", "mongo")])).unwrap_err();
        assert!(error.to_string().contains("DOGSCHOOL_PERSISTENCE_MODULE"), "{error}");
    }

    #[test]
    fn bad_mapper_settings_name_the_variable() {
        for (vars, variable) in [
            (vec![("TRANSCODER_TOPIC", "xml")], "TRANSCODER_TOPIC"),
            (vec![("COMPRESSOR_TOPIC", "zlib")], "COMPRESSOR_TOPIC"),
            (vec![("COMPRESSOR_TOPIC", "zstd:99")], "COMPRESSOR_TOPIC"),
            (vec![("CIPHER_KEY", "short")], "CIPHER_KEY"),
            (vec![("DOGSCHOOL_CIPHER_KEY", "AAAA")], "DOGSCHOOL_CIPHER_KEY"),
            (vec![("CIPHER_TOPIC", "eventsourcing.cipher:AESCipher")], "CIPHER_TOPIC"),
            (vec![("CIPHER_TOPIC", "xchacha20poly1305")], "CIPHER_KEY"),
            (vec![("HASH_CHAIN", "perhaps")], "HASH_CHAIN"),
            (vec![("HASH_CHAIN_KEY", "!!")], "HASH_CHAIN_KEY"),
        ] {
            let error = mapper_from_env(&env(&vars)).unwrap_err();
            assert!(error.to_string().contains(variable), "{vars:?}: {error}");
        }
        let key = Cipher::generate_key().unwrap();
        let mapper =
            mapper_from_env(&env(&[("CIPHER_KEY", &key), ("HASH_CHAIN", "y"), ("COMPRESSOR_TOPIC", "zstd:5")]));
        assert!(mapper.unwrap().is_chaining());
        let error = mapper_from_env(&env(&[("CIPHER_KEY", "bm90IGEga2V5")])).unwrap_err();
        assert!(!error.to_string().contains("bm90IGEga2V5"), "keys are not echoed: {error}");
    }

    #[test]
    fn cache_settings() {
        assert_eq!(cache_from_env(&env(&[])).unwrap(), None);
        assert_eq!(cache_from_env(&env(&[("AGGREGATE_CACHE_MAXSIZE", "10")])).unwrap(), Some(10));
        assert_eq!(cache_from_env(&env(&[("AGGREGATE_CACHE_MAXSIZE", "-1")])).unwrap(), Some(0));
        assert!(cache_from_env(&env(&[("AGGREGATE_CACHE_MAXSIZE", "ten")])).is_err());
        assert!(cache_from_env(&env(&[("AGGREGATE_CACHE_FASTFORWARD", "n")])).is_err());
    }
}
