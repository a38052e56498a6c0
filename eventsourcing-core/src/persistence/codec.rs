use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, DeserializeSeed};
use serde::{Deserializer, Serialize, Serializer};
use thiserror::Error;

use super::envelope::{SnapshotRef, SnapshotSeed};
use super::error::BoxError;
use crate::domain::{Aggregate, AggregateEvent, Snapshot};

/// A serialisation format for stored events and snapshots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// JSON (`serde_json`): readable, and what Python's `eventsourcing` writes.
    #[default]
    Json,
    /// bincode 2 in its serde mode with the standard configuration: compact and fast.
    Bincode,
}

/// Why a value could not be encoded or decoded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CodecError {
    /// No event of the aggregate has this name.
    #[error("{aggregate} has no event named {name:?}")]
    UnknownEvent {
        /// The aggregate type's name.
        aggregate: &'static str,
        /// The stored name.
        name: String,
    },
    /// The stored schema version is newer than (or below) what the event knows.
    #[error("{name} version {version} is unknown (current version is {current})")]
    UnknownVersion {
        /// The event's (or aggregate state's) name.
        name: String,
        /// The stored version.
        version: u32,
        /// The current version.
        current: u32,
    },
    /// A value could not be serialised.
    #[error("cannot encode {what} as {codec:?}: {message}")]
    Encode {
        /// What was being encoded.
        what: String,
        /// The codec.
        codec: Codec,
        /// The serialiser's message.
        message: String,
        /// The serialiser's error.
        #[source]
        source: Option<BoxError>,
    },
    /// Stored bytes do not match the shape of the value they should hold.
    #[error("cannot decode {what} from {codec:?}: {}{message}", field_prefix(.field.as_deref()))]
    Decode {
        /// What was being decoded.
        what: String,
        /// The codec.
        codec: Codec,
        /// Where in the value decoding failed (`payload.weight`, `state.tricks[2]`), when
        /// known.
        field: Option<String>,
        /// The deserialiser's message.
        message: String,
        /// The deserialiser's error.
        #[source]
        source: Option<BoxError>,
    },
}

impl Codec {
    /// Encodes any serialisable value.
    ///
    /// # Errors
    /// [`CodecError::Encode`] if the value cannot be serialised in this format.
    pub fn encode<T: Serialize + ?Sized>(self, value: &T) -> Result<Vec<u8>, CodecError> {
        let result = match self {
            Codec::Json => serde_json::to_vec(value).map_err(BoxError::from),
            Codec::Bincode => bincode::serde::encode_to_vec(value, bincode_config()).map_err(BoxError::from),
        };
        result.map_err(|error| CodecError::Encode {
            what: std::any::type_name::<T>().to_owned(),
            codec: self,
            message: error.to_string(),
            source: Some(error),
        })
    }

    /// Decodes any value, requiring every byte to be used.
    ///
    /// # Errors
    /// [`CodecError::Decode`] if the bytes do not hold a `T`.
    pub fn decode<T: DeserializeOwned>(self, bytes: &[u8]) -> Result<T, CodecError> {
        self.decode_seed(|| PhantomData::<T>, bytes, |_| false, || std::any::type_name::<T>().to_owned())
    }

    /// Encodes an event's fields in their current version.
    ///
    /// # Errors
    /// [`CodecError::Encode`] if a field cannot be serialised in this format.
    pub fn encode_event<E: AggregateEvent>(self, event: &E) -> Result<Vec<u8>, CodecError> {
        self.encode(&Payload(event)).map_err(|e| e.describing(|| format!("event {}", event.name())))
    }

    /// Decodes the fields of the event called `name`, stored at schema `version`,
    /// upcasting them to the current version.
    ///
    /// # Errors
    /// [`CodecError::UnknownEvent`], [`CodecError::UnknownVersion`] or [`CodecError::Decode`].
    pub fn decode_event<E: AggregateEvent>(self, name: &str, version: u32, bytes: &[u8]) -> Result<E, CodecError> {
        let Some(info) = E::info_for(name) else {
            return Err(CodecError::UnknownEvent { aggregate: E::AGGREGATE, name: name.to_owned() });
        };
        if version == 0 || version > info.version {
            return Err(CodecError::UnknownVersion { name: name.to_owned(), version, current: info.version });
        }
        let seed = || EventSeed::<E> { name, version, marker: PhantomData };
        self.decode_seed(seed, bytes, |_| false, || format!("event {name} version {version}"))
    }

    /// Encodes a snapshot's timestamps and state (id and version are stored beside it).
    ///
    /// # Errors
    /// [`CodecError::Encode`] if the state cannot be serialised in this format.
    pub fn encode_snapshot<A: Aggregate + Serialize>(self, snapshot: &Snapshot<A>) -> Result<Vec<u8>, CodecError> {
        self.encode(&SnapshotRef(snapshot))
            .map_err(|e| e.describing(|| format!("snapshot of {} {}", A::NAME, snapshot.originator_id)))
    }

    /// Decodes a snapshot, upcasting a state stored at an older version.
    ///
    /// # Errors
    /// [`CodecError::UnknownVersion`] for a state version newer than the aggregate's, or
    /// [`CodecError::Decode`] if the bytes do not hold a snapshot of `A`.
    pub fn decode_snapshot<A: Aggregate>(
        self,
        originator_id: &A::Id,
        originator_version: u64,
        bytes: &[u8],
    ) -> Result<Snapshot<A>, CodecError> {
        let what = format!("snapshot of {} {originator_id} version {originator_version}", A::NAME);
        let seed = || SnapshotSeed::<A> { originator_id, originator_version };
        self.decode_seed(seed, bytes, Result::is_err, || what)?.map_err(|version| CodecError::UnknownVersion {
            name: A::NAME.to_owned(),
            version,
            current: A::STATE_VERSION,
        })
    }

    /// Decodes with the seed `seed` makes, requiring every byte to be used unless `partial`
    /// says the value stands for a part left unread on purpose. A failure names the field
    /// where decoding stopped.
    pub(crate) fn decode_seed<'de, S: DeserializeSeed<'de>>(
        self,
        seed: impl Fn() -> S,
        bytes: &'de [u8],
        partial: impl Fn(&S::Value) -> bool,
        what: impl FnOnce() -> String,
    ) -> Result<S::Value, CodecError> {
        let (message, source) = match self.run(seed(), bytes, &partial) {
            Ok(value) => return Ok(value),
            Err(failure) => failure,
        };
        // Only now decode again, tracking the path: tracking costs on every value, and
        // failures are rare.
        let mut track = serde_path_to_error::Track::new();
        let failed = self.run(Tracked { seed: seed(), track: &mut track }, bytes, &partial).is_err();
        let path = track.path().to_string();
        let field = (failed && !path.is_empty() && path != "?").then_some(path);
        Err(CodecError::Decode { what: what(), codec: self, field, message, source })
    }

    fn run<'de, S: DeserializeSeed<'de>>(
        self,
        seed: S,
        bytes: &'de [u8],
        partial: &impl Fn(&S::Value) -> bool,
    ) -> Result<S::Value, (String, Option<BoxError>)> {
        let failed = |error: BoxError| (error.to_string(), Some(error));
        match self {
            Codec::Json => {
                let mut deserializer = serde_json::Deserializer::from_slice(bytes);
                seed.deserialize(&mut deserializer)
                    .and_then(|value| deserializer.end().map(|()| value))
                    .map_err(|e| failed(e.into()))
            }
            Codec::Bincode => match bincode::serde::seed_decode_from_slice(seed, bytes, bincode_config()) {
                Ok((value, read)) if read == bytes.len() || partial(&value) => Ok(value),
                Ok((_, read)) => Err((format!("{} trailing bytes", bytes.len() - read), None)),
                Err(error @ bincode::error::DecodeError::Serde(bincode::serde::DecodeError::AnyNotSupported)) => Err((
                    "bincode cannot hold self-describing values (serde_json::Value, untagged or internally tagged enums, flatten): use the JSON codec for them".to_owned(),
                    Some(error.into()),
                )),
                Err(e) => Err(failed(e.into())),
            },
        }
    }
}

/// A seed that records where in the value its deserialiser failed.
struct Tracked<'t, S> {
    seed: S,
    track: &'t mut serde_path_to_error::Track,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Tracked<'_, S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(serde_path_to_error::Deserializer::new(deserializer, self.track))
    }
}

/// `"<field>: "` before a message, when the field is known.
pub(crate) fn field_prefix(field: Option<&str>) -> String {
    field.map(|field| format!("{field}: ")).unwrap_or_default()
}

impl CodecError {
    /// Where in the value decoding failed (when known), the underlying message without
    /// what was being decoded, and the serialiser's error.
    pub(crate) fn into_parts(self) -> (Option<String>, String, Option<BoxError>) {
        match self {
            CodecError::Decode { field, message, source, .. } => (field, message, source),
            CodecError::Encode { message, source, .. } => (None, message, source),
            other => (None, other.to_string(), None),
        }
    }

    fn describing(self, what: impl FnOnce() -> String) -> Self {
        match self {
            CodecError::Encode { codec, message, source, .. } => {
                CodecError::Encode { what: what(), codec, message, source }
            }
            other => other,
        }
    }
}

/// The largest encoded event or snapshot (before compression and encryption) that this
/// library writes or reads: 256 MiB. Stored bytes are untrusted, so decoders stop at this
/// size (a forged length or a small record that claims to expand must not make them
/// allocate without bound), and encoders refuse what decoders would refuse.
pub const MAX_RECORD_SIZE: usize = 256 * 1024 * 1024;

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_RECORD_SIZE>()
}

struct Payload<'a, E>(&'a E);

impl<E: AggregateEvent> Serialize for Payload<'_, E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_payload(serializer)
    }
}

struct EventSeed<'n, E> {
    name: &'n str,
    version: u32,
    marker: PhantomData<E>,
}

impl<'de, E: AggregateEvent> DeserializeSeed<'de> for EventSeed<'_, E> {
    type Value = E;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<E, D::Error> {
        E::deserialize_payload(self.name, self.version, deserializer)
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Codec::Json => "json",
            Codec::Bincode => "bincode",
        })
    }
}
