//! Building: the app with Trunk into `dist/` (then precompressed), and the server binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::setup::{self, modified};
use crate::{cmd, path_with_node_bin, root, run_checked};

/// Cargo profile of the server that `cargo xtask run` starts (see the root Cargo.toml).
const SERVER_PROFILE: &str = "server";

/// `cargo xtask run`: build what changed, then start the server with demo data on SQLite.
pub fn run(extra: &[String]) -> anyhow::Result<()> {
    let server = all()?;
    let mut c = cmd(server.to_str().expect("a UTF-8 path"));
    c.arg("serve").args(extra);
    if std::env::var_os("ZHIDA_DEMO").is_none() {
        c.env("ZHIDA_DEMO", "1");
    }
    run_checked(&mut c)
}

/// Builds everything `run` serves; returns the server binary.
pub fn all() -> anyhow::Result<PathBuf> {
    setup::build_tools()?;
    app()?;
    server(SERVER_PROFILE, true)
}

/// The release app in `dist/`, unless it is newer than every file it is built from.
pub fn app() -> anyhow::Result<()> {
    let root = root();
    // All four bundles: the visitors' (`dist/`), the signed-in (`dist/account/`), the
    // calculator's (`dist/selfcheck/`) and the public 一照通 pages' (`dist/track/`).
    let built = [
        "dist/index.html",
        "dist/account/index.html",
        "dist/selfcheck/index.html",
        "dist/track/index.html",
    ]
    .iter()
    .map(|p| modified(&root.join(p)))
    .min()
    .flatten();
    let newest_input = [
        "src",
        "crates/rules",
        "policies",
        "locales",
        "style",
        "public",
        "crates/api",
        "index.html",
        "Cargo.toml",
        "Cargo.lock",
        "Trunk.toml",
        "build.rs",
        "package-lock.json",
    ]
    .iter()
    .filter_map(|p| newest(&root.join(p)))
    .max();
    if built.is_some() && built >= newest_input {
        eprintln!("dist/ is up to date");
        return Ok(());
    }
    // Trunk empties its output folder first: the public bundle goes first, into `dist/`, then
    // each feature's bundle into `dist/<feature>/`, served from `/<feature>/`.
    run_checked(
        cmd("trunk")
            .args(["build", "--release"])
            .env("PATH", path_with_node_bin()),
    )?;
    for feature in ["account", "selfcheck", "track"] {
        run_checked(
            cmd("trunk")
                .args(["build", "--release", "--features", feature])
                .arg("--dist")
                .arg(format!("dist/{feature}"))
                .arg("--public-url")
                .arg(format!("/{feature}/"))
                .env("PATH", path_with_node_bin()),
        )?;
    }
    precompress(&root.join("dist"))
}

/// The server binary built with `profile`; with `commit`, it reports the git commit in
/// `/api/version`.
pub fn server(profile: &str, commit: bool) -> anyhow::Result<PathBuf> {
    let mut c = cmd("cargo");
    c.args([
        "build",
        "-p",
        "server",
        "--bin",
        "zhida",
        "--profile",
        profile,
    ]);
    if commit {
        if let Ok(out) = cmd("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
        {
            c.env(
                "ZHIDA_GIT_COMMIT",
                String::from_utf8_lossy(&out.stdout).trim(),
            );
        }
    }
    run_checked(&mut c)?;
    let dir = if profile == "dev" { "debug" } else { profile };
    Ok(target_dir().join(dir).join("zhida"))
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// The newest modification time of a file, or of any file below a folder.
fn newest(path: &Path) -> Option<std::time::SystemTime> {
    if path.is_dir() {
        std::fs::read_dir(path)
            .ok()?
            .filter_map(|e| e.ok())
            .filter_map(|e| newest(&e.path()))
            .max()
    } else {
        modified(path)
    }
}

/// Whether a file of this name is worth compressing.
pub fn compressible(name: &str) -> bool {
    [".html", ".js", ".css", ".wasm", ".svg", ".json", ".txt"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Writes `.br` and `.gz` beside each compressible file, so the server starts without
/// compressing anything.
fn precompress(dist: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dist)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if path.is_dir() {
            precompress(&path)?;
            continue;
        }
        if !path.is_file() || !compressible(&name) {
            continue;
        }
        let data = std::fs::read(&path)?;
        std::fs::write(dist.join(format!("{name}.br")), brotli(&data))?;
        std::fs::write(dist.join(format!("{name}.gz")), gzip(&data))?;
    }
    Ok(())
}

pub fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("compressing in memory");
    out
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("compressing in memory");
    encoder.finish().expect("compressing in memory")
}

/// A `cargo` command for the tests, with the wasm runner pointed at the system's chromedriver.
pub fn cargo() -> Command {
    let mut c = cmd("cargo");
    c.env("CHROMEDRIVER", setup::CHROMEDRIVER);
    c
}
