//! `cargo xtask structure`: the shape the code keeps.
//!
//! - No source file under `crates/*/src`, `src/` or `xtask/src` is longer than
//!   [`MAX_LINES`] lines.
//! - In the server, `platform/` imports no feature and not the crate root (which holds the
//!   composed `AppState`), features do not import the composing layer (`routes`, `system`,
//!   `cli`, `demo`), and the features' imports of each other form no cycle.
//!
//! Imports are read as text: every `crate::name` outside a `#[cfg(test)]` module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::root;

/// The longest a source file may be.
pub const MAX_LINES: usize = 700;

/// The server's folders that are features: each a room of its own.
const FEATURES: [&str; 6] = [
    "accounts",
    "data",
    "policies",
    "subsidies",
    "licences",
    "notifications",
];

/// The server's layer that every feature stands on.
const PLATFORM: &str = "platform";

/// The crate root's own names (`crate::AppState`, …): the composed state, which features take.
const ROOT_NAMES: [&str; 2] = ["AppState", "Settings"];

pub fn check() -> anyhow::Result<()> {
    let root = root();
    let mut problems = long_files(&root)?;
    let server = root.join("crates/server/src");
    let files = rust_files(&server)?
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).with_context(|| p.display().to_string())?;
            let rel = p.strip_prefix(&server).expect("under src").to_path_buf();
            Ok((rel, text))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (mut found, graph) = server_imports(&files);
    problems.append(&mut found);
    eprintln!("server features and what they import:");
    for (feature, imports) in &graph {
        let names: Vec<&str> = imports.iter().map(String::as_str).collect();
        eprintln!("  {feature} -> {}", names.join(", "));
    }
    if problems.is_empty() {
        eprintln!("structure: every file ≤ {MAX_LINES} lines; no upward import, no cycle");
        return Ok(());
    }
    for p in &problems {
        eprintln!("  {p}");
    }
    bail!("{} structure problem(s)", problems.len())
}

/// Source files over the limit, as problems.
fn long_files(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut dirs = vec![root.join("src"), root.join("xtask/src")];
    for entry in std::fs::read_dir(root.join("crates"))? {
        dirs.push(entry?.path().join("src"));
    }
    let mut problems = Vec::new();
    for dir in dirs.into_iter().filter(|d| d.is_dir()) {
        for file in rust_files(&dir)? {
            let lines = std::fs::read_to_string(&file)?.lines().count();
            if lines > MAX_LINES {
                let shown = file
                    .strip_prefix(root)
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                problems.push(format!("{shown}: {lines} lines (at most {MAX_LINES})"));
            }
        }
    }
    Ok(problems)
}

fn rust_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| d.display().to_string())? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What a file's room is: its first folder, or (for a file at the top) the crate root's layer.
fn room_of(rel: &Path) -> String {
    let mut parts = rel.components();
    let first = parts
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    if parts.next().is_some() {
        first
    } else {
        first.trim_end_matches(".rs").to_owned()
    }
}

/// The `crate::` names a file's production code uses (its test module left out).
fn crate_imports(text: &str) -> BTreeSet<String> {
    let production = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut names = BTreeSet::new();
    let mut rest = production;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        // `zhida_crate::…` or a longer identifier is not this crate.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let inside = group.split('}').next().unwrap_or_default();
            for item in inside.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    names.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
    }
    names
}

/// The problems of the server's imports, and the graph of its features' imports of each other.
fn server_imports(
    files: &[(PathBuf, String)],
) -> (Vec<String>, BTreeMap<String, BTreeSet<String>>) {
    let mut problems = Vec::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = FEATURES
        .iter()
        .map(|f| ((*f).to_owned(), BTreeSet::new()))
        .collect();
    for (rel, text) in files {
        let room = room_of(rel);
        for name in crate_imports(text) {
            if name == room || name == "self" {
                continue;
            }
            let shown = rel.display();
            if room == PLATFORM {
                problems.push(format!(
                    "crates/server/src/{shown}: the platform imports crate::{name}"
                ));
            } else if FEATURES.contains(&room.as_str()) {
                if FEATURES.contains(&name.as_str()) {
                    graph.entry(room.clone()).or_default().insert(name);
                } else if name != PLATFORM && !ROOT_NAMES.contains(&name.as_str()) {
                    problems.push(format!(
                        "crates/server/src/{shown}: the feature {room} imports crate::{name}, which composes the features"
                    ));
                }
            }
        }
    }
    if let Some(cycle) = find_cycle(&graph) {
        problems.push(format!(
            "the server's features import each other in a circle: {}",
            cycle.join(" -> ")
        ));
    }
    (problems, graph)
}

/// A circle in `graph`, as the path around it (first name repeated at the end), if any.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit<'a>(
        node: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| *n == node) {
            let mut cycle: Vec<String> = path[at..].iter().map(|s| (*s).to_owned()).collect();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node);
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> (PathBuf, String) {
        (PathBuf::from(path), text.to_owned())
    }

    #[test]
    fn reads_single_and_grouped_imports_but_not_tests_or_other_crates() {
        let text =
            "use crate::platform::db::Db;\nuse crate::{demo, AppState};\nlet x = my_crate::y;\n\
                    #[cfg(test)]\nmod tests { use crate::routes; }";
        let names: Vec<String> = crate_imports(text).into_iter().collect();
        assert_eq!(names, ["AppState", "demo", "platform"]);
    }

    #[test]
    fn the_platform_may_not_import_a_feature_or_the_root() {
        let (problems, _) = server_imports(&[
            file(
                "platform/events.rs",
                "use crate::subsidies::handlers::Beneficiary;",
            ),
            file("platform/headers.rs", "use crate::AppState;"),
            file("platform/error.rs", "use crate::platform::i18n::Lang;"),
        ]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("platform/events.rs"));
        assert!(problems[1].contains("crate::AppState"));
    }

    #[test]
    fn features_may_take_the_state_but_not_the_composing_layer() {
        let (problems, _) = server_imports(&[
            file(
                "data/feeds.rs",
                "use crate::AppState; use crate::platform::db::now;",
            ),
            file(
                "subsidies/matching.rs",
                "use crate::cli::district::policies;",
            ),
        ]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("crate::cli"));
    }

    #[test]
    fn a_circle_of_features_is_found_and_a_line_is_not() {
        let (problems, graph) = server_imports(&[
            file("subsidies/matching.rs", "use crate::data::store::Known;"),
            file(
                "subsidies/handlers.rs",
                "use crate::accounts::auth::Session;",
            ),
            file("licences/mod.rs", "use crate::accounts::auth::Session;"),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(graph["subsidies"].len(), 2);
        let (problems, _) = server_imports(&[
            file("subsidies/matching.rs", "use crate::data::store::Known;"),
            file(
                "data/feeds.rs",
                "crate::subsidies::matching::after_change(&s, &ids)",
            ),
        ]);
        assert_eq!(
            problems,
            ["the server's features import each other in a circle: data -> subsidies -> data"]
        );
    }

    #[test]
    fn top_level_files_are_the_composing_layer() {
        assert_eq!(room_of(Path::new("routes.rs")), "routes");
        assert_eq!(room_of(Path::new("licences/review.rs")), "licences");
    }
}
