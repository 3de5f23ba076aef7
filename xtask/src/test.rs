//! `cargo xtask test`: every layer of checks and tests, in order from cheap to costly. Each layer
//! runs even when an earlier one failed, so one run shows everything that is wrong; the run ends
//! with one line per layer and fails if any layer failed.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::build::{self, cargo};
use crate::setup;
use crate::{root, run_checked, size, structure};

/// One layer of checks.
type Layer = fn() -> anyhow::Result<()>;

struct Outcome {
    name: &'static str,
    result: anyhow::Result<()>,
    took: Duration,
}

pub fn all(_args: &[String]) -> anyhow::Result<()> {
    setup::build_tools()?;
    setup::browser()?;
    let layers: [(&'static str, Layer); 11] = [
        ("format (cargo fmt --check)", format),
        ("structure (file lengths, server imports)", structure::check),
        ("lints (clippy, warnings denied)", clippy),
        ("unit tests (native Rust, and Node for the gate)", unit),
        ("server tests on SQLite", server_sqlite),
        ("server tests on PostgreSQL", server_postgres),
        ("component tests (wasm, headless Chromium)", components),
        ("app release build", build::app),
        ("first-load size budget", || size::report(true)),
        ("API fuzz (schemathesis, as four callers)", fuzz),
        (
            "end-to-end (Chromium via chromedriver, axe-core)",
            end_to_end,
        ),
    ];
    let mut outcomes = Vec::new();
    for (name, layer) in layers {
        eprintln!("\n==> {name}");
        let started = Instant::now();
        let result = layer();
        if let Err(e) = &result {
            eprintln!("==> {name}: FAILED: {e:#}");
        }
        outcomes.push(Outcome {
            name,
            result,
            took: started.elapsed(),
        });
    }
    println!("\nSummary");
    for o in &outcomes {
        let verdict = match &o.result {
            Ok(()) => "ok".to_owned(),
            Err(e) => format!(
                "FAILED: {}",
                format!("{e:#}").lines().next().unwrap_or_default()
            ),
        };
        println!(
            "  {:<52} {:>7.1} s  {verdict}",
            o.name,
            o.took.as_secs_f64()
        );
    }
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    println!(
        "layers: {} passed, {failed} failed",
        outcomes.len() - failed
    );
    if failed > 0 {
        bail!("{failed} layer(s) failed");
    }
    Ok(())
}

fn format() -> anyhow::Result<()> {
    run_checked(cargo().args(["fmt", "--all", "--check"]))
}

fn clippy() -> anyhow::Result<()> {
    run_checked(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The rules engine runs in the browser too: it must build for wasm.
    run_checked(cargo().args([
        "clippy",
        "-p",
        "rules",
        "-p",
        "dataset",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The app's browser-only code (and its component tests) compile for wasm alone: the
    // visitors' bundle, then every feature (the signed-in, calculator and 一照通 bundles).
    run_checked(cargo().args([
        "clippy",
        "-p",
        "zhida-app",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run_checked(cargo().args([
        "clippy",
        "-p",
        "zhida-app",
        "--target",
        "wasm32-unknown-unknown",
        "--features",
        "account,selfcheck,track",
        "--",
        "-D",
        "warnings",
    ]))
}

fn unit() -> anyhow::Result<()> {
    run_checked(cargo().args(["test", "--workspace", "--exclude", "server"]))?;
    // The app's unit tests of the pages in its other bundles (the policy editor's completion).
    run_checked(cargo().args([
        "test",
        "-p",
        "zhida-app",
        "--lib",
        "--features",
        "account,selfcheck,track",
    ]))?;
    run_checked(cargo().args([
        "test",
        "-p",
        "server",
        "--lib",
        "--bins",
        "--test",
        "match_cli",
    ]))?;
    // Tests of the server that need no database (the database ones run in their own layers).
    run_checked(cargo().args([
        "test",
        "-p",
        "server",
        "--test",
        "sms",
        "--",
        "--skip",
        "sqlite::",
        "--skip",
        "postgres::",
    ]))?;
    // The compatibility gate is JavaScript: Node's test runner checks it.
    run_checked(crate::cmd("node").args(["--test", "tests/compat_gate.test.js"]))
}

fn server_sqlite() -> anyhow::Result<()> {
    run_checked(cargo().args(["test", "-p", "server", "--tests", "--", "sqlite::"]))
}

fn server_postgres() -> anyhow::Result<()> {
    ensure_postgres()?;
    run_checked(cargo().args(["test", "-p", "server", "--tests", "--", "postgres::"]))
}

fn components() -> anyhow::Result<()> {
    run_checked(cargo().args([
        "test",
        "-p",
        "zhida-app",
        "--target",
        "wasm32-unknown-unknown",
        "--test",
        "web",
    ]))
}

/// Every operation of the OpenAPI document, fuzzed by schemathesis (pinned in
/// `tests/fuzz/requirements.txt`, installed into `target/fuzz-venv`) signed out, as a resident,
/// an enterprise agent and a reviewer: no 5xx, every body decodes with its declared encoding
/// and matches its documented schema (`tests/fuzz/run.py`).
fn fuzz() -> anyhow::Result<()> {
    let server = build::server("dev", false)?;
    let root = root();
    let venv = build::target_dir().join("fuzz-venv");
    let python = venv.join("bin/python");
    let requirements = root.join("tests/fuzz/requirements.txt");
    let marker = venv.join("installed-requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)?;
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
        if !python.exists() {
            run_checked(crate::cmd("python3").arg("-m").arg("venv").arg(&venv))?;
        }
        run_checked(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(&requirements),
        )?;
        std::fs::write(&marker, wanted)?;
    }
    run_checked(
        Command::new(&python)
            .arg(root.join("tests/fuzz/run.py"))
            .arg("--bin")
            .arg(&server)
            .arg("--static")
            .arg(root.join("dist"))
            .arg("--report-dir")
            .arg(build::target_dir().join("fuzz")),
    )
}

fn end_to_end() -> anyhow::Result<()> {
    let server = build::server("dev", false)?;
    let root = root();
    let axe = root.join("node_modules/axe-core/axe.min.js");
    anyhow::ensure!(axe.exists(), "{} is missing: run npm ci", axe.display());
    let suite = || {
        let mut c = cargo();
        c.args([
            "test",
            "-p",
            "zhida-app",
            "--features",
            "e2e",
            "--test",
            "e2e",
        ])
        .env("ZHIDA_BIN", &server)
        .env("ZHIDA_STATIC_DIR", root.join("dist"))
        .env("ZHIDA_AXE", &axe)
        .env("CHROMIUM", setup::CHROMIUM);
        c
    };
    // The whole suite on SQLite, then on PostgreSQL.
    eprintln!("end-to-end on SQLite");
    run_checked(&mut suite())?;
    ensure_postgres()?;
    eprintln!("end-to-end on PostgreSQL");
    let pg = std::env::var("ZHIDA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    run_checked(suite().env("ZHIDA_E2E_PG_URL", pg))
}

/// The PostgreSQL server the tests use must answer. When it does not and this machine has a
/// stopped cluster, start it; otherwise fail with what to do.
fn ensure_postgres() -> anyhow::Result<()> {
    let url = std::env::var("ZHIDA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let address = host_port(&url).with_context(|| format!("reading the host and port of {url}"))?;
    if reachable(&address) {
        return Ok(());
    }
    let clusters = Path::new("/etc/postgresql");
    if address.starts_with("127.0.0.1:") || address.starts_with("localhost:") {
        if let Some(version) = std::fs::read_dir(clusters)
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| e.ok())
        {
            let version = version.file_name().to_string_lossy().into_owned();
            eprintln!("PostgreSQL is not answering at {address}; starting cluster {version}/main");
            let _ = run_checked(Command::new("pg_ctlcluster").args([
                "--skip-systemctl-redirect",
                &version,
                "main",
                "start",
            ]));
            for _ in 0..20 {
                if reachable(&address) {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
    bail!(
        "PostgreSQL is not reachable at {address}: the PostgreSQL server tests cannot run. Start PostgreSQL \
         (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or point ZHIDA_TEST_PG_URL at one"
    )
}

fn host_port(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    Some(if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    })
}

fn reachable(address: &str) -> bool {
    address
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn reads_host_and_port() {
        assert_eq!(
            host_port("postgres://postgres@127.0.0.1:5432/postgres").unwrap(),
            "127.0.0.1:5432"
        );
        assert_eq!(
            host_port("postgres://u:p@db.internal/zhida?sslmode=disable").unwrap(),
            "db.internal:5432"
        );
        assert_eq!(
            host_port("postgresql://localhost:6543").unwrap(),
            "localhost:6543"
        );
    }
}
