//! Fuzzes every decoder of stored bytes for a bounded time (`EVENTSOURCING_FUZZ_SECONDS`
//! per target, 2 by default) under a global allocator capped at the decoders' limit: an
//! input that makes a decoder panic fails the test with the input saved, and one that
//! makes it allocate beyond the cap aborts the test binary, with the input left in the
//! file the first lines name.

use std::alloc::System;
use std::io::Write as _;
use std::path::PathBuf;

use cap::Cap;
use eventsourcing_fuzz::driver::{self, Settings};

// `cap` rather than a hand-written allocator: the workspace forbids `unsafe` code.
#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// The largest a record's bytes may become before they are decoded: zstd's cap on the
/// decompressed size, which is also bincode's limit.
const DECODE_LIMIT: usize = 256 * 1024 * 1024;
/// The cap: the decompressed bytes, and the value decoded from them, which the decoder
/// holds at the same time (a string as long as the record takes as much again; the sample
/// aggregate has no field that decodes to more bytes than it is stored in).
const CAP: usize = 2 * DECODE_LIMIT + SLACK;
/// Room for what surrounds them: the input and its copy in a `StoredEvent`, error
/// messages, the corpus and the test harness.
const SLACK: usize = 64 * 1024 * 1024;
const MIB: usize = 1024 * 1024;

/// Writes past the test harness's output capture, so that the seed and the paths are seen
/// even when an allocation beyond the cap aborts the process.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "fuzz: {line}");
}

#[test]
fn decoders_neither_panic_nor_allocate_beyond_the_cap() {
    let corpus = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus"));
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz");
    let settings = Settings::from_env(corpus, work).unwrap_or_else(|e| panic!("{e}"));
    let targets = settings.selected().unwrap_or_else(|e| panic!("{e}"));
    if let Some(input) = &settings.input {
        for (name, target) in targets {
            say(&format!("decoding {} with {name}", input.display()));
            driver::replay(input, target).unwrap_or_else(|e| panic!("{e}"));
        }
        return;
    }

    let baseline = ALLOCATOR.allocated();
    let limit = baseline + CAP;
    ALLOCATOR.set_limit(limit).unwrap_or_else(|()| panic!("more than {limit} bytes are allocated already"));
    // The cap is in force: a reservation beyond it fails (`try_reserve` reports what would
    // otherwise abort).
    assert!(Vec::<u8>::new().try_reserve(CAP + MIB).is_err(), "the allocator does not enforce the cap");
    say(&format!(
        "{} targets, {:.1} s each, seed {} (EVENTSOURCING_FUZZ_SEED reruns it), allocations capped at {} MiB; \
         the input being decoded is in {}",
        targets.len(),
        settings.duration.as_secs_f64(),
        settings.seed,
        CAP / MIB,
        settings.work.join("current-<target>.bin").display(),
    ));
    for (name, target) in targets {
        let report = driver::fuzz(&settings, name, target);
        let report = report.unwrap_or_else(|e| {
            let _ = ALLOCATOR.set_limit(usize::MAX);
            panic!("{e}")
        });
        say(&format!(
            "{name}: {} inputs ({} from the corpus) in {:.1} s; peak allocation so far {} MiB",
            report.executions,
            report.corpus,
            report.elapsed.as_secs_f64(),
            ALLOCATOR.max_allocated().saturating_sub(baseline) / MIB,
        ));
    }
    let _ = ALLOCATOR.set_limit(usize::MAX);
}
