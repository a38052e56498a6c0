//! Fuzz targets for the decoders of stored records (frame, codecs, zstd, cipher, hash
//! chain, snapshots) and a driver that runs them on stable Rust for a bounded time, from
//! the corpus committed in `fuzz/corpus/`. The test `tests/fuzz.rs` runs the driver under
//! an allocator capped at the decoders' limit; `fuzz/` wraps the same targets for
//! cargo-fuzz. See DEVELOPERS.md.

pub mod driver;
pub mod input;
pub mod model;
pub mod mutate;
pub mod seeds;
pub mod targets;
