//! Installs what the build and the tests need, when it is missing. Versions are pinned here and
//! in `Trunk.toml`, `Cargo.toml` and `package.json` (see ../shared/TOOLCHAIN.md for why).

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};

use crate::{cmd, root, run_checked};

pub const TRUNK_VERSION: &str = "0.21.14";
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// What `cargo xtask run` and `build` need: the wasm target, Trunk, wasm-bindgen and npm's tools.
pub fn build_tools() -> anyhow::Result<()> {
    let targets = output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if !targets
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        run_checked(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    if !version_of("trunk").is_some_and(|v| v.contains(TRUNK_VERSION)) {
        eprintln!("Installing Trunk {TRUNK_VERSION} (about 10 minutes, once)…");
        run_checked(Command::new("cargo").args([
            "install",
            "trunk",
            "--version",
            TRUNK_VERSION,
            "--locked",
        ]))?;
    }
    if !version_of("wasm-bindgen").is_some_and(|v| v.contains(WASM_BINDGEN_VERSION)) {
        eprintln!("Installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} (about 5 minutes, once)…");
        // Not --locked: its lockfile wants a crate version the registry mirror lacks.
        run_checked(Command::new("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN_VERSION,
        ]))?;
    }
    npm_tools()
}

/// `npm ci` when `node_modules` is missing or older than `package-lock.json`.
fn npm_tools() -> anyhow::Result<()> {
    if version_of("npm").is_none() {
        bail!(
            "npm is missing: install Node.js 20 and npm (as root: apt-get install -y nodejs npm)"
        );
    }
    let root = root();
    let marker = root.join("node_modules/.package-lock.json");
    let fresh = modified(&marker)
        .zip(modified(&root.join("package-lock.json")))
        .is_some_and(|(m, l)| m >= l);
    if !fresh || !root.join("node_modules/.bin/wasm-opt").exists() {
        run_checked(cmd("npm").args(["ci", "--no-audit", "--no-fund"]))?;
    }
    Ok(())
}

/// What the browser tests need: Chromium and its driver, from Debian's packages.
pub fn browser() -> anyhow::Result<()> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    let is_root = output(Command::new("id").arg("-u"))
        .map(|u| u.trim() == "0")
        .unwrap_or(false);
    if !is_root {
        bail!(
            "the browser tests need Chromium and ChromeDriver at {CHROMIUM} and {CHROMEDRIVER}; install them with:\n    \
             sudo apt-get update && sudo apt-get install -y chromium chromium-driver"
        );
    }
    eprintln!("Installing Chromium and ChromeDriver from Debian's packages…");
    run_checked(Command::new("apt-get").arg("update"))?;
    run_checked(Command::new("apt-get").args([
        "install",
        "-y",
        "--no-install-recommends",
        "chromium",
        "chromium-driver",
    ]))
    .context("installing chromium and chromium-driver")
}

fn version_of(program: &str) -> Option<String> {
    output(Command::new(program).arg("--version")).ok()
}

fn output(c: &mut Command) -> anyhow::Result<String> {
    let out = c.output()?;
    anyhow::ensure!(out.status.success(), "{} failed", crate::describe(c));
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}
