//! Turns domain events and snapshots into stored records and back:
//! encode (JSON or bincode) → compress (zstd) → encrypt (XChaCha20-Poly1305) → hash-chain
//! (blake3), each step optional, each step recorded in a flags byte so that records written
//! under one policy stay readable under another.

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use serde::Serialize;
use thiserror::Error;
use zstd::zstd_safe::{CCtx, CParameter, DCtx, ParamSwitch};

use super::cipher::{Cipher, DecryptError};
use super::codec::{Codec, CodecError, MAX_RECORD_SIZE, field_prefix};
use super::envelope::{EnvelopeRef, EnvelopeSeed, PayloadCheck, SnapshotRef, decode_json_envelope};
use super::error::BoxError;
use super::python::PythonFormat;
use super::stored::{OriginatorId, StoredEvent};
use super::topic::{self, Topic};
use crate::domain::{Aggregate, AggregateEvent, AggregateId, DomainEvent, EventHash, EventMetadata, Snapshot};

/// The first byte of a framed record. A record that starts with `{` is plain JSON.
const FORMAT: u8 = 0x01;
const BINCODE: u8 = 1;
const ZSTD: u8 = 2;
const ENCRYPTED: u8 = 4;
const CHAINED: u8 = 8;
const KNOWN_FLAGS: u8 = BINCODE | ZSTD | ENCRYPTED | CHAINED;
const HASH: usize = 32;
/// Separates our hashes from any other use of the same key.
const HASH_DOMAIN: &[u8] = b"eventsourcing 2026 hash chain v1";

/// Compression of stored records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// Zstandard at the given level (1–22; 3 is a good default).
    Zstd {
        /// The compression level.
        level: i32,
    },
}

impl Default for Compression {
    fn default() -> Self {
        Compression::Zstd { level: 3 }
    }
}

/// Hash chaining of each aggregate's events with blake3.
///
/// Every stored event holds the hash of the event before it and its own hash, computed over
/// its identity (originator id, version, topic) and its stored bytes (after compression and
/// encryption, so the chain still verifies without the cipher key). A key makes the hashes
/// keyed, so that only its holders can produce a valid chain; without one, the chain detects
/// accidental and naive changes only.
#[derive(Clone)]
pub struct HashChain {
    key: Option<[u8; 32]>,
}

impl fmt::Debug for HashChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashChain").field("keyed", &self.key.is_some()).finish()
    }
}

impl HashChain {
    /// Unkeyed blake3 hashes.
    pub fn new() -> Self {
        HashChain { key: None }
    }

    /// Keyed blake3 hashes.
    pub fn keyed(key: [u8; 32]) -> Self {
        HashChain { key: Some(key) }
    }

    fn hash(&self, identity: &[u8], previous: &EventHash, body: &[u8]) -> EventHash {
        let mut hasher = match &self.key {
            Some(key) => blake3::Hasher::new_keyed(key),
            None => blake3::Hasher::new(),
        };
        hasher.update(HASH_DOMAIN).update(identity).update(&previous.0).update(body);
        EventHash(*hasher.finalize().as_bytes())
    }
}

impl Default for HashChain {
    fn default() -> Self {
        Self::new()
    }
}

/// Which stored record an error is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordId {
    /// The aggregate's id.
    pub originator_id: OriginatorId,
    /// The record's version.
    pub originator_version: u64,
    /// The record's topic.
    pub topic: String,
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of {} at version {}", self.topic, self.originator_id, self.originator_version)
    }
}

impl RecordId {
    // Errors carry the record boxed, to keep `Result`s small.
    #[allow(clippy::unnecessary_box_returns)]
    pub(crate) fn of(stored: &StoredEvent) -> Box<Self> {
        Box::new(RecordId {
            originator_id: stored.originator_id.clone(),
            originator_version: stored.originator_version,
            topic: stored.topic.clone(),
        })
    }
}

/// How a hash chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainBreak {
    /// The record carries no chain although chaining is on.
    NotChained,
    /// The record's content or identity differs from what its hash covers: it was changed,
    /// or moved to another aggregate or version.
    Modified,
    /// The record does not follow the one before it: a record was removed, inserted or
    /// reordered before it.
    Disconnected {
        /// The hash the record should follow.
        expected: EventHash,
        /// The hash it says it follows.
        found: EventHash,
    },
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainBreak::NotChained => f.write_str("it carries no hash chain"),
            ChainBreak::Modified => f.write_str("its content or identity was changed"),
            ChainBreak::Disconnected { expected, found } => {
                write!(
                    f,
                    "it follows {found}, not the previous record's hash {expected}: a record before it was removed, inserted or reordered"
                )
            }
        }
    }
}

/// Why a record could not be written or read. Every variant names the record.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MapperError {
    /// The topic is not an event of the aggregate type being read.
    #[error("{record}: unknown topic for {aggregate} (is it another aggregate's event?)")]
    UnknownTopic {
        /// The record.
        record: Box<RecordId>,
        /// The aggregate type being read.
        aggregate: &'static str,
    },
    /// The stored schema version of the event or state has no upcaster to the current one.
    #[error("{record}: schema version {version} cannot be read (current version is {current}; no upcaster from it)")]
    UnsupportedVersion {
        /// The record.
        record: Box<RecordId>,
        /// The stored version.
        version: u32,
        /// The current version.
        current: u32,
    },
    /// The bytes do not decode into the event's or snapshot's shape.
    #[error("{record}: cannot decode: {}{message}", field_prefix(.field.as_deref()))]
    Undecodable {
        /// The record.
        record: Box<RecordId>,
        /// Where in the event or snapshot decoding failed (`payload.weight`), when known.
        field: Option<String>,
        /// The decoder's message.
        message: String,
        /// The decoder's error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// The record was encrypted with a different key.
    #[error("{record}: encrypted with a different key")]
    WrongKey {
        /// The record.
        record: Box<RecordId>,
    },
    /// The ciphertext is damaged, or was moved from another record.
    #[error("{record}: the ciphertext is damaged or belongs to another record")]
    DamagedCiphertext {
        /// The record.
        record: Box<RecordId>,
    },
    /// The record is encrypted and no cipher key is configured.
    #[error("{record}: encrypted, but no cipher key is configured")]
    MissingKey {
        /// The record.
        record: Box<RecordId>,
    },
    /// Encryption is on and the record is not encrypted: it was not written by this
    /// application, or was replaced.
    #[error("{record}: not encrypted, but encryption is on")]
    NotEncrypted {
        /// The record.
        record: Box<RecordId>,
    },
    /// The compressed bytes do not decompress.
    #[error("{record}: cannot decompress: {message}")]
    Decompression {
        /// The record.
        record: Box<RecordId>,
        /// The decompressor's message.
        message: String,
        /// The decompressor's error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// The record's frame is not one this library writes.
    #[error("{record}: unknown record format")]
    UnknownFormat {
        /// The record.
        record: Box<RecordId>,
    },
    /// The record breaks its aggregate's hash chain.
    #[error("{record}: broken hash chain: {reason}")]
    BrokenChain {
        /// The record.
        record: Box<RecordId>,
        /// How the chain is broken.
        reason: ChainBreak,
    },
    /// An event or snapshot could not be written.
    #[error("{record}: cannot encode: {message}")]
    Encode {
        /// The record.
        record: Box<RecordId>,
        /// The encoder's message.
        message: String,
        /// The encoder's error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// An event or snapshot was not written because it would not read back: its encoded
    /// form does not decode into the same value (for example, a NaN or infinite float in
    /// JSON, which writes them as `null`; a `serde_json::Value` or a field skipped when
    /// serialising, under bincode, which cannot describe itself). Nothing was written.
    #[error("{record}: not written, it would not read back: {}{message}{}", field_prefix(.field.as_deref()), json_hint(.message))]
    NotReadable {
        /// The record.
        record: Box<RecordId>,
        /// Where in the event or snapshot reading back failed (`payload.weight`), when known.
        field: Option<String>,
        /// What reading it back reported.
        message: String,
        /// The decoder's error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// An event or snapshot was not written because its encoded form is larger than any
    /// record this library reads ([`MAX_RECORD_SIZE`]). Nothing
    /// was written.
    #[error("{record}: not written, it encodes to {size} bytes, more than the {limit} bytes a record may hold")]
    TooLarge {
        /// The record.
        record: Box<RecordId>,
        /// Its encoded size.
        size: usize,
        /// The largest record.
        limit: usize,
    },
}

/// A hint for the one way plain data fails to read back from JSON.
fn json_hint(message: &str) -> &'static str {
    if message.starts_with("invalid type: null, expected f") {
        " (JSON has no NaN or infinity: it writes them as null)"
    } else {
        ""
    }
}

impl MapperError {
    /// The record the error is about.
    pub fn record(&self) -> &RecordId {
        match self {
            MapperError::UnknownTopic { record, .. }
            | MapperError::UnsupportedVersion { record, .. }
            | MapperError::Undecodable { record, .. }
            | MapperError::WrongKey { record }
            | MapperError::DamagedCiphertext { record }
            | MapperError::MissingKey { record }
            | MapperError::NotEncrypted { record }
            | MapperError::Decompression { record, .. }
            | MapperError::UnknownFormat { record }
            | MapperError::BrokenChain { record, .. }
            | MapperError::Encode { record, .. }
            | MapperError::NotReadable { record, .. }
            | MapperError::TooLarge { record, .. } => record,
        }
    }
}

/// A decoded event record of aggregate `A`.
#[derive(Debug, Clone, PartialEq)]
pub enum Record<A: Aggregate> {
    /// An event.
    Event(DomainEvent<A::Event, A::Id>),
    /// The marker written when the aggregate was discarded.
    Discarded {
        /// The marker's version.
        originator_version: u64,
        /// When the aggregate was discarded.
        timestamp: DateTime<Utc>,
        /// The marker's ids.
        metadata: EventMetadata,
    },
}

/// A decoded discard marker.
pub(crate) struct Discard {
    originator_version: u64,
    timestamp: DateTime<Utc>,
    metadata: EventMetadata,
}

/// Where verification of a hash chain starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainCursor {
    expected: Option<EventHash>,
}

impl ChainCursor {
    /// From an aggregate's first event: it must follow [`EventHash::GENESIS`].
    pub fn from_start() -> Self {
        ChainCursor { expected: Some(EventHash::GENESIS) }
    }

    /// After a known head (of a snapshot or a cached aggregate); `None` checks each
    /// record's own hash but not its link to an unknown predecessor.
    pub fn after(head: Option<EventHash>) -> Self {
        ChainCursor { expected: head }
    }

    /// The hash of the last record verified (the head), if any.
    pub fn head(&self) -> Option<EventHash> {
        self.expected.filter(|h| *h != EventHash::GENESIS)
    }
}

/// Turns domain events into [`StoredEvent`]s and back. See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct Mapper {
    codec: Codec,
    compression: Option<Compression>,
    cipher: Option<Cipher>,
    chain: Option<HashChain>,
    /// Python's record format, instead of this library's, if set.
    python: Option<PythonFormat>,
}

struct Frame<'a> {
    flags: u8,
    chain: Option<(EventHash, EventHash)>,
    body: &'a [u8],
}

impl Mapper {
    /// A mapper that encodes with `codec` and nothing else.
    pub fn new(codec: Codec) -> Self {
        Mapper { codec, compression: None, cipher: None, chain: None, python: None }
    }

    /// A mapper that reads and writes Python `eventsourcing` 9.5's records, so that Python
    /// applications and this one share stores. Its aggregates need a Python topic
    /// (`#[aggregate(python = "dogschool:Dog")]`); it has no discard marker and no hash
    /// chain, and the codec, compression and cipher of this library's format are not used.
    pub fn python(format: PythonFormat) -> Self {
        Mapper { python: Some(format), ..Mapper::new(Codec::Json) }
    }

    /// Python's record format, if this mapper reads and writes it.
    pub fn python_format(&self) -> Option<&PythonFormat> {
        self.python.as_ref()
    }

    /// Compresses records.
    #[must_use]
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = Some(compression);
        self
    }

    /// Encrypts records; reading then refuses records that are not encrypted.
    #[must_use]
    pub fn with_cipher(mut self, cipher: Cipher) -> Self {
        self.cipher = Some(cipher);
        self
    }

    /// Hash-chains each aggregate's records; reading then verifies the chain.
    #[must_use]
    pub fn with_hash_chain(mut self, chain: HashChain) -> Self {
        self.chain = Some(chain);
        self
    }

    /// Writes new records with `codec` (records are read with whichever codec wrote them).
    #[must_use]
    pub fn with_codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    /// Replaces or removes the compression.
    #[must_use]
    pub fn set_compression(mut self, compression: Option<Compression>) -> Self {
        self.compression = compression;
        self
    }

    /// Replaces or removes the cipher.
    #[must_use]
    pub fn set_cipher(mut self, cipher: Option<Cipher>) -> Self {
        self.cipher = cipher;
        self
    }

    /// Replaces or removes the hash chain.
    #[must_use]
    pub fn set_hash_chain(mut self, chain: Option<HashChain>) -> Self {
        self.chain = chain;
        self
    }

    /// The codec new records are written with.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Whether records are encrypted.
    pub fn is_encrypting(&self) -> bool {
        self.cipher.is_some()
    }

    /// Whether records are hash-chained.
    pub fn is_chaining(&self) -> bool {
        self.chain.is_some()
    }

    /// The topic of an event of aggregate `A`: `"<aggregate name>.<event name>"`.
    pub fn topic<A: Aggregate>(event: &A::Event) -> String {
        topic::event(A::NAME, event.name())
    }

    /// The topics of all events of aggregate `A`.
    pub fn topics<A: Aggregate>() -> Vec<String> {
        Self::event_topics::<A::Event>()
    }

    /// The topics of all events of the aggregate whose event enum is `E`: this library's,
    /// and Python's when the aggregate declares its Python topic.
    pub fn event_topics<E: AggregateEvent>() -> Vec<String> {
        let native = E::EVENTS.iter().map(|info| topic::event(E::AGGREGATE, info.name));
        let python = E::PYTHON_TOPIC
            .into_iter()
            .flat_map(|python| E::EVENTS.iter().map(move |info| topic::event(python, info.name)));
        native.chain(python).collect()
    }

    /// What `topic` names among `E`'s records, in this mapper's format.
    pub(crate) fn parse_topic<'t, E: AggregateEvent>(&self, topic: &'t str) -> Option<Topic<'t>> {
        match (&self.python, E::PYTHON_TOPIC) {
            (Some(_), Some(python)) => match topic::parse(python, topic)? {
                Topic::Event(name) => Some(Topic::Event(name)),
                Topic::Discarded => None,
            },
            (Some(_), None) => None,
            (None, _) => topic::parse(E::AGGREGATE, topic),
        }
    }

    /// Encodes events of one aggregate, oldest first, chaining them after `head`
    /// (the aggregate's head before these events). Returns the records and the new head.
    ///
    /// Every record is decoded again before it is returned: what would not read back (or
    /// is larger than any record may be) is refused here rather than stored.
    ///
    /// # Errors
    /// [`MapperError::Encode`] if an event cannot be serialised or encrypted;
    /// [`MapperError::NotReadable`] or [`MapperError::TooLarge`] if it would not read back.
    pub fn encode_events<A: Aggregate>(
        &self,
        events: &[DomainEvent<A::Event, A::Id>],
        mut head: Option<EventHash>,
    ) -> Result<(Vec<StoredEvent>, Option<EventHash>), MapperError> {
        if let Some(python) = &self.python {
            let stored = events.iter().map(|event| python.encode_event(event)).collect::<Result<_, _>>()?;
            return Ok((stored, head));
        }
        let mut stored = Vec::with_capacity(events.len());
        for event in events {
            let topic = Self::topic::<A>(&event.payload);
            let envelope = EnvelopeRef {
                timestamp: &event.timestamp,
                version: event.payload.info().version,
                metadata: &event.metadata,
                payload: Some(&event.payload),
            };
            let verify = |codec, bytes: &[u8]| verify_event(codec, bytes, &envelope);
            let (record, hash) = self.encode(
                event.originator_id.to_originator_id(),
                event.originator_version,
                topic,
                &envelope,
                verify,
                head,
            )?;
            head = hash.or(head);
            stored.push(record);
        }
        Ok((stored, head))
    }

    /// Encodes the marker that discards aggregate `id` at `version`.
    ///
    /// # Errors
    /// [`MapperError::Encode`] if it cannot be encrypted.
    pub fn encode_discard<A: Aggregate>(
        &self,
        id: &A::Id,
        version: u64,
        head: Option<EventHash>,
    ) -> Result<(StoredEvent, Option<EventHash>), MapperError> {
        let topic = topic::discarded(A::NAME);
        if self.python.is_some() {
            return Err(MapperError::Encode {
                record: Box::new(RecordId { originator_id: id.to_originator_id(), originator_version: version, topic }),
                message: "Python's record format has no marker for a discarded aggregate".into(),
                source: None,
            });
        }
        let timestamp = Utc::now();
        let metadata = EventMetadata::new();
        let envelope =
            EnvelopeRef::<A::Event> { timestamp: &timestamp, version: 1, metadata: &metadata, payload: None };
        // A marker has no fields: it always reads back.
        let (record, hash) = self.encode(id.to_originator_id(), version, topic, &envelope, |_, _| Ok(()), head)?;
        Ok((record, hash.or(head)))
    }

    /// Encodes `value`, checks with `verify` that its encoded form decodes back into it,
    /// then compresses, encrypts and chains it.
    fn encode<T: Serialize>(
        &self,
        originator_id: OriginatorId,
        originator_version: u64,
        topic: String,
        value: &T,
        verify: impl FnOnce(Codec, &[u8]) -> Result<(), CodecError>,
        head: Option<EventHash>,
    ) -> Result<(StoredEvent, Option<EventHash>), MapperError> {
        let mut stored = StoredEvent { originator_id, originator_version, topic, state: Vec::new() };
        let fail = |stored: &StoredEvent, message: String, source: Option<BoxError>| MapperError::Encode {
            record: RecordId::of(stored),
            message,
            source,
        };
        let mut bytes = self.codec.encode(value).map_err(|error| {
            let (_, message, source) = error.into_parts();
            fail(&stored, message, source)
        })?;
        if bytes.len() > MAX_RECORD_SIZE {
            return Err(MapperError::TooLarge {
                record: RecordId::of(&stored),
                size: bytes.len(),
                limit: MAX_RECORD_SIZE,
            });
        }
        verify(self.codec, &bytes).map_err(|error| {
            let (field, message, source) = error.into_parts();
            MapperError::NotReadable { record: RecordId::of(&stored), field, message, source }
        })?;
        let mut flags = if self.codec == Codec::Bincode { BINCODE } else { 0 };
        if let Some(Compression::Zstd { level }) = self.compression {
            bytes = compress(&bytes, level).map_err(|e| fail(&stored, e.to_string(), Some(e.into())))?;
            flags |= ZSTD;
        }
        if self.cipher.is_some() {
            flags |= ENCRYPTED;
        }
        if self.chain.is_some() {
            flags |= CHAINED;
        }
        if let Some(cipher) = &self.cipher {
            bytes = cipher.encrypt(&bytes, &identity(&stored, flags)).map_err(|e| fail(&stored, e, None))?;
        }
        let Some(chain) = &self.chain else {
            stored.state = if flags == 0 { bytes } else { [&[FORMAT, flags][..], &bytes].concat() };
            return Ok((stored, None));
        };
        let previous = head.unwrap_or(EventHash::GENESIS);
        let hash = chain.hash(&identity(&stored, flags), &previous, &bytes);
        let mut state = Vec::with_capacity(2 + 2 * HASH + bytes.len());
        state.extend_from_slice(&[FORMAT, flags]);
        state.extend_from_slice(&previous.0);
        state.extend_from_slice(&hash.0);
        state.extend_from_slice(&bytes);
        stored.state = state;
        Ok((stored, Some(hash)))
    }

    /// Decodes the records of one aggregate, oldest first, verifying the hash chain from
    /// `cursor` when chaining is on. The records may be owned or borrowed (a
    /// `Vec<StoredEvent>`, or `&SelectedEvents`).
    ///
    /// # Errors
    /// A [`MapperError`] naming the first record that cannot be read or breaks the chain.
    pub fn decode_events<A: Aggregate>(
        &self,
        records: impl IntoIterator<Item = impl std::borrow::Borrow<StoredEvent>>,
        cursor: &mut ChainCursor,
    ) -> Result<Vec<Record<A>>, MapperError> {
        records.into_iter().map(|stored| self.decode_event::<A>(stored.borrow(), cursor)).collect()
    }

    /// Decodes one record of aggregate `A` (see [`Mapper::decode_events`]).
    ///
    /// # Errors
    /// A [`MapperError`] naming the record.
    pub fn decode_event<A: Aggregate>(
        &self,
        stored: &StoredEvent,
        cursor: &mut ChainCursor,
    ) -> Result<Record<A>, MapperError> {
        let Some(topic) = self.parse_topic::<A::Event>(&stored.topic) else {
            return Err(MapperError::UnknownTopic { record: RecordId::of(stored), aggregate: A::NAME });
        };
        Ok(match self.decode_topic::<A::Event, A::Id>(stored, topic, cursor)? {
            Ok(event) => Record::Event(event),
            Err(Discard { originator_version, timestamp, metadata }) => {
                Record::Discarded { originator_version, timestamp, metadata }
            }
        })
    }

    /// Decodes a record whose topic is `topic` of the aggregate whose event enum is `E`:
    /// an event, or the marker of a discard.
    pub(crate) fn decode_topic<E: AggregateEvent, Id: AggregateId>(
        &self,
        stored: &StoredEvent,
        topic: Topic<'_>,
        cursor: &mut ChainCursor,
    ) -> Result<Result<DomainEvent<E, Id>, Discard>, MapperError> {
        let record = || RecordId::of(stored);
        let info = match topic {
            Topic::Event(name) => Some(
                E::info_for(name)
                    .ok_or_else(|| MapperError::UnknownTopic { record: record(), aggregate: E::AGGREGATE })?,
            ),
            Topic::Discarded => None,
        };
        let originator_id = originator_id::<Id>(stored)?;
        if let (Some(python), Some(info)) = (&self.python, info) {
            return python.decode_event(stored, originator_id, info.name).map(Ok);
        }
        let (flags, plain) = self.open(stored, cursor)?;
        let codec = if flags & BINCODE == 0 { Codec::Json } else { Codec::Bincode };
        let seed = || EnvelopeSeed::<E> {
            name: info.map(|i| i.name),
            current: info.map_or(1, |i| i.version),
            marker: PhantomData,
        };
        let fast = (codec == Codec::Json)
            .then(|| decode_json_envelope::<E>(&plain, info.map(|i| i.name), info.map_or(1, |i| i.version)));
        let decoded = match fast.flatten() {
            Some(decoded) => decoded,
            None => {
                codec.decode_seed(seed, &plain, |decoded| decoded.payload.is_err(), String::new).map_err(|error| {
                    let (field, message, source) = error.into_parts();
                    MapperError::Undecodable { record: record(), field, message, source }
                })?
            }
        };
        match decoded.payload {
            Ok(Some(payload)) => Ok(Ok(DomainEvent {
                originator_id,
                originator_version: stored.originator_version,
                timestamp: decoded.timestamp,
                metadata: decoded.metadata,
                payload,
            })),
            Ok(None) => Ok(Err(Discard {
                originator_version: stored.originator_version,
                timestamp: decoded.timestamp,
                metadata: decoded.metadata,
            })),
            Err(version) => Err(MapperError::UnsupportedVersion {
                record: record(),
                version,
                current: info.map_or(1, |i| i.version),
            }),
        }
    }

    /// Encodes a snapshot for a snapshot store (topic: the aggregate's name). When chaining
    /// is on, the snapshot carries a hash of itself, verified on reading.
    ///
    /// As events are, the snapshot is decoded again before it is returned, so that a
    /// snapshot that would not read back is never stored.
    ///
    /// # Errors
    /// [`MapperError::Encode`] if the state cannot be serialised or encrypted;
    /// [`MapperError::NotReadable`] or [`MapperError::TooLarge`] if it would not read back
    /// (including an aggregate that does not derive `Deserialize`).
    pub fn encode_snapshot<A: Aggregate + Serialize>(
        &self,
        snapshot: &Snapshot<A>,
    ) -> Result<StoredEvent, MapperError> {
        if let Some(python) = &self.python {
            return python.encode_snapshot(snapshot);
        }
        let payload = SnapshotRef(snapshot);
        let id = snapshot.originator_id.to_originator_id();
        let verify = |codec: Codec, bytes: &[u8]| {
            let back = codec.decode_snapshot::<A>(&snapshot.originator_id, snapshot.originator_version, bytes)?;
            same_length(codec, bytes, &SnapshotRef(&back))
        };
        self.encode(id, snapshot.originator_version, topic::snapshot(A::NAME), &payload, verify, None)
            .map(|(stored, _)| stored)
    }

    /// Decodes a snapshot of `A`, upcasting an older state.
    ///
    /// # Errors
    /// A [`MapperError`] naming the record.
    pub fn decode_snapshot<A: Aggregate>(&self, stored: &StoredEvent) -> Result<Snapshot<A>, MapperError> {
        let record = || RecordId::of(stored);
        if let Some(python) = &self.python {
            return python.decode_snapshot(stored);
        }
        if stored.topic != topic::snapshot(A::NAME) {
            return Err(MapperError::UnknownTopic { record: record(), aggregate: A::NAME });
        }
        let originator_id = originator_id::<A::Id>(stored)?;
        let (flags, plain) = self.open(stored, &mut ChainCursor::from_start())?;
        let codec = if flags & BINCODE == 0 { Codec::Json } else { Codec::Bincode };
        codec.decode_snapshot::<A>(&originator_id, stored.originator_version, &plain).map_err(|e| match e {
            CodecError::UnknownVersion { version, current, .. } => {
                MapperError::UnsupportedVersion { record: record(), version, current }
            }
            other => {
                let (field, message, source) = other.into_parts();
                MapperError::Undecodable { record: record(), field, message, source }
            }
        })
    }

    /// Opens a record without its aggregate's types, for tools that show or check what is
    /// stored: checks its frame and its link in the hash chain (from `cursor`), decrypts
    /// and decompresses it, and returns the encoded envelope.
    ///
    /// A chained record is verified even when this mapper does not chain (with an
    /// unkeyed [`HashChain`], unless one is set), so that a whole store can be checked
    /// without knowing how it was written; a record of a keyed chain then reads as
    /// [`ChainBreak::Modified`] until the key is given.
    ///
    /// # Errors
    /// A [`MapperError`] naming the record, as decoding it would.
    pub fn inspect(&self, stored: &StoredEvent, cursor: &mut ChainCursor) -> Result<Inspected, MapperError> {
        if let Some(python) = &self.python {
            let plain = python.open(stored)?;
            let format = RecordFormat {
                codec: Codec::Json,
                compressed: python.is_compressing(),
                encrypted: python.is_encrypting(),
                chained: false,
            };
            return Ok(Inspected { format, python: true, plain, hash: None });
        }
        let frame =
            parse_frame(&stored.state).ok_or_else(|| MapperError::UnknownFormat { record: RecordId::of(stored) })?;
        let hash = match (&self.chain, frame.chain.is_some()) {
            (Some(chain), _) => Some(verify_link(chain, stored, &frame, cursor)?),
            (None, true) => Some(verify_link(&HashChain::new(), stored, &frame, cursor)?),
            (None, false) => None,
        };
        let flags = frame.flags;
        let (_, plain) = self.unseal(stored, &frame)?;
        let format = RecordFormat {
            codec: if flags & BINCODE == 0 { Codec::Json } else { Codec::Bincode },
            compressed: flags & ZSTD != 0,
            encrypted: flags & ENCRYPTED != 0,
            chained: flags & CHAINED != 0,
        };
        Ok(Inspected { format, python: false, plain: plain.to_vec(), hash })
    }

    /// Checks the frame, the chain and the cipher; returns the flags and the plain bytes.
    fn open<'s>(&self, stored: &'s StoredEvent, cursor: &mut ChainCursor) -> Result<(u8, Plain<'s>), MapperError> {
        let frame =
            parse_frame(&stored.state).ok_or_else(|| MapperError::UnknownFormat { record: RecordId::of(stored) })?;
        if let Some(chain) = &self.chain {
            verify_link(chain, stored, &frame, cursor)?;
        }
        self.unseal(stored, &frame)
    }

    /// Decrypts and decompresses a record's body; returns the flags and the plain bytes.
    fn unseal<'s>(&self, stored: &'s StoredEvent, frame: &Frame<'s>) -> Result<(u8, Plain<'s>), MapperError> {
        let record = || RecordId::of(stored);
        let mut bytes = match (&self.cipher, frame.flags & ENCRYPTED != 0) {
            (Some(cipher), true) => {
                let (mut aad, mut plain) = (Buffer::take(), Buffer::take());
                identity_into(stored, frame.flags, &mut aad);
                cipher.decrypt_into(frame.body, &aad, &mut plain).map_err(|error| match error {
                    DecryptError::WrongKey => MapperError::WrongKey { record: record() },
                    DecryptError::Damaged => MapperError::DamagedCiphertext { record: record() },
                })?;
                Plain::Buffer(plain)
            }
            (None, true) => return Err(MapperError::MissingKey { record: record() }),
            (Some(_), false) => return Err(MapperError::NotEncrypted { record: record() }),
            (None, false) => Plain::Stored(frame.body),
        };
        if frame.flags & ZSTD != 0 {
            let mut plain = Buffer::take();
            decompress(&bytes, &mut plain).map_err(|(message, source)| MapperError::Decompression {
                record: record(),
                message,
                source,
            })?;
            bytes = Plain::Buffer(plain);
        }
        Ok((frame.flags, bytes))
    }
}

/// Checks a record's hash and its link to the one before (from `cursor`, which then
/// moves to it); returns its hash.
fn verify_link(
    chain: &HashChain,
    stored: &StoredEvent,
    frame: &Frame<'_>,
    cursor: &mut ChainCursor,
) -> Result<EventHash, MapperError> {
    let record = || RecordId::of(stored);
    let Some((previous, hash)) = frame.chain else {
        return Err(MapperError::BrokenChain { record: record(), reason: ChainBreak::NotChained });
    };
    let mut identity = Buffer::take();
    identity_into(stored, frame.flags, &mut identity);
    if chain.hash(&identity, &previous, frame.body) != hash {
        return Err(MapperError::BrokenChain { record: record(), reason: ChainBreak::Modified });
    }
    if let Some(expected) = cursor.expected
        && expected != previous
    {
        return Err(MapperError::BrokenChain {
            record: record(),
            reason: ChainBreak::Disconnected { expected, found: previous },
        });
    }
    cursor.expected = Some(hash);
    Ok(hash)
}

/// How a record was written, as [`Mapper::inspect`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordFormat {
    /// The codec of its envelope.
    pub codec: Codec,
    /// Whether it was compressed.
    pub compressed: bool,
    /// Whether it was encrypted.
    pub encrypted: bool,
    /// Whether it is a link of a hash chain.
    pub chained: bool,
}

/// A record opened by [`Mapper::inspect`].
#[derive(Debug, Clone, PartialEq)]
pub struct Inspected {
    /// How it was written.
    pub format: RecordFormat,
    /// Whether it is in Python eventsourcing's format.
    pub python: bool,
    /// Its envelope, decrypted and decompressed, in its codec: for JSON, an object of the
    /// event's header fields (`timestamp`, `version`, ids) and its `payload`, or of a
    /// snapshot's fields and `state`.
    pub plain: Vec<u8>,
    /// Its hash, verified, when it is chained.
    pub hash: Option<EventHash>,
}

/// The largest record that decompression may produce: stored bytes are untrusted, and a
/// small record can claim to expand without bound.
const DECOMPRESSED_LIMIT: u64 = MAX_RECORD_SIZE as u64;

/// Records shorter than this keep their literals as they are when compressed: zstd's
/// Huffman tables, read again for every record, would cost more to decode (about 1.3 µs
/// for a 224-byte event, against 0.1 µs) than the bytes they save (about 40 of 224). Matches
/// are still found, which is most of what compression gives a larger record.
const SMALL_RECORD: usize = 4096;

/// The most a record's declared size may reserve before decompressing it; larger ones are
/// read in pieces (the declaration is untrusted until the bytes are there).
const RESERVE_LIMIT: u64 = 1 << 20;

thread_local! {
    /// Each thread's compression context and its level: making one costs more than
    /// compressing a small record.
    static COMPRESSOR: RefCell<Option<(i32, CCtx<'static>)>> = const { RefCell::new(None) };
    /// Each thread's decompression context, for the same reason.
    static DECOMPRESSOR: RefCell<Option<DCtx<'static>>> = const { RefCell::new(None) };
}

fn compress(bytes: &[u8], level: i32) -> std::io::Result<Vec<u8>> {
    let failed = |code| std::io::Error::other(zstd::zstd_safe::get_error_name(code));
    COMPRESSOR.with_borrow_mut(|slot| {
        let context = match slot {
            Some((current, context)) if *current == level => context,
            _ => {
                let mut context = CCtx::try_create().ok_or_else(|| std::io::Error::other("no zstd context"))?;
                context.set_parameter(CParameter::CompressionLevel(level)).map_err(failed)?;
                &mut slot.insert((level, context)).1
            }
        };
        let literals = if bytes.len() < SMALL_RECORD { ParamSwitch::Disable } else { ParamSwitch::Auto };
        context.set_parameter(CParameter::LiteralCompressionMode(literals)).map_err(failed)?;
        let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(bytes.len()));
        context.compress2(&mut out, bytes).map_err(failed)?;
        Ok(out)
    })
}

/// Decompresses `bytes` into `out` (cleared first), which may be a buffer used before.
fn decompress(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), (String, Option<BoxError>)> {
    use std::io::Read as _;
    let failed = |error: std::io::Error| (error.to_string(), Some(error.into()));
    out.clear();
    DECOMPRESSOR.with_borrow_mut(|slot| {
        let context = match slot {
            Some(context) => context,
            None => slot.insert(
                DCtx::try_create().ok_or_else(|| ("zstd could not make a decompression context".to_owned(), None))?,
            ),
        };
        // In one call, into the size the frame declares, when it is small enough to trust
        // with an allocation; anything else (several frames, no size, a size that is
        // wrong) in pieces, bounded, reporting what is wrong.
        if let Ok(Some(declared)) = zstd::zstd_safe::get_frame_content_size(bytes)
            && declared <= RESERVE_LIMIT
        {
            out.reserve(usize::try_from(declared).unwrap_or(0));
            if context.decompress(out, bytes).is_ok() {
                return Ok(());
            }
        }
        // Into a new vector: grown from nothing, its capacity doubles through powers of two,
        // so that a frame at the limit needs no more than the limit (one grown from a spare
        // buffer's capacity could need nearly twice as much).
        let mut streamed = Vec::new();
        let decoder = zstd::stream::read::Decoder::with_context(bytes, context);
        decoder.take(DECOMPRESSED_LIMIT + 1).read_to_end(&mut streamed).map_err(failed)?;
        if streamed.len() as u64 > DECOMPRESSED_LIMIT {
            return Err((format!("it expands beyond {DECOMPRESSED_LIMIT} bytes"), None));
        }
        *out = streamed;
        Ok(())
    })
}

/// A record's plain bytes: its stored body itself, or one of this thread's buffers.
enum Plain<'s> {
    Stored(&'s [u8]),
    Buffer(Buffer),
}

impl std::ops::Deref for Plain<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Plain::Stored(bytes) => bytes,
            Plain::Buffer(buffer) => buffer,
        }
    }
}

/// A buffer taken from this thread's spares and given back when dropped, so that opening
/// sealed records one after another allocates once, not for every record.
struct Buffer(Vec<u8>);

/// How many spare buffers a thread keeps, and how large each may stay.
const SPARE_BUFFERS: usize = 4;
const SPARE_CAPACITY: usize = 64 * 1024;

thread_local! {
    static SPARES: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

impl Buffer {
    fn take() -> Buffer {
        // A thread being torn down gets a new buffer.
        Buffer(SPARES.try_with(|spares| spares.borrow_mut().pop()).ok().flatten().unwrap_or_default())
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let mut buffer = std::mem::take(&mut self.0);
        if buffer.capacity() <= SPARE_CAPACITY {
            buffer.clear();
            // A thread being torn down keeps none.
            let _ = SPARES.try_with(|spares| {
                let mut spares = spares.borrow_mut();
                if spares.len() < SPARE_BUFFERS {
                    spares.push(buffer);
                }
            });
        }
    }
}

impl std::ops::Deref for Buffer {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl std::ops::DerefMut for Buffer {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

fn parse_frame(state: &[u8]) -> Option<Frame<'_>> {
    match state {
        [b'{', ..] => Some(Frame { flags: 0, chain: None, body: state }),
        [FORMAT, flags, rest @ ..] if flags & !KNOWN_FLAGS == 0 => {
            if flags & CHAINED == 0 {
                return Some(Frame { flags: *flags, chain: None, body: rest });
            }
            if rest.len() < 2 * HASH {
                return None;
            }
            let (previous, rest) = rest.split_at(HASH);
            let (hash, body) = rest.split_at(HASH);
            let previous = EventHash(previous.try_into().ok()?);
            let hash = EventHash(hash.try_into().ok()?);
            Some(Frame { flags: *flags, chain: Some((previous, hash)), body })
        }
        _ => None,
    }
}

/// The record's originator id as the aggregate's id type.
pub(crate) fn originator_id<Id: AggregateId>(stored: &StoredEvent) -> Result<Id, MapperError> {
    Id::from_originator_id(&stored.originator_id).ok_or_else(|| MapperError::Undecodable {
        record: RecordId::of(stored),
        field: None,
        message: format!("the id is not a valid {}", std::any::type_name::<Id>()),
        source: None,
    })
}

/// The record's identity as authenticated by the cipher and covered by the chain hash.
fn identity(stored: &StoredEvent, flags: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + stored.topic.len());
    identity_into(stored, flags, &mut out);
    out
}

/// Writes [`identity`] into `out` (cleared first).
fn identity_into(stored: &StoredEvent, flags: u8, out: &mut Vec<u8>) {
    out.clear();
    stored.originator_id.write_identity(out);
    out.extend_from_slice(&stored.originator_version.to_le_bytes());
    out.extend_from_slice(&(stored.topic.len() as u64).to_le_bytes());
    out.extend_from_slice(stored.topic.as_bytes());
    out.push(flags);
}

/// Checks that an encoded event decodes into the same event.
fn verify_event<E: AggregateEvent>(
    codec: Codec,
    bytes: &[u8],
    envelope: &EnvelopeRef<'_, E>,
) -> Result<(), CodecError> {
    let Some(event) = envelope.payload else { return Ok(()) };
    let info = event.info();
    let seed = || PayloadCheck::<E> { name: info.name, version: info.version, marker: PhantomData };
    let back = codec.decode_seed(seed, bytes, |_| false, String::new)?;
    same_length(codec, bytes, &EnvelopeRef { payload: Some(&back), ..*envelope })
}

/// Checks that the value decoded from `bytes` encodes to as many bytes again. JSON
/// describes itself, so that a value it decodes is the one it encoded. Bincode does not: a
/// field skipped when serialising (`skip_serializing_if`) shifts every later field, which
/// may then decode into other values without an error; encoding them again shows the
/// difference in length. (Lengths, not bytes: a hash map encodes its entries in another
/// order each time.)
fn same_length<T: Serialize>(codec: Codec, bytes: &[u8], back: &T) -> Result<(), CodecError> {
    if codec == Codec::Json {
        return Ok(());
    }
    let again = codec.encode(back)?;
    if again.len() == bytes.len() {
        return Ok(());
    }
    Err(CodecError::Decode {
        source: None,
        what: String::new(),
        codec,
        field: None,
        message: format!(
            "it reads back as a different value ({} bytes encode as {}): bincode cannot read a value serialised with skipped fields",
            bytes.len(),
            again.len()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::{Buffer, SPARE_BUFFERS, SPARE_CAPACITY, SPARES, compress, decompress};

    #[test]
    fn spare_buffers_are_reused_cleared_and_bounded() {
        SPARES.with_borrow_mut(Vec::clear);
        let mut buffer = Buffer::take();
        buffer.extend_from_slice(b"a record");
        let address = buffer.as_ptr();
        drop(buffer);
        let again = Buffer::take();
        assert_eq!((again.as_ptr(), again.len()), (address, 0), "the same allocation, emptied");
        drop(again);

        let mut large = Buffer::take();
        large.reserve(SPARE_CAPACITY * 2);
        drop(large);
        assert!(Buffer::take().capacity() <= SPARE_CAPACITY, "a large buffer is not kept");

        let many: Vec<Buffer> = (0..SPARE_BUFFERS * 2)
            .map(|_| {
                let mut buffer = Buffer::take();
                buffer.push(1);
                buffer
            })
            .collect();
        drop(many);
        assert_eq!(SPARES.with_borrow(Vec::len), SPARE_BUFFERS);
    }

    #[test]
    fn decompressing_into_a_used_buffer_gives_exactly_the_frame() {
        let text = b"{\"trick\":\"roll over\"}".repeat(20);
        let frame = compress(&text, 3).unwrap();
        let mut out = b"left over from the record before".to_vec();
        decompress(&frame, &mut out).unwrap();
        assert_eq!(out, text);
        decompress(&compress(b"", 3).unwrap(), &mut out).unwrap();
        assert!(out.is_empty());
        assert!(decompress(b"not zstd", &mut out).is_err());
    }
}
