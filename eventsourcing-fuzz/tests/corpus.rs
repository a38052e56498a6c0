//! The seed corpus in `fuzz/corpus/<target>/`: its seeds still decode as written, and an
//! ignored test rewrites them (run it on purpose when the stored format changes, and
//! commit the result; see DEVELOPERS.md).

use std::fs;
use std::path::PathBuf;

use eventsourcing_fuzz::seeds;
use eventsourcing_fuzz::targets::{READERS, TARGETS};

#[test]
#[ignore = "rewrites fuzz/corpus; run on purpose when the stored format changes"]
fn regenerate_the_seed_corpus() {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus"));
    let seeds = seeds::seeds().unwrap_or_else(|e| panic!("{e}"));
    for (target, _) in TARGETS {
        let dir = root.join(target);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        // Seeds are rewritten; regression inputs (`regression-*`) stay.
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path();
            if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("seed-")) {
                fs::remove_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
        let mine: Vec<_> = seeds.iter().filter(|s| s.target == *target).collect();
        assert!(!mine.is_empty(), "no seed for {target}");
        for seed in mine {
            let path = dir.join(&seed.name);
            fs::write(&path, &seed.data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

/// A seed that no longer decodes makes fuzzing shallow without failing it: after a change
/// to the stored format, regenerate the corpus.
#[test]
fn committed_seeds_are_read_as_written() {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus"));
    for (target, read) in READERS {
        let dir = root.join(target);
        let mut read_any = false;
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            // Bombs are meant to be refused, and take long to be; regressions may be too.
            if !name.starts_with("seed-") || name.starts_with("seed-bomb-") {
                continue;
            }
            let data = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if let Err(error) = read(&data) {
                panic!("{target}/{name} is not read as written ({error}): regenerate the corpus (see DEVELOPERS.md)");
            }
            read_any = true;
        }
        assert!(read_any, "no seed in {}", dir.display());
    }
}
