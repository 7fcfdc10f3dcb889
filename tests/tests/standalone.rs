//! The repository stands alone: no source file, comment or document sends its reader to a
//! document that is not in it (design notes, toolchain notes or style guides kept elsewhere).
//! A fact such a pointer stood for belongs in the repository, in its own words.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

/// Names of documents outside the repository, and the way to reach them, each written as two
/// halves joined at run time: this file is scanned like every other, and names none of them.
const OUTSIDE: &[(&str, &str)] = &[
    ("DESIGN", " §"),
    ("DESIGN", ".md"),
    ("TOOLCHAIN", ".md"),
    ("STYLE", ".md"),
    ("..", "/shared"),
];

fn outside() -> Vec<String> {
    OUTSIDE.iter().map(|(a, b)| format!("{a}{b}")).collect()
}

/// This file, named in failure messages.
const THIS_FILE: &str = "tests/tests/standalone.rs";

/// Files that still point outside and are being rewritten. Temporary: the list is to be emptied
/// (and then kept empty) once ARCHITECTURE.md and the edge worker's module docs stand alone.
/// An entry that no longer points outside fails the test, so the list cannot go stale.
const NOT_YET_STANDALONE: &[&str] = &[];

/// Lock files list what registries publish; their text is not ours.
fn is_lock_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with(".lock") || name == "package-lock.json" || name == "pnpm-lock.yaml"
}

/// `(line, name)` of every pointer outside the repository in `bytes`.
fn pointers_outside(bytes: &[u8]) -> Vec<(usize, String)> {
    let text = String::from_utf8_lossy(bytes);
    let names = outside();
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for name in &names {
            if line.contains(name.as_str()) {
                found.push((n + 1, name.clone()));
            }
        }
    }
    found
}

#[test]
fn nothing_points_outside_the_repository() {
    let root = common::root();
    let (files, _) = common::files();
    assert!(files.len() > 50, "only {} files found", files.len());
    let mut offenders = Vec::new();
    let mut stale = Vec::new();
    for file in &files {
        if is_lock_file(file) {
            continue;
        }
        let Ok(bytes) = std::fs::read(root.join(file)) else {
            continue;
        };
        let found = pointers_outside(&bytes);
        let allowed = NOT_YET_STANDALONE.contains(&file.as_str());
        if allowed && found.is_empty() {
            stale.push(file.clone());
        }
        if !allowed {
            offenders.extend(
                found
                    .into_iter()
                    .map(|(line, name)| format!("{file}:{line}: {name}")),
            );
        }
    }
    assert!(
        offenders.is_empty(),
        "these point at documents outside the repository; write the fact they stand for here \
         instead (or drop the pointer):\n{}",
        offenders.join("\n")
    );
    assert!(
        stale.is_empty(),
        "these no longer point outside the repository: remove them from NOT_YET_STANDALONE in \
         {THIS_FILE}:\n{}",
        stale.join("\n")
    );
}

#[test]
fn pointers_are_found_line_by_line() {
    let names = outside();
    let text = format!(
        "fine\n// the DESIGN of it\nsee {}3 and {}/x\n",
        names[0], names[4]
    );
    assert_eq!(
        pointers_outside(text.as_bytes()),
        [(3, names[0].clone()), (3, names[4].clone())]
    );
    assert!(is_lock_file("Cargo.lock"));
    assert!(is_lock_file("npm/package-lock.json"));
    assert!(!is_lock_file("docs/semantics.md"));
}
