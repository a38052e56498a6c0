//! Runs the targets on stable Rust for a bounded time: each target first decodes every
//! input of its committed corpus, then random mutations of them until its time is up.
//! Every input runs under `catch_unwind`; the first panic stops the run, and the input is
//! saved to a file whose path the error names, with the seed that reproduces the run.
//!
//! Settings come from the environment:
//! - `EVENTSOURCING_FUZZ_SECONDS`: seconds per target (default 2);
//! - `EVENTSOURCING_FUZZ_SEED`: the random seed (default: from the clock; printed);
//! - `EVENTSOURCING_FUZZ_TARGETS`: comma-separated target names (default: all);
//! - `EVENTSOURCING_FUZZ_INPUT`: a file to decode once with the named targets, without
//!   catching its panic, to debug a saved failure.

use std::fs::{self, File};
use std::io::{self, Seek as _, SeekFrom, Write as _};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::mutate::{Mutator, Rng};
use crate::targets::{TARGETS, Target};

/// Seconds per target when `EVENTSOURCING_FUZZ_SECONDS` is not set: enough to replay the
/// corpus and try some thousands of mutations, short enough for every `cargo test`.
pub const DEFAULT_SECONDS: f64 = 2.0;

/// The longest input the mutator makes. Inputs are records; a long one only makes
/// executions slower, while the zstd bombs in the corpus cover large decoded sizes.
pub const MAX_LEN: usize = 64 * 1024;

/// A corpus input that takes longer than this is slow and is not mutated (the zstd bombs
/// take tenths of a second; a record, tens of microseconds: the margin keeps the choice,
/// and so a seed's inputs, the same from run to run).
const SLOW: Duration = Duration::from_millis(20);

/// How a run is configured.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Time per target.
    pub duration: Duration,
    /// The random seed; each target mixes its name in.
    pub seed: u64,
    /// The targets to run, all if `None`.
    pub targets: Option<Vec<String>>,
    /// A single input to decode without catching its panic, instead of fuzzing.
    pub input: Option<PathBuf>,
    /// The corpus folder, with one subfolder per target.
    pub corpus: PathBuf,
    /// Where failing inputs and the input being decoded are written.
    pub work: PathBuf,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FuzzError {
    /// An environment variable does not hold what it should.
    #[error("{name}={value:?}: {expected}")]
    Setting {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it should hold.
        expected: &'static str,
    },
    /// A target name is not one of [`TARGETS`].
    #[error("no fuzz target is called {0:?}")]
    UnknownTarget(String),
    /// A corpus folder holds no input.
    #[error("the corpus of {target} ({path}) is empty: regenerate it (see DEVELOPERS.md)")]
    EmptyCorpus {
        /// The target.
        target: &'static str,
        /// Its corpus folder.
        path: PathBuf,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// A target panicked.
    #[error(
        "fuzz target {target} panicked on input {iteration} ({message}); the input is saved in {input}; \
         rerun with EVENTSOURCING_FUZZ_SEED={seed} EVENTSOURCING_FUZZ_TARGETS={target}, \
         or debug it with EVENTSOURCING_FUZZ_INPUT={input} EVENTSOURCING_FUZZ_TARGETS={target}"
    )]
    Panicked {
        /// The target.
        target: &'static str,
        /// The run's seed.
        seed: u64,
        /// Which input of the run (corpus inputs come first).
        iteration: u64,
        /// The panic's message.
        message: String,
        /// The saved input.
        input: PathBuf,
    },
}

/// What one target's run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// The target.
    pub target: &'static str,
    /// Corpus inputs replayed.
    pub corpus: usize,
    /// Inputs decoded, corpus included.
    pub executions: u64,
    /// How long it ran, corpus included.
    pub elapsed: Duration,
}

impl Settings {
    /// Settings from the environment (see the module documentation), with the committed
    /// corpus in `corpus` and failures written to `work`.
    ///
    /// # Errors
    /// [`FuzzError::Setting`] if a variable cannot be parsed.
    pub fn from_env(corpus: PathBuf, work: PathBuf) -> Result<Self, FuzzError> {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.trim().is_empty());
        let duration = match var("EVENTSOURCING_FUZZ_SECONDS") {
            None => Duration::from_secs_f64(DEFAULT_SECONDS),
            Some(value) => value.trim().parse::<f64>().ok().and_then(|s| Duration::try_from_secs_f64(s).ok()).ok_or(
                FuzzError::Setting { name: "EVENTSOURCING_FUZZ_SECONDS", value, expected: "seconds per target" },
            )?,
        };
        let seed = match var("EVENTSOURCING_FUZZ_SEED") {
            None => clock_seed(),
            Some(value) => value.trim().parse().map_err(|_| FuzzError::Setting {
                name: "EVENTSOURCING_FUZZ_SEED",
                value,
                expected: "a whole number (the seed a failed run printed)",
            })?,
        };
        let targets = var("EVENTSOURCING_FUZZ_TARGETS")
            .map(|list| list.split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect());
        let input = var("EVENTSOURCING_FUZZ_INPUT").map(PathBuf::from);
        Ok(Settings { duration, seed, targets, input, corpus, work })
    }

    /// The targets selected, in [`TARGETS`] order.
    ///
    /// # Errors
    /// [`FuzzError::UnknownTarget`] for a name that is not a target.
    pub fn selected(&self) -> Result<Vec<(&'static str, Target)>, FuzzError> {
        if let Some(names) = &self.targets
            && let Some(unknown) = names.iter().find(|n| !TARGETS.iter().any(|(t, _)| t == n))
        {
            return Err(FuzzError::UnknownTarget(unknown.clone()));
        }
        Ok(TARGETS
            .iter()
            .filter(|(name, _)| self.targets.as_ref().is_none_or(|names| names.iter().any(|n| n == name)))
            .copied()
            .collect())
    }
}

/// A seed from the clock, for runs that do not set one.
fn clock_seed() -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    // Nanoseconds fit in 64 bits until the year 2554; only their low bits matter anyway.
    u64::try_from(now.as_nanos() & u128::from(u64::MAX)).unwrap_or(0) ^ u64::from(std::process::id())
}

/// The seed of one target: the run's seed with the target's name mixed in, so that each
/// target's inputs do not depend on which other targets run.
fn target_seed(seed: u64, name: &str) -> u64 {
    name.bytes().fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Reads the inputs of `target`'s corpus folder, sorted by name.
///
/// # Errors
/// [`FuzzError::Io`] if the folder cannot be read, [`FuzzError::EmptyCorpus`] if it is empty.
pub fn load_corpus(settings: &Settings, target: &'static str) -> Result<Vec<Vec<u8>>, FuzzError> {
    let dir = settings.corpus.join(target);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| FuzzError::Io { path, source }
    };
    let mut paths = Vec::new();
    for entry in fs::read_dir(&dir).map_err(io(&dir))? {
        let path = entry.map_err(io(&dir))?.path();
        if path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        return Err(FuzzError::EmptyCorpus { target, path: dir });
    }
    paths.iter().map(|path| fs::read(path).map_err(io(path))).collect()
}

/// Fuzzes one target: its corpus, then mutations for `settings.duration`.
///
/// The input being decoded is mirrored in `<work>/current-<target>.bin` before each
/// execution: an allocation beyond the test's cap aborts the process, and that file then
/// holds the input that did it.
///
/// # Errors
/// [`FuzzError::Panicked`] on the first panic (the input is saved), or an error reading
/// the corpus or writing the work folder.
pub fn fuzz(settings: &Settings, name: &'static str, target: Target) -> Result<Report, FuzzError> {
    let corpus = load_corpus(settings, name)?;
    let seed = target_seed(settings.seed, name);
    let current_path = settings.work.join(format!("current-{name}.bin"));
    fs::create_dir_all(&settings.work).map_err(|source| FuzzError::Io { path: settings.work.clone(), source })?;
    let mut current =
        File::create(&current_path).map_err(|source| FuzzError::Io { path: current_path.clone(), source })?;
    let mut mirror = |data: &[u8]| -> io::Result<()> {
        current.seek(SeekFrom::Start(0))?;
        current.write_all(data)?;
        current.set_len(data.len() as u64)
    };

    let replay_started = Instant::now();
    let mut iteration = 0_u64;
    let mut run = |input: &[u8], iteration: u64| -> Result<(), FuzzError> {
        mirror(input).map_err(|source| FuzzError::Io { path: current_path.clone(), source })?;
        let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| target(input))) else { return Ok(()) };
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        let saved = settings.work.join(format!("failure-{name}-{}-{iteration}.bin", settings.seed));
        fs::write(&saved, input).map_err(|source| FuzzError::Io { path: saved.clone(), source })?;
        Err(FuzzError::Panicked { target: name, seed: settings.seed, iteration, message, input: saved })
    };

    // The corpus first, each input timed: the slow ones are not mutated.
    let mut slow = Vec::with_capacity(corpus.len());
    for input in &corpus {
        let before = Instant::now();
        run(input, iteration)?;
        slow.push(before.elapsed() > SLOW);
        iteration += 1;
    }
    // The time is for mutations: the corpus runs whole however long it takes.
    let started = Instant::now();
    let mut rng = Rng::new(seed);
    let mutator = Mutator::new(&corpus, &slow, MAX_LEN);
    let mut input = Vec::with_capacity(MAX_LEN);
    while started.elapsed() < settings.duration {
        mutator.next(&mut rng, &mut input);
        run(&input, iteration)?;
        iteration += 1;
    }
    let _ = fs::remove_file(&current_path);
    Ok(Report { target: name, corpus: corpus.len(), executions: iteration, elapsed: replay_started.elapsed() })
}

/// Decodes the file `path` once with `target`, without catching a panic, so that a saved
/// failure shows its backtrace.
///
/// # Errors
/// [`FuzzError::Io`] if the file cannot be read.
pub fn replay(path: &Path, target: Target) -> Result<(), FuzzError> {
    let data = fs::read(path).map_err(|source| FuzzError::Io { path: path.to_owned(), source })?;
    target(&data);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(name: &str, corpus: &[u8]) -> Settings {
        let root = std::env::temp_dir().join(format!("eventsourcing-fuzz-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let dir = root.join("corpus").join("frame");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("seed-one"), corpus).unwrap();
        Settings {
            duration: Duration::from_secs(10),
            seed: 7,
            targets: None,
            input: None,
            corpus: root.join("corpus"),
            work: root.join("work"),
        }
    }

    fn panics_unless_sixteen_bytes(data: &[u8]) {
        assert_eq!(data.len(), 16, "not sixteen bytes");
    }

    #[test]
    fn a_panicking_input_is_saved_and_named_with_the_seed() {
        let settings = settings("mutation", &[0; 16]);
        let error = fuzz(&settings, "frame", panics_unless_sixteen_bytes).unwrap_err();
        let FuzzError::Panicked { target, seed, iteration, ref message, ref input } = error else {
            panic!("{error}");
        };
        assert_eq!((target, seed), ("frame", 7));
        assert!(iteration >= 1, "the corpus input itself passes");
        assert!(message.contains("not sixteen bytes"), "{message}");
        assert_ne!(fs::read(input).unwrap().len(), 16);
        let text = error.to_string();
        assert!(text.contains("EVENTSOURCING_FUZZ_SEED=7") && text.contains(&input.display().to_string()), "{text}");
        let _ = fs::remove_dir_all(settings.corpus.parent().unwrap());
    }

    #[test]
    fn a_corpus_input_that_panics_fails_before_any_mutation() {
        let settings = settings("corpus", &[1; 3]);
        let error = fuzz(&settings, "frame", panics_unless_sixteen_bytes).unwrap_err();
        assert!(matches!(error, FuzzError::Panicked { iteration: 0, .. }), "{error}");
        let _ = fs::remove_dir_all(settings.corpus.parent().unwrap());
    }

    #[test]
    fn the_same_seed_makes_the_same_inputs() {
        let corpus = vec![b"{\"a\":1}".to_vec(), vec![1, 2, 3, 4, 5, 6, 7, 8]];
        let mutator = Mutator::new(&corpus, &[false, false], MAX_LEN);
        let run = |seed| {
            let mut rng = Rng::new(seed);
            let mut input = Vec::new();
            (0..100)
                .map(|_| {
                    mutator.next(&mut rng, &mut input);
                    input.clone()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }
}
