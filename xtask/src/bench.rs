//! `cargo xtask bench rules`: times `zhida match` end to end, CSV in to CSV out, over a
//! generated district (1,400,000 residents and 200,000 enterprises), as the issue sets it.
//! `cargo xtask bench monthly`: that district imported into SQLite, then one monthly run.
//! `cargo xtask bench sandbox`: the impact sandbox over that district held in memory (as the
//! server keeps it warm): the senior allowance's 90–99 tier raised, against the version in force.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::build::{self, target_dir};
use crate::run_checked;

const RESIDENTS: usize = 1_400_000;
const ENTERPRISES: usize = 200_000;
const MONTH: &str = "2026-03";
const SEED: u64 = 1;
const RUNS: usize = 7;

pub fn run(args: &[String]) -> anyhow::Result<()> {
    match args.first().map(String::as_str) {
        Some("rules") | None => rules(),
        Some("monthly") => monthly(),
        Some("sandbox") => sandbox(),
        Some("events") => live("event_to_screen", None),
        Some("home") => {
            let db = target_dir().join("bench-monthly.sqlite");
            if !db.exists() {
                monthly()?;
            }
            live(
                "home_under_load",
                Some(format!("sqlite://{}", db.display())),
            )
        }
        Some("verify") => live("verify_under_load", None),
        Some("tracking") => tracking(),
        Some(other) => {
            bail!("unknown benchmark {other:?}: the benchmarks are: rules, sandbox, monthly, events, home, verify, tracking")
        }
    }
}

/// `cargo xtask bench monthly`: the district imported into a fresh SQLite database, then the
/// monthly run over it (grants written, payment instructions and notifications queued).
fn monthly() -> anyhow::Result<()> {
    let zhida = build::server("server", false)?;
    let data = district(&zhida)?;
    let db_file = target_dir().join("bench-monthly.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db_file.display()));
    }
    let db = format!("sqlite://{}", db_file.display());
    let started = Instant::now();
    run_checked(
        Command::new(&zhida)
            .args(["import", "--database-url", &db, "--data"])
            .arg(&data),
    )?;
    let import = started.elapsed();
    let started = Instant::now();
    run_checked(Command::new(&zhida).args(["run-month", "--month", MONTH, "--database-url", &db]))?;
    let run = started.elapsed();
    println!(
        "bench monthly: {RESIDENTS} residents + {ENTERPRISES} enterprises in SQLite; import {:.1} s; monthly run {:.1} s (target ≤ 30 s)",
        import.as_secs_f64(),
        run.as_secs_f64()
    );
    Ok(())
}

fn sandbox() -> anyhow::Result<()> {
    let zhida = build::server("server", false)?;
    let data = district(&zhida)?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let in_force = root.join("policies/senior-allowance.toml");
    let source = std::fs::read_to_string(&in_force)?;
    let raised = source
        .replace("{ from = 90, fen = 30000 }", "{ from = 90, fen = 35000 }")
        .replace("version = 1", "version = 2");
    anyhow::ensure!(
        raised != source,
        "the senior allowance's tiers changed: update the bench"
    );
    let draft = target_dir().join("bench-senior-allowance-v2.toml");
    std::fs::write(&draft, raised)?;
    let out = Command::new(&zhida)
        .args([
            "impact",
            "--month",
            MONTH,
            "--runs",
            &RUNS.to_string(),
            "--data",
        ])
        .arg(&data)
        .arg("--policy")
        .arg(&draft)
        .arg("--against")
        .arg(&in_force)
        .output()
        .context("running zhida impact")?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    anyhow::ensure!(
        out.status.success(),
        "zhida impact failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs: Vec<f64> = stdout
        .split("each run over it (ms): ")
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    let median = median_of(runs.clone());
    println!(
        "impact sandbox, {RESIDENTS} residents + {ENTERPRISES} enterprises in memory, {RUNS} runs:"
    );
    for line in stdout.lines() {
        println!("  {line}");
    }
    println!(
        "  median {median:.0} ms (target ≤ 2000 ms: {})",
        if median <= 2000.0 { "met" } else { "NOT met" }
    );
    Ok(())
}

/// A benchmark of the live paths (`crates/server/tests/bench_live.rs`), built like the server
/// that `cargo xtask run` starts, over HTTP on loopback; it prints its percentiles.
fn live(test: &str, database: Option<String>) -> anyhow::Result<()> {
    let mut c = Command::new("cargo");
    c.args([
        "test",
        "--profile",
        "server",
        "-p",
        "server",
        "--test",
        "bench_live",
        "--",
        "--ignored",
        "--nocapture",
        test,
    ]);
    if let Some(db) = database {
        c.env("ZHIDA_BENCH_DB", db);
    }
    run_checked(&mut c)
}

/// The generated district of the benchmarks (kept between runs).
fn district(zhida: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let data = target_dir().join("bench-data");
    let marker = data.join("params.txt");
    let params =
        format!("residents={RESIDENTS} enterprises={ENTERPRISES} month={MONTH} seed={SEED}\n");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(params.as_str()) {
        eprintln!(
            "generating {RESIDENTS} residents and {ENTERPRISES} enterprises into {}",
            data.display()
        );
        run_checked(
            Command::new(zhida)
                .args([
                    "gen",
                    "--residents",
                    &RESIDENTS.to_string(),
                    "--enterprises",
                    &ENTERPRISES.to_string(),
                ])
                .args(["--month", MONTH, "--seed", &SEED.to_string(), "--out"])
                .arg(&data),
        )?;
        std::fs::write(&marker, &params)?;
    }
    Ok(data)
}

fn rules() -> anyhow::Result<()> {
    let zhida = build::server("server", false)?;
    let data = district(&zhida)?;
    let bytes: u64 = std::fs::read_dir(&data)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    let out = target_dir().join("bench-grants.csv");
    let mut walls = Vec::new();
    let mut phases = Vec::new();
    // One run to warm the page cache, then the measured runs.
    for run in 0..=RUNS {
        let started = Instant::now();
        let result = Command::new(&zhida)
            .args(["match", "--month", MONTH, "--timings", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(&out)
            .output()
            .context("running zhida match")?;
        let wall = started.elapsed();
        let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
        anyhow::ensure!(result.status.success(), "zhida match failed: {stderr}");
        if run > 0 {
            walls.push(wall);
            phases.push(stderr.trim().to_owned());
        }
    }
    walls.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = walls[walls.len() / 2];
    let evaluate: Vec<f64> = phases
        .iter()
        .filter_map(|p| phase(p, "evaluate "))
        .collect();
    let parse: Vec<f64> = phases.iter().filter_map(|p| phase(p, "parse ")).collect();
    let memory = phases
        .last()
        .and_then(|p| p.split("peak memory ").nth(1))
        .unwrap_or("?");
    println!("zhida match, {RESIDENTS} residents + {ENTERPRISES} enterprises ({:.0} MB of CSV), {RUNS} runs after a warm-up:", bytes as f64 / 1e6);
    println!(
        "  wall (CSV in to CSV out): median {:.0} ms, best {:.0} ms, worst {:.0} ms",
        ms(median),
        ms(walls[0]),
        ms(walls[walls.len() - 1])
    );
    println!(
        "  engine only (data in memory: evaluate and sort): median {:.0} ms",
        median_of(evaluate)
    );
    println!(
        "  reading and checking the CSV: median {:.0} ms",
        median_of(parse)
    );
    println!("  peak memory: {memory}");
    println!("  last run: {}", phases.last().map_or("", String::as_str));
    println!(
        "  target: under 300 ms wall: {}",
        if median <= Duration::from_millis(300) {
            "met"
        } else {
            "NOT met"
        }
    );
    Ok(())
}

/// The milliseconds after `label` in a `--timings` line.
fn phase(line: &str, label: &str) -> Option<f64> {
    line.split(label)
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn median_of(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `cargo xtask bench tracking`: Lighthouse's mobile profile (simulated slow 4G, 4× slower
/// CPU) on the public tracking page `/track`, served by the release build in demo mode; three
/// runs, the median performance score (target ≥ 95). Lighthouse is fetched by `npx`.
fn tracking() -> anyhow::Result<()> {
    use std::io::{BufRead, BufReader};
    let zhida = build::all()?;
    let dir = target_dir().join("bench-lighthouse");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut server = Command::new(&zhida)
        // A fixed port: Chromium refuses some ports a free-port pick could land on.
        .args([
            "serve",
            "--listen",
            "127.0.0.1:8391",
            "--demo",
            "--static-dir",
        ])
        .arg(crate::root().join("dist"))
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.join("zhida.sqlite").display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting the server")?;
    let stdout = server.stdout.take().context("the server's output")?;
    let mut url = None;
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line?;
        if let Some(rest) = line.split("is running at ").nth(1) {
            url = Some(rest.trim().trim_end_matches('/').to_owned());
            break;
        }
    }
    // Keep reading what the server prints, so that its writes never meet a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let result = (|| {
        let url = url.context("the server did not start")?;
        let mut scores = Vec::new();
        for run in 0..3 {
            let report = dir.join(format!("track-{run}.json"));
            run_checked(
                Command::new("npx")
                    .args(["--yes", "lighthouse@12"])
                    .arg(format!("{url}/track"))
                    .args([
                        "--form-factor=mobile",
                        "--only-categories=performance",
                        "--chrome-flags=--headless=new --no-sandbox",
                        "--output=json",
                        "--quiet",
                    ])
                    .arg(format!("--output-path={}", report.display()))
                    .env("CHROME_PATH", crate::setup::CHROMIUM)
                    .env("PATH", crate::path_with_node_bin()),
            )?;
            let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report)?)?;
            let score = json["categories"]["performance"]["score"]
                .as_f64()
                .context("a score")?
                * 100.0;
            let audit = |k: &str| {
                json["audits"][k]["displayValue"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned()
            };
            println!(
                "lighthouse run {}: score {score:.0}; FCP {}, LCP {}, TBT {}, CLS {}",
                run + 1,
                audit("first-contentful-paint"),
                audit("largest-contentful-paint"),
                audit("total-blocking-time"),
                audit("cumulative-layout-shift")
            );
            scores.push(score);
        }
        println!(
            "bench tracking: Lighthouse mobile performance of /track, median of 3: {:.0} (target ≥ 95)",
            median_of(scores)
        );
        Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    result
}
