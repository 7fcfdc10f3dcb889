//! Every relative link in the repository's Markdown leads somewhere: the documents must stand
//! alone, and a renamed file or heading should fail here rather than in a reader's browser.
//!
//! Checked: inline links and images (`[text](target)`) and reference definitions
//! (`[label]: target`) outside code. Web (`http:`, `https:`) and `mailto:` links and links to
//! an anchor of the same page (`#…`) are not checked. A relative target must stay inside the
//! repository and name a file or directory that exists (and is tracked, when git is there);
//! `file.md#anchor` must also name a heading of that file, slugged as GitHub does.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

/// One link: the line it is on (1-based) and its target as written.
#[derive(Debug, PartialEq)]
struct Link {
    line: usize,
    target: String,
}

/// Removes code spans, so that a link written inside backticks is not taken for one.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].bytes().take_while(|&b| b == b'`').count();
        let fence = &rest[start..start + ticks];
        let after = &rest[start + ticks..];
        match after.find(fence) {
            Some(end) => rest = &after[end + ticks..],
            // An unclosed run of backticks is literal text.
            None => {
                out.push_str(fence);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The target of an inline link whose `(` was just read: up to the unbalanced `)` or the first
/// space (a title follows), or `<…>`.
fn inline_target(after_paren: &str) -> Option<String> {
    let text = after_paren.trim_start();
    if let Some(bracketed) = text.strip_prefix('<') {
        return bracketed.find('>').map(|end| bracketed[..end].to_string());
    }
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(text[..i].to_string()),
            ')' => depth -= 1,
            c if c.is_whitespace() => return Some(text[..i].to_string()),
            _ => {}
        }
    }
    None
}

/// True for an opening or closing code fence line (```` ``` ```` or `~~~`).
fn fence(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    ["```", "~~~"].into_iter().find(|f| trimmed.starts_with(f))
}

fn links(markdown: &str) -> Vec<Link> {
    let mut out = Vec::new();
    let mut open_fence: Option<&str> = None;
    for (n, line) in markdown.lines().enumerate() {
        if let Some(f) = fence(line) {
            match open_fence {
                None => open_fence = Some(f),
                Some(open) if open == f => open_fence = None,
                Some(_) => {}
            }
            continue;
        }
        if open_fence.is_some() {
            continue;
        }
        let text = without_code_spans(line);
        // A reference definition: `[label]: target`.
        let trimmed = text.trim_start();
        if trimmed.starts_with('[')
            && let Some(close) = trimmed.find("]:")
            && !trimmed[..close].contains("](")
        {
            if let Some(target) = trimmed[close + 2..].split_whitespace().next() {
                let target = target.trim_start_matches('<').trim_end_matches('>');
                out.push(Link {
                    line: n + 1,
                    target: target.to_string(),
                });
            }
            continue;
        }
        let mut from = 0;
        while let Some(at) = text[from..].find("](") {
            let paren = from + at + 2;
            if text[..from + at].contains('[')
                && let Some(target) = inline_target(&text[paren..])
            {
                out.push(Link {
                    line: n + 1,
                    target,
                });
            }
            from = paren;
        }
    }
    out
}

/// The text of a heading as GitHub renders it, for its anchor: links and images keep their
/// label, code spans their text; emphasis marks and HTML tags go.
fn heading_text(raw: &str) -> String {
    let mut unlinked = String::new();
    let mut rest = raw;
    while let Some(at) = rest.find("](") {
        let Some(open) = rest[..at].rfind('[') else {
            break;
        };
        let Some(close) = rest[at + 2..].find(')') else {
            break;
        };
        unlinked.push_str(rest[..open].trim_end_matches('!'));
        unlinked.push_str(&rest[open + 1..at]);
        rest = &rest[at + 2 + close + 1..];
    }
    unlinked.push_str(rest);
    let mut text = String::new();
    let mut in_tag = false;
    for c in unlinked.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            '`' | '*' => {}
            c => text.push(c),
        }
    }
    text
}

/// GitHub's anchor for a heading: lower case; letters, digits, `-`, `_` and spaces kept; spaces
/// become `-`.
fn slug(heading: &str) -> String {
    heading_text(heading)
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every anchor a Markdown file defines: its headings (ATX `#` and setext underlines; repeated
/// slugs numbered `-1`, `-2`, … as GitHub does) and HTML `id`/`name` attributes.
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut headings = Vec::new();
    let mut open_fence: Option<&str> = None;
    let mut previous: Option<&str> = None;
    for line in markdown.lines() {
        if let Some(f) = fence(line) {
            match open_fence {
                None => open_fence = Some(f),
                Some(open) if open == f => open_fence = None,
                Some(_) => {}
            }
            previous = None;
            continue;
        }
        if open_fence.is_some() {
            continue;
        }
        let trimmed = line.trim();
        let hashes = trimmed.bytes().take_while(|&b| b == b'#').count();
        if (1..=6).contains(&hashes)
            && (trimmed.len() == hashes || trimmed[hashes..].starts_with(' '))
        {
            let text = trimmed[hashes..].trim();
            let text = text.trim_end_matches('#').trim_end();
            headings.push(text.to_string());
            previous = None;
            continue;
        }
        let underline = !trimmed.is_empty()
            && (trimmed.bytes().all(|b| b == b'=') || trimmed.bytes().all(|b| b == b'-'));
        match previous {
            Some(text) if underline => {
                headings.push(text.trim().to_string());
                previous = None;
            }
            _ => previous = (!trimmed.is_empty() && !trimmed.starts_with('#')).then_some(line),
        }
    }
    let mut out = BTreeSet::new();
    let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
    for heading in headings {
        let base = slug(&heading);
        let count = seen.entry(base.clone()).or_insert(0);
        out.insert(if *count == 0 {
            base.clone()
        } else {
            format!("{base}-{count}")
        });
        *count += 1;
    }
    for attribute in ["id=\"", "name=\""] {
        for (i, _) in markdown.match_indices(attribute) {
            let value = &markdown[i + attribute.len()..];
            if let Some(end) = value.find('"') {
                out.insert(value[..end].to_string());
            }
        }
    }
    out
}

/// `%xx` escapes decoded (a space in a file name is written `%20`).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `base/../x/./y` as `x/y`; `None` when it climbs out of the repository.
fn normalized(joined: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// What is wrong with a link of `file`, if anything.
fn problem(
    file: &str,
    target: &str,
    files: &BTreeSet<String>,
    tracked: bool,
    root: &Path,
) -> Option<String> {
    let lower = target.to_ascii_lowercase();
    if lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("mailto:")
        || target.starts_with('#')
    {
        return None;
    }
    if target.is_empty() {
        return Some("an empty link".into());
    }
    let scheme = target
        .split_once(':')
        .is_some_and(|(s, _)| !s.is_empty() && !s.contains('/') && !s.contains('.'));
    if scheme {
        return Some("not a relative link, and not a web or mailto link".into());
    }
    let (path, anchor) = match target.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (target, None),
    };
    let path = path.split('?').next().unwrap_or_default();
    let path = percent_decoded(path);
    let dir = file.rsplit_once('/').map_or("", |(dir, _)| dir);
    let joined = match path.strip_prefix('/') {
        Some(from_root) => from_root.to_string(),
        None => format!("{dir}/{path}"),
    };
    let Some(resolved) = normalized(&joined) else {
        return Some("points outside the repository".into());
    };
    let on_disk = root.join(&resolved);
    let is_dir = on_disk.is_dir();
    let exists = if tracked {
        files.contains(&resolved)
            || (is_dir
                && (resolved.is_empty()
                    || files
                        .range(format!("{resolved}/")..)
                        .next()
                        .is_some_and(|f| f.starts_with(&format!("{resolved}/")))))
    } else {
        on_disk.exists()
    };
    if !exists {
        return Some(format!("`{resolved}` does not exist in the repository"));
    }
    let anchor = anchor.map(percent_decoded)?;
    if is_dir || !resolved.to_ascii_lowercase().ends_with(".md") {
        return None;
    }
    let text = std::fs::read_to_string(&on_disk).unwrap_or_default();
    let defined = anchors(&text);
    (!defined.contains(&anchor)).then(|| {
        format!(
            "`{resolved}` has no heading with the anchor `#{anchor}` (it has: {})",
            defined.into_iter().collect::<Vec<_>>().join(", ")
        )
    })
}

#[test]
fn every_relative_link_resolves() {
    let root = common::root();
    let (files, tracked) = common::files();
    let set: BTreeSet<String> = files.iter().cloned().collect();
    let markdown: Vec<&String> = files
        .iter()
        .filter(|f| f.to_ascii_lowercase().ends_with(".md"))
        .collect();
    assert!(
        markdown.iter().any(|f| *f == "docs/semantics.md"),
        "found no Markdown files to check: {markdown:?}"
    );
    let mut broken = Vec::new();
    for file in markdown {
        let text = std::fs::read_to_string(root.join(file)).expect("Markdown is UTF-8");
        for link in links(&text) {
            if let Some(why) = problem(file, &link.target, &set, tracked, &root) {
                broken.push(format!("{file}:{}: ({}) {why}", link.line, link.target));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn links_are_found_where_markdown_has_them() {
    let text = "\
See [a](a.md) and ![img](img/x.png \"title\") and [b](<with space.md>).
`[not](a link)` and ``[nor](this)``.
[ref]: docs/x.md#part
```
[not](in a fence)
```
[nested](a(b).md) [c](c.md#anchor)
";
    let targets: Vec<(usize, String)> = links(text)
        .into_iter()
        .map(|l| (l.line, l.target))
        .collect();
    assert_eq!(
        targets,
        [
            (1, "a.md".to_string()),
            (1, "img/x.png".to_string()),
            (1, "with space.md".to_string()),
            (3, "docs/x.md#part".to_string()),
            (7, "a(b).md".to_string()),
            (7, "c.md#anchor".to_string()),
        ]
    );
}

#[test]
fn anchors_are_slugged_as_github_does() {
    let text = "\
# Evaluation semantics
## Missing attributes, wrong types and `negate`
## The evaluation time (`$now`)
## Rollouts and bucketing
## Rollouts and bucketing
## A [link](x.md) in a heading
Setext heading
--------------
```
# not a heading
```
<a id=\"custom\"></a>
";
    let found = anchors(text);
    for anchor in [
        "evaluation-semantics",
        "missing-attributes-wrong-types-and-negate",
        "the-evaluation-time-now",
        "rollouts-and-bucketing",
        "rollouts-and-bucketing-1",
        "a-link-in-a-heading",
        "setext-heading",
        "custom",
    ] {
        assert!(found.contains(anchor), "{anchor} not in {found:?}");
    }
    assert!(!found.contains("not-a-heading"), "{found:?}");
}

#[test]
fn targets_outside_the_repository_or_missing_are_problems() {
    let root = common::root();
    let files: BTreeSet<String> = ["README.md", "docs/semantics.md", "core/src/eval.rs"]
        .into_iter()
        .map(String::from)
        .collect();
    let check = |target: &str| problem("docs/semantics.md", target, &files, true, &root);
    assert_eq!(check("../core/src/eval.rs"), None);
    assert_eq!(check("/README.md"), None);
    assert_eq!(check("https://example.com/x"), None);
    assert_eq!(check("#anywhere"), None);
    assert_eq!(check("../core/src"), None);
    assert!(check("../../elsewhere/DOC.md").is_some());
    assert!(check("../core/src/missing.rs").is_some());
    assert!(check("semantics.md#no-such-heading").is_some());
    assert_eq!(check("semantics.md#the-document"), None);
    assert!(check("ftp:x").is_some());
}
