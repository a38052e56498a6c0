//! Structure-aware mutation of corpus inputs: the usual byte-level mutations, plus ones
//! aimed at what the decoders parse (the header, the frame's format and flags bytes,
//! length prefixes of bincode and of the chain target, JSON tokens and field names), and
//! splicing two inputs together.

use crate::input::{FORMAT, HEADER};

/// A small deterministic random number generator (`SplitMix64`), so that a run is
/// reproduced by its seed alone.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // The modulo bias is irrelevant for fuzzing.
        usize::try_from(self.next_u64() % n as u64).unwrap_or(0)
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64().to_le_bytes()[0]
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Byte values at the edges of what parsers branch on.
const INTERESTING_BYTES: &[u8] = &[
    0x00, 0x01, 0x02, 0x04, 0x08, 0x0f, 0x10, 0x7f, 0x80, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff, b'{', b'}', b'[', b']',
    b'"', b'\\', b':', b',', b'0', b'-', b'e', b'n',
];

/// Integers at the edges of lengths and counts, including the decoders' caps.
const INTERESTING_INTS: &[u64] = &[
    0,
    1,
    2,
    31,
    32,
    63,
    64,
    127,
    128,
    250,
    251,
    255,
    256,
    0x7fff,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0xffff_ffff,
    0x1_0000_0000,
    256 * 1024 * 1024 - 1,
    256 * 1024 * 1024,
    256 * 1024 * 1024 + 1,
    i64::MAX as u64,
    u64::MAX,
];

/// Pieces of the stored JSON and of JSON in general.
const TOKENS: &[&[u8]] = &[
    b"\"timestamp\"",
    b"\"version\"",
    b"\"event_id\"",
    b"\"correlation_id\"",
    b"\"causation_id\"",
    b"\"payload\"",
    b"\"state_version\"",
    b"\"created_on\"",
    b"\"modified_on\"",
    b"\"head\"",
    b"\"state\"",
    b"\"name\"",
    b"\"label\"",
    b"\"title\"",
    b"\"reading\"",
    b"\"Linked\"",
    b"\"Weighted\"",
    b"null",
    b"true",
    b"false",
    b"[]",
    b"{}",
    b"[[[[[[[[[[[[[[[[",
    b"{\"a\":{\"a\":{\"a\":",
    b"1e999",
    b"-0",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"340282366920938463463374607431768211456",
    b"\"\\ud800\"",
    b"\"\\u0000\"",
    b"\"2026-01-01T00:00:00Z\"",
    b"\"+262143-12-31T23:59:59Z\"",
    b"\"0b5e55ed-0000-4000-8000-00000000000a\"",
    b"\"0000000000000000000000000000000000000000000000000000000000000000\"",
    b"\xf0\x9f\x98\x80",
    b"\xc3\x28",
    &[0x28, 0xb5, 0x2f, 0xfd],
];

/// Mutates corpus inputs.
#[derive(Debug)]
pub struct Mutator<'c> {
    corpus: &'c [Vec<u8>],
    bases: Vec<usize>,
    max_len: usize,
}

impl<'c> Mutator<'c> {
    /// A mutator that splices with inputs of `corpus` and keeps results within `max_len`.
    /// Inputs for which `slow` is true (those that decompress hundreds of megabytes) are
    /// not mutated: each of their mutations takes as long as thousands of others, and
    /// would take most of a bounded run.
    pub fn new(corpus: &'c [Vec<u8>], slow: &[bool], max_len: usize) -> Self {
        let mut bases: Vec<usize> = (0..corpus.len()).filter(|&i| !slow.get(i).copied().unwrap_or(false)).collect();
        if bases.is_empty() {
            bases = (0..corpus.len()).collect();
        }
        Mutator { corpus, bases, max_len }
    }

    /// Writes into `out` a mutation of a random corpus input: one to eight stacked changes.
    pub fn next(&self, rng: &mut Rng, out: &mut Vec<u8>) {
        out.clear();
        if let Some(&base) = self.bases.get(rng.below(self.bases.len())) {
            out.extend_from_slice(&self.corpus[base]);
        }
        // Mostly few changes: a record a little wrong gets further into the decoder.
        let count = 1 << rng.below(4);
        for _ in 0..=rng.below(count) {
            self.mutate_once(rng, out);
        }
        out.truncate(self.max_len);
    }

    fn mutate_once(&self, rng: &mut Rng, data: &mut Vec<u8>) {
        match rng.below(14) {
            0 | 1 => {
                if let Some(pos) = position(rng, data.len()) {
                    data[pos] ^= 1 << rng.below(8);
                }
            }
            2 => {
                if let Some(pos) = position(rng, data.len()) {
                    data[pos] = *rng.pick(INTERESTING_BYTES);
                }
            }
            3 => {
                if let Some(pos) = position(rng, data.len()) {
                    data[pos] = rng.byte();
                }
            }
            4 | 5 => write_int(rng, data),
            6 => {
                let len = rng.below(data.len() + 1);
                data.truncate(len);
            }
            7 => {
                if let Some(start) = position(rng, data.len()) {
                    let end = start + 1 + rng.below((data.len() - start).min(64));
                    data.drain(start..end);
                }
            }
            8 => {
                // Duplicate a chunk: repeats fields, records and length prefixes.
                if let Some(start) = position(rng, data.len()) {
                    let end = start + 1 + rng.below((data.len() - start).min(256));
                    let chunk = data[start..end].to_vec();
                    let at = rng.below(data.len() + 1);
                    data.splice(at..at, chunk);
                }
            }
            9 => {
                let at = rng.below(data.len() + 1);
                let len = 1 + rng.below(32);
                let fill: Vec<u8> =
                    if rng.one_in(2) { vec![rng.byte(); len] } else { (0..len).map(|_| rng.byte()).collect() };
                data.splice(at..at, fill);
            }
            10 => {
                // Splice: this input's start with another's end, at random points.
                let Some(other) = self.bases.get(rng.below(self.bases.len())).map(|&i| &self.corpus[i]) else {
                    return;
                };
                let cut = rng.below(data.len() + 1);
                let from = rng.below(other.len() + 1);
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
            11 => forge_frame(rng, data),
            12 => {
                let token = rng.pick(TOKENS);
                let at = rng.below(data.len() + 1);
                if rng.one_in(2) {
                    data.splice(at..at, token.iter().copied());
                } else {
                    let end = (at + token.len()).min(data.len());
                    data.splice(at..end, token.iter().copied());
                }
            }
            _ => {
                if let Some(pos) = position(rng, data.len()) {
                    let delta = u8::try_from(rng.below(16) + 1).unwrap_or(1);
                    data[pos] =
                        if rng.one_in(2) { data[pos].wrapping_add(delta) } else { data[pos].wrapping_sub(delta) };
                }
            }
        }
    }
}

/// A position in `len` bytes, half the time among the first bytes, where the header,
/// frame, hashes, key id and nonce are and where a change reaches the most branches.
fn position(rng: &mut Rng, len: usize) -> Option<usize> {
    if len == 0 {
        return None;
    }
    Some(if rng.one_in(2) { rng.below(len.min(HEADER + 2 + 64 + 28)) } else { rng.below(len) })
}

/// Overwrites or inserts an interesting integer: fixed-width in either byte order, or as
/// a bincode variable-length integer (a marker byte 251–253 before a wider value), which
/// is how bincode stores lengths.
fn write_int(rng: &mut Rng, data: &mut Vec<u8>) {
    let mut value = *rng.pick(INTERESTING_INTS);
    if rng.one_in(4) {
        value = value.wrapping_add(rng.below(3) as u64).wrapping_sub(1);
    }
    let bytes: Vec<u8> = match rng.below(6) {
        0 => value.to_le_bytes()[..2].to_vec(),
        1 => value.to_le_bytes()[..4].to_vec(),
        2 => value.to_le_bytes().to_vec(),
        3 => value.to_be_bytes()[4..].to_vec(),
        4 => [&[0xfc][..], &value.to_le_bytes()[..4]].concat(),
        _ => [&[0xfd][..], &value.to_le_bytes()[..]].concat(),
    };
    let at = rng.below(data.len() + 1);
    if rng.one_in(2) {
        data.splice(at..at, bytes);
    } else {
        let end = (at + bytes.len()).min(data.len());
        data.splice(at..end, bytes);
    }
}

/// Rewrites the header, or the frame's format or flags byte (which follow the header),
/// so that the same body is read as another kind of record or by another reader.
fn forge_frame(rng: &mut Rng, data: &mut Vec<u8>) {
    if data.len() < HEADER + 2 {
        data.resize(HEADER + 2, 0);
    }
    match rng.below(4) {
        0 => data[rng.below(HEADER)] = rng.byte(),
        1 => data[HEADER] = *rng.pick(&[FORMAT, b'{', 0, 2, 0xff]),
        // Any combination of the known flags, or an unknown bit.
        2 => data[HEADER + 1] = u8::try_from(rng.below(16)).unwrap_or(0),
        _ => data[HEADER + 1] = 1 << rng.below(8),
    }
}
