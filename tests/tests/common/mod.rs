//! The repository's own files, for the tests that read all of them (links, standalone).

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Directories that hold build output, installed packages or tool state, never sources.
const NOT_SOURCES: &[&str] = &[
    "target",
    "node_modules",
    ".git",
    ".tools",
    ".wrangler",
    "dist",
    "pkg",
    "build",
    "artifacts",
];

/// The files of the repository, relative to the root with `/` separators, and whether the list
/// came from git. With git: the tracked files plus new files not ignored (so a file checks out
/// before it is added), minus deleted ones. Without git (an unpacked archive): every file
/// outside build output.
pub fn files() -> (Vec<String>, bool) {
    let root = root();
    let listed = std::process::Command::new("git")
        .arg("-C")
        .arg(&root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output()
        .ok()
        .filter(|out| out.status.success());
    if let Some(out) = listed {
        let mut files: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter(|p| !p.is_empty() && root.join(p).is_file())
            .map(String::from)
            .collect();
        files.sort();
        files.dedup();
        return (files, true);
    }
    let mut files = Vec::new();
    walk(&root, "", &mut files);
    files.sort();
    (files, false)
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{prefix}{name}");
        let path = entry.path();
        if path.is_dir() {
            if !NOT_SOURCES.contains(&name.as_str()) {
                walk(&path, &format!("{relative}/"), out);
            }
        } else {
            out.push(relative);
        }
    }
}
