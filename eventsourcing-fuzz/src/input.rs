//! How a target reads its input: the first [`HEADER`] bytes choose the record's identity
//! (topic, version, originator id) and the reader's configuration, the rest are the stored
//! bytes. Mutating the header moves the same bytes to another record or reader, which is
//! what the cipher's associated data and the chain's identity hash must catch.

use std::sync::LazyLock;

use eventsourcing::persistence::python::{AesCipher, PythonFormat};
use eventsourcing::persistence::{Cipher, Codec, HashChain, Mapper, OriginatorId, StoredEvent};
use eventsourcing::prelude::Uuid;

/// Length of the header before the stored bytes.
pub const HEADER: usize = 4;

/// The first byte of a framed record, as the mapper writes it (a record that starts with
/// `{` is plain JSON). Kept here, not imported, because the fuzz inputs must not change
/// when the mapper's private names do.
pub const FORMAT: u8 = 0x01;
/// Flag: the body is bincode (else JSON).
pub const BINCODE: u8 = 1;
/// Flag: the body is zstd-compressed.
pub const ZSTD: u8 = 2;
/// Flag: the body is encrypted.
pub const ENCRYPTED: u8 = 4;
/// Flag: the record carries a hash chain.
pub const CHAINED: u8 = 8;

/// The cipher key the seed records are encrypted with.
pub const KEY: [u8; 32] = [0x5a; 32];
/// Another key, for the wrong-key case.
pub const OTHER_KEY: [u8; 32] = [0xa5; 32];
/// The key of the keyed hash chain.
pub const CHAIN_KEY: [u8; 32] = [0x3c; 32];

/// The aggregate id of the seed records.
pub const SAMPLE_A: Uuid = Uuid::from_u128(0x0b5e_55ed_0000_4000_8000_0000_0000_000a);
/// Another aggregate id, for records moved between aggregates.
pub const SAMPLE_B: Uuid = Uuid::from_u128(0x0b5e_55ed_0000_4000_8000_0000_0000_000b);

/// Topics a header can choose: the sample's events, its discard marker and snapshot topic,
/// and near misses that must be refused.
pub const TOPICS: &[&str] = &[
    "Sample.Created",
    "Sample.Relabelled",
    "Sample.Measured",
    "Sample.Tagged",
    "Sample.Emptied",
    "Sample#discarded",
    "Sample",
    "Sample.Unknown",
    "Sample.",
    "Samples.Created",
    "Other.Created",
    "",
];

/// The index of the snapshot topic in [`TOPICS`].
pub const SNAPSHOT_TOPIC: u8 = 6;

/// What the header bytes choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// Index into [`TOPICS`] (modulo its length).
    pub topic: u8,
    /// The record's version (`0xff` stands for `u64::MAX`).
    pub version: u8,
    /// Which originator id (see [`Header::originator_id`]).
    pub originator: u8,
    /// The reader's configuration; each target says what its bits mean.
    pub config: u8,
}

impl Header {
    /// Splits an input into its header (missing bytes read as zero, so that every input is
    /// a valid one) and the stored bytes.
    pub fn split(data: &[u8]) -> (Header, &[u8]) {
        let mut bytes = [0; HEADER];
        let n = data.len().min(HEADER);
        bytes[..n].copy_from_slice(&data[..n]);
        let [topic, version, originator, config] = bytes;
        (Header { topic, version, originator, config }, &data[n..])
    }

    /// The header's bytes, for writing seeds.
    pub fn to_bytes(self) -> [u8; HEADER] {
        [self.topic, self.version, self.originator, self.config]
    }

    /// The topic.
    pub fn topic(self) -> &'static str {
        TOPICS[usize::from(self.topic) % TOPICS.len()]
    }

    /// The record's version.
    pub fn originator_version(self) -> u64 {
        match self.version {
            0xff => u64::MAX,
            v => u64::from(v),
        }
    }

    /// The originator id: one of the two sample ids, as a UUID or as text, or text that is
    /// no UUID at all (which the sample's UUID ids must refuse).
    pub fn originator_id(self) -> OriginatorId {
        match self.originator % 6 {
            0 => OriginatorId::Uuid(SAMPLE_A),
            1 => OriginatorId::Uuid(SAMPLE_B),
            2 => OriginatorId::Text(SAMPLE_A.to_string()),
            3 => OriginatorId::Text(SAMPLE_A.simple().to_string()),
            4 => OriginatorId::Text("sample-a".to_owned()),
            _ => OriginatorId::Text(String::new()),
        }
    }

    /// The stored event these header bytes and `state` make.
    pub fn stored(self, state: Vec<u8>) -> StoredEvent {
        self.stored_at(self.originator_version(), state)
    }

    /// As [`Header::stored`], at another version.
    pub fn stored_at(self, originator_version: u64, state: Vec<u8>) -> StoredEvent {
        StoredEvent { originator_id: self.originator_id(), originator_version, topic: self.topic().to_owned(), state }
    }
}

/// The index of `topic` in [`TOPICS`].
///
/// # Panics
/// If the topic is not there: seeds are only written for known topics.
pub fn topic_index(topic: &str) -> u8 {
    let index = TOPICS.iter().position(|t| *t == topic).unwrap_or_else(|| panic!("no header for topic {topic:?}"));
    u8::try_from(index).unwrap_or_else(|_| panic!("too many topics"))
}

/// Reader configuration bits shared by the targets: bit 0 decrypts, bit 1 makes that the
/// wrong key, bit 2 verifies a hash chain, bit 3 makes that chain unkeyed.
pub mod reader {
    /// Decrypt with [`super::KEY`].
    pub const CIPHER: u8 = 1;
    /// Decrypt with [`super::OTHER_KEY`] instead (with [`CIPHER`]).
    pub const WRONG_KEY: u8 = 2;
    /// Verify a keyed hash chain.
    pub const CHAIN: u8 = 4;
    /// Make the chain unkeyed (with [`CHAIN`]).
    pub const UNKEYED: u8 = 8;
}

/// The Python-format mapper for configuration `config`: bit 0 zlib, bit 1 AES-GCM with
/// [`KEY`]'s first 16 bytes, bit 2 with [`OTHER_KEY`]'s instead. Built once.
pub fn python_mapper(config: u8) -> &'static Mapper {
    static MAPPERS: LazyLock<Vec<Mapper>> = LazyLock::new(|| (0..8).map(build_python_mapper).collect());
    &MAPPERS[usize::from(config & 0x07)]
}

fn build_python_mapper(config: u8) -> Mapper {
    let mut format = PythonFormat::new();
    if config & 1 != 0 {
        format = format.with_zlib();
    }
    if config & 2 != 0 {
        let key = if config & 4 == 0 { &KEY } else { &OTHER_KEY };
        // 16 of 32 bytes: an AES-128 key; constructing it cannot fail.
        if let Ok(cipher) = AesCipher::new(&key[..16]) {
            format = format.with_cipher(cipher);
        }
    }
    Mapper::python(format)
}

/// `topic` as Python's format spells it: `fuzz:Sample.Created` for an event,
/// Python's snapshot topic for the snapshot, others as they are.
pub fn python_topic(topic: &str) -> String {
    if topic == "Sample" {
        "eventsourcing.domain:Snapshot".to_owned()
    } else if topic.starts_with("Sample") {
        format!("fuzz:{topic}")
    } else {
        topic.to_owned()
    }
}

/// The mapper for reader configuration `config` (its low four bits, see [`reader`]).
/// Built once: a cipher's key schedule costs more than decoding a small record.
pub fn mapper(config: u8) -> &'static Mapper {
    static MAPPERS: LazyLock<Vec<Mapper>> = LazyLock::new(|| (0..16).map(build_mapper).collect());
    &MAPPERS[usize::from(config & 0x0f)]
}

fn build_mapper(config: u8) -> Mapper {
    let mut mapper = Mapper::new(Codec::Json);
    if config & reader::CIPHER != 0 {
        let key = if config & reader::WRONG_KEY == 0 { &KEY } else { &OTHER_KEY };
        mapper = mapper.with_cipher(Cipher::new(key));
    }
    if config & reader::CHAIN != 0 {
        let chain = if config & reader::UNKEYED == 0 { HashChain::keyed(CHAIN_KEY) } else { HashChain::new() };
        mapper = mapper.with_hash_chain(chain);
    }
    mapper
}
