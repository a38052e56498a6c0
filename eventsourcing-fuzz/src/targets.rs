//! The fuzz targets: one function per decoder of stored bytes, each feeding untrusted bytes
//! to the library through its public API. A target returns normally for every input:
//! decoding errors are expected and ignored; a panic, or an allocation beyond the cap, is a
//! bug in the decoder. Each target has a reader (`read_*`) that returns the decoding
//! result, by which a test checks that the seed corpus is still read as it was written.

use eventsourcing::persistence::{ChainCursor, Codec, Mapper};

use crate::input::{self, BINCODE, FORMAT, Header, SNAPSHOT_TOPIC, ZSTD, reader};
use crate::model::{Kind, Reading, Sample, SampleEvent};

/// A fuzz target: decodes `data` in some way, and must neither panic nor allocate without
/// bound whatever the bytes.
pub type Target = fn(&[u8]);

/// Every target, by the name its corpus folder and its cargo-fuzz binary have.
pub const TARGETS: &[(&str, Target)] = &[
    ("frame", frame),
    ("codec", codec),
    ("zstd", zstd),
    ("cipher", cipher),
    ("chain", chain),
    ("snapshot", snapshot),
    ("python", python),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Why a reader did not decode its input.
pub type ReadError = Box<dyn std::error::Error + Send + Sync>;

/// A target's reader: the target, returning whether decoding succeeded.
pub type Reader = fn(&[u8]) -> Result<(), ReadError>;

/// Every target's reader, by target name.
pub const READERS: &[(&str, Reader)] = &[
    ("frame", read_frame),
    ("codec", read_codec),
    ("zstd", read_zstd),
    ("cipher", read_cipher),
    ("chain", read_chain),
    ("snapshot", read_snapshot),
    ("python", read_python),
];

/// Python `eventsourcing`'s record format: JSON with type tags, zlib, AES-GCM, events and
/// snapshots.
///
/// Header: topic (spelled as Python spells it), version and originator; `config` bits 0–2
/// as in [`input::python_mapper`], bit 3 reads a snapshot instead of an event.
pub fn python(data: &[u8]) {
    let _ = read_python(data);
}

/// The reader of [`python`](fn@python).
///
/// # Errors
/// The decoder's error.
pub fn read_python(data: &[u8]) -> Result<(), ReadError> {
    let (header, state) = Header::split(data);
    let mut stored = header.stored(state.to_vec());
    stored.topic = input::python_topic(&stored.topic);
    let mapper = input::python_mapper(header.config);
    if header.config & 8 == 0 {
        mapper.decode_event::<Sample>(&stored, &mut ChainCursor::after(None))?;
    } else {
        mapper.decode_snapshot::<Sample>(&stored)?;
    }
    Ok(())
}

/// The record frame and its flags byte: plain JSON, framed records of every flag
/// combination, under readers with and without a cipher and a chain.
///
/// Header: topic, version and originator of the record; `config` bits as in [`reader`].
pub fn frame(data: &[u8]) {
    let _ = read_frame(data);
}

/// The reader of [`frame`](fn@frame).
///
/// # Errors
/// The decoder's error.
pub fn read_frame(data: &[u8]) -> Result<(), ReadError> {
    let (header, state) = Header::split(data);
    let stored = header.stored(state.to_vec());
    // `after(None)` checks each chained record's own hash without knowing its predecessor,
    // so that a single chained record can be read whole.
    input::mapper(header.config).decode_event::<Sample>(&stored, &mut ChainCursor::after(None))?;
    Ok(())
}

/// The JSON and bincode codecs, without a frame: an event's fields at a stored schema
/// version (upcast when older), a whole stored envelope, a snapshot's payload, and plain
/// values.
///
/// Header: topic (its event name), version (the schema version for bit pattern 0, the
/// record's version otherwise) and originator; `config` bit 0 picks bincode, bits 1–2
/// what to decode.
pub fn codec(data: &[u8]) {
    let _ = read_codec(data);
}

/// The reader of [`codec`](fn@codec).
///
/// # Errors
/// The decoder's error.
pub fn read_codec(data: &[u8]) -> Result<(), ReadError> {
    let (header, bytes) = Header::split(data);
    let codec = if header.config & 1 == 0 { Codec::Json } else { Codec::Bincode };
    match (header.config >> 1) & 3 {
        0 => {
            let name = header.topic().strip_prefix("Sample.").unwrap_or(header.topic());
            let version = match header.version {
                0xff => u32::MAX,
                v => u32::from(v),
            };
            codec.decode_event::<SampleEvent>(name, version, bytes)?;
        }
        1 => {
            // An envelope reaches the codec only through the mapper: frame it with no flag
            // besides the codec's.
            let flags = if codec == Codec::Bincode { BINCODE } else { 0 };
            let stored = header.stored([&[FORMAT, flags][..], bytes].concat());
            Mapper::new(codec).decode_event::<Sample>(&stored, &mut ChainCursor::from_start())?;
        }
        2 => {
            let id = if header.originator & 1 == 0 { input::SAMPLE_A } else { input::SAMPLE_B };
            let _ = codec.decode_snapshot::<Sample>(&id, header.originator_version(), bytes)?.restore();
        }
        _ => {
            // Every input goes through all three; it is read if one of them reads it.
            let reading = codec.decode::<Reading>(bytes).map(drop);
            let kind = codec.decode::<Kind>(bytes).map(drop);
            let events = codec.decode::<Vec<SampleEvent>>(bytes).map(drop);
            reading.or(kind).or(events)?;
        }
    }
    Ok(())
}

/// zstd decompression, with its cap on the decompressed size: the input is the
/// compressed body of a record whose frame says zstd (and JSON or bincode).
///
/// Header: topic, version and originator; `config` bit 0 picks bincode, bit 1 reads a
/// snapshot instead of an event.
pub fn zstd(data: &[u8]) {
    let _ = read_zstd(data);
}

/// The reader of [`zstd`](fn@zstd).
///
/// # Errors
/// The decoder's error.
pub fn read_zstd(data: &[u8]) -> Result<(), ReadError> {
    let (header, body) = Header::split(data);
    let flags = ZSTD | if header.config & 1 == 0 { 0 } else { BINCODE };
    let state = [&[FORMAT, flags][..], body].concat();
    let mapper = input::mapper(0);
    if header.config & 2 == 0 {
        mapper.decode_event::<Sample>(&header.stored(state), &mut ChainCursor::from_start())?;
    } else {
        let header = Header { topic: SNAPSHOT_TOPIC, ..header };
        mapper.decode_snapshot::<Sample>(&header.stored(state))?;
    }
    Ok(())
}

/// Decryption: encrypted records read with the right key, a wrong key or none, and moved
/// to another topic, version or aggregate by the header.
///
/// Header: topic, version and originator; `config` % 3 picks the key (right, wrong,
/// none), bit 2 reads a snapshot instead of an event.
pub fn cipher(data: &[u8]) {
    let _ = read_cipher(data);
}

/// The reader of [`cipher`](fn@cipher).
///
/// # Errors
/// The decoder's error.
pub fn read_cipher(data: &[u8]) -> Result<(), ReadError> {
    let (header, state) = Header::split(data);
    let config = match header.config & 3 {
        0 => reader::CIPHER,
        1 => reader::CIPHER | reader::WRONG_KEY,
        _ => 0,
    };
    let mapper = input::mapper(config);
    let stored = header.stored(state.to_vec());
    if header.config & 4 == 0 {
        mapper.decode_event::<Sample>(&stored, &mut ChainCursor::after(None))?;
    } else {
        mapper.decode_snapshot::<Sample>(&stored)?;
    }
    Ok(())
}

/// The hash chain: a sequence of one aggregate's records, decoded in order with one
/// [`ChainCursor`], once as a whole and once record by record (going on after errors).
///
/// Header: version of the first record and originator; `config` bits as in [`reader`]
/// (the chain bit is always set), bit 4 starts the cursor at an unknown head instead of
/// the chain's start. Body: records, each a topic byte, a little-endian `u16` length and
/// that many state bytes.
pub fn chain(data: &[u8]) {
    let _ = read_chain(data);
}

/// The reader of [`chain`](fn@chain).
///
/// # Errors
/// The decoder's error.
pub fn read_chain(data: &[u8]) -> Result<(), ReadError> {
    let (header, mut body) = Header::split(data);
    let mut records = Vec::new();
    let mut version = header.originator_version();
    // Bounded so that a long input cannot make one execution slow.
    while records.len() < 64 {
        let [topic, low, high, rest @ ..] = body else { break };
        let len = usize::from(u16::from_le_bytes([*low, *high])).min(rest.len());
        let (state, rest) = rest.split_at(len);
        records.push(Header { topic: *topic, ..header }.stored_at(version, state.to_vec()));
        version = version.wrapping_add(1);
        body = rest;
    }
    let mapper = input::mapper(header.config | reader::CHAIN);
    let start = || if header.config & 0x10 == 0 { ChainCursor::from_start() } else { ChainCursor::after(None) };
    let mut cursor = start();
    for stored in &records {
        let _ = mapper.decode_event::<Sample>(stored, &mut cursor);
    }
    mapper.decode_events::<Sample>(records, &mut start())?;
    Ok(())
}

/// Snapshots: `decode_snapshot` of records of both codecs, compressed or not, encrypted or
/// not, chained or not, under every reader.
///
/// Header: topic, version and originator; `config` bits as in [`reader`].
pub fn snapshot(data: &[u8]) {
    let _ = read_snapshot(data);
}

/// The reader of [`snapshot`](fn@snapshot).
///
/// # Errors
/// The decoder's error.
pub fn read_snapshot(data: &[u8]) -> Result<(), ReadError> {
    let (header, state) = Header::split(data);
    let stored = header.stored(state.to_vec());
    let _ = input::mapper(header.config).decode_snapshot::<Sample>(&stored)?.restore();
    Ok(())
}
