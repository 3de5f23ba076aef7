//! `cargo xtask`: Zhida's automation.
//!
//! - `run`: install what is missing, build the app and the server, start Zhida with demo data.
//! - `test`: every check and test suite, one summary line per layer; non-zero on any failure.
//! - `build`: the release app in `dist/` (precompressed) and the server binary.
//! - `structure`: no file over 700 lines; the server's platform imports no feature, features no cycle.
//! - `size`: raw, gzip and brotli bytes of everything the landing page loads, against the budget.
//! - `bench rules`: `zhida match` end to end over a generated district.

mod bench;
mod build;
mod setup;
mod size;
mod structure;
mod test;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => build::run(&args[1..]),
        Some("test") => test::all(&args[1..]),
        Some("build") if args.get(1).map(String::as_str) == Some("app") => build::app(),
        Some("build") => build::all().map(|_| ()),
        Some("size") => size::report(true),
        Some("bench") => bench::run(&args[1..]),
        Some("structure") => structure::check(),
        Some("setup") => setup::build_tools().and_then(|()| setup::browser()),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n\
                 run [-- ZHIDA SERVE FLAGS]  install what is missing, build, start Zhida with demo data\n\
                 test                        run every check and test suite\n\
                 build                       build the release app (dist/) and the server\n\
                 size                        bytes the landing page loads, against the 150 KB budget\n\
                 bench rules                 time zhida match over a generated district (1.4M residents)\n\
                 bench monthly               time zhida import + one monthly run over it in SQLite\n\
                 bench events                feed call to SSE message, 200 calls/s, 400 open apps\n\
                 bench home                  GET /api/home at 500 requests/s over that district\n\
                 structure                   file lengths and the server's import rules
                 setup                       install the build tools and the test browser only"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the folder above `xtask/`). Read at run time (`cargo run` sets it), not
/// compile time: a build shared between checkouts must act on the checkout it is run in.
pub fn root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// A command run from the workspace root.
pub fn cmd(program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root());
    c
}

/// Runs a command, failing with its command line when it fails.
pub fn run_checked(c: &mut Command) -> anyhow::Result<()> {
    eprintln!("$ {}", describe(c));
    let status = c
        .status()
        .map_err(|e| anyhow::anyhow!("could not start {}: {e}", describe(c)))?;
    anyhow::ensure!(status.success(), "{} failed ({status})", describe(c));
    Ok(())
}

pub fn describe(c: &Command) -> String {
    std::iter::once(c.get_program().to_string_lossy().into_owned())
        .chain(c.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `PATH` with the project's npm tools (wasm-opt) first.
pub fn path_with_node_bin() -> String {
    let bin = root().join("node_modules/.bin");
    match std::env::var("PATH") {
        Ok(path) => format!("{}:{path}", bin.display()),
        Err(_) => bin.display().to_string(),
    }
}
