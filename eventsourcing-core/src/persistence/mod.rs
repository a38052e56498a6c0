//! How domain events and snapshots become bytes, and back.
//!
//! [`Codec`] serialises an event's fields (never its Rust type name: the event's stable
//! name is kept beside the bytes) and decodes them by name and schema version, running
//! upcasters for older versions.

mod codec;

pub use codec::{Codec, CodecError};
