//! The guide as a book: every chapter is in its table of contents, every link between the
//! documents leads somewhere, and the tutorial's program is the example CI runs.
#![allow(missing_docs)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The documents whose links are checked: the README, the contributors' guide and every
/// chapter.
fn documents() -> Vec<PathBuf> {
    let mut documents = vec![root().join("README.md"), root().join("DEVELOPERS.md")];
    let mut chapters: Vec<PathBuf> = std::fs::read_dir(root().join("docs/src"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    chapters.sort();
    documents.extend(chapters);
    documents
}

/// The lines of a Markdown document outside its code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

/// The anchors of a document's headings, as mdBook and GitHub make them.
fn anchors(text: &str) -> BTreeSet<String> {
    prose(text)
        .into_iter()
        .filter_map(|line| line.strip_prefix('#'))
        .map(|heading| {
            heading
                .trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

/// The targets of a document's inline links, `[text](target)`, outside code.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in prose(text) {
        // Inline code spans may hold brackets that are not links.
        let line: String = line.split('`').step_by(2).collect::<Vec<_>>().join("");
        let mut rest = line.as_str();
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            found.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    found
}

#[test]
fn every_link_between_the_documents_leads_somewhere() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for document in documents() {
        let text = read(&document);
        for target in links(&text) {
            if target.starts_with("http://") || target.starts_with("https://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (file, anchor) = target.split_once('#').map_or((target.as_str(), None), |(f, a)| (f, Some(a)));
            let path = if file.is_empty() { document.clone() } else { document.parent().unwrap().join(file) };
            if !path.exists() {
                broken.push(format!("{}: {target}: no such file", document.display()));
                continue;
            }
            if let Some(anchor) = anchor
                && path.extension().is_some_and(|e| e == "md")
                && !anchors(&read(&path)).contains(anchor)
            {
                broken.push(format!("{}: {target}: no such heading", document.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 10, "only {checked} links found: the link finder is broken");
}

#[test]
fn every_chapter_is_in_the_table_of_contents() {
    let summary = read(&root().join("docs/src/SUMMARY.md"));
    let listed: BTreeSet<String> = links(&summary).into_iter().collect();
    let chapters: BTreeSet<String> = std::fs::read_dir(root().join("docs/src"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .map(|path| path.file_name().unwrap().to_str().unwrap().to_owned())
        .filter(|name| name != "SUMMARY.md")
        .collect();
    assert_eq!(listed, chapters);
    // And the book's chapters are compiled as documentation tests.
    let lib = read(&root().join("src/lib.rs"));
    for chapter in &chapters {
        assert!(lib.contains(&format!("include_str!(\"../docs/src/{chapter}\")")), "{chapter} is not doc-tested");
    }
}

#[test]
fn the_tutorials_program_is_the_example_ci_runs() {
    let tutorial = read(&root().join("docs/src/getting-started.md"));
    let marker = "Put this in `src/main.rs`:\n\n```rust\n";
    let start = tutorial.find(marker).expect("the tutorial's program") + marker.len();
    let end = start + tutorial[start..].find("\n```\n").unwrap() + 1;
    let example = read(&root().join("examples/getting_started.rs"));
    assert_eq!(&tutorial[start..end], example, "docs/src/getting-started.md and examples/getting_started.rs differ");
}

#[test]
fn the_link_finder_and_the_anchors_follow_markdown() {
    let text = "# Getting started\n## In an SQLite file\nSee [a](b.md#c-d) and `[x](y)`.\n```\n[no](link)\n```\n";
    assert_eq!(links(text), ["b.md#c-d"]);
    let anchors = anchors(text);
    assert!(anchors.contains("getting-started") && anchors.contains("in-an-sqlite-file"), "{anchors:?}");
}
