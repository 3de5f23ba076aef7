//! `cargo xtask size`: what a first visit to the landing page downloads, in bytes.

use std::path::Path;

use anyhow::Context;

use crate::build::{brotli, gzip};
use crate::root;

/// The budget for everything a first load of the app transfers, brotli-compressed.
pub const BUDGET_BROTLI: usize = 150 * 1024;

/// Prints raw, gzip and brotli bytes per file and in total, for the visitors' bundle (what the
/// landing page loads: the budget) and for the signed-in bundle (reported); fails when the
/// first load is over the budget.
pub fn report(print: bool) -> anyhow::Result<()> {
    let dist = root().join("dist");
    let first = bundle(&dist, "index.html", print, "first load, total")?;
    println!("{:<44} {:>10}   (budget: {} brotli)", "", "", BUDGET_BROTLI);
    if dist.join("account/index.html").exists() {
        bundle(
            &dist,
            "account/index.html",
            print,
            "signed-in bundle, total",
        )?;
    }
    if dist.join("selfcheck/index.html").exists() {
        bundle(
            &dist,
            "selfcheck/index.html",
            print,
            "policy calculator bundle, total",
        )?;
    }
    if dist.join("track/index.html").exists() {
        bundle(
            &dist,
            "track/index.html",
            print,
            "public 一照通 bundle (/track, /verify), total",
        )?;
    }
    anyhow::ensure!(
        first <= BUDGET_BROTLI,
        "the first load is {first} bytes brotli, over the budget of {BUDGET_BROTLI}"
    );
    Ok(())
}

/// Measures a page of `dist` and the files it links to; returns the brotli total.
fn bundle(dist: &Path, page: &str, print: bool, label: &str) -> anyhow::Result<usize> {
    let index = std::fs::read_to_string(dist.join(page))
        .with_context(|| format!("dist/{page}: build the app first (cargo xtask build)"))?;
    let mut files = vec![page.to_owned()];
    files.extend(referenced(&index));
    let mut total = (0, 0, 0);
    if print {
        println!(
            "{:<44} {:>10} {:>10} {:>10}",
            "file", "raw", "gzip", "brotli"
        );
    }
    for file in &files {
        let data = std::fs::read(dist.join(file))
            .with_context(|| format!("dist/{file}, named in {page}"))?;
        let sizes = (data.len(), gzip(&data).len(), brotli(&data).len());
        total = (total.0 + sizes.0, total.1 + sizes.1, total.2 + sizes.2);
        if print {
            println!("{file:<44} {:>10} {:>10} {:>10}", sizes.0, sizes.1, sizes.2);
        }
    }
    println!(
        "{label:<44} {:>10} {:>10} {:>10}",
        total.0, total.1, total.2
    );
    Ok(total.2)
}

/// The local files that `index.html` links to (`href="/…"`, `src=/…`, quoted or not).
fn referenced(index: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for attr in ["href=", "src="] {
        let mut rest = index;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let value = rest.trim_start_matches(['"', '\'']);
            let end = value.find(['"', '\'', ' ', '>']).unwrap_or(value.len());
            let Some(file) = value[..end].strip_prefix('/') else {
                continue;
            };
            if !file.is_empty()
                && !file.starts_with('/')
                && Path::new(file).extension().is_some()
                && !out.iter().any(|f| f == file)
            {
                out.push(file.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::referenced;

    #[test]
    fn finds_the_linked_files() {
        let html = r#"<link rel="stylesheet" href="/main-1.css"/><link rel="modulepreload" href="/app-1.js"><link rel="preload" href="/app-1_bg.wasm"><script type="module">import init from '/app-1.js';</script><a href="https://example.org/x"><link href=/favicon.svg rel=icon><a href="//cdn.example/x.js">"#;
        assert_eq!(
            referenced(html),
            ["main-1.css", "app-1.js", "app-1_bg.wasm", "favicon.svg"]
        );
    }
}
