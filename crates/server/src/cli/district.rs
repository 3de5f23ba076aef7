//! `zhida match` and `zhida gen`: the batch contract of POLICIES.md over a data set on disk.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use rules::{Month, Policy};

/// What a match run did, and how long each phase took.
#[derive(Debug, Default)]
pub struct MatchReport {
    pub residents: usize,
    pub enterprises: usize,
    pub grants: usize,
    pub read: Duration,
    pub parse: Duration,
    pub evaluate: Duration,
    pub write: Duration,
}

/// The policies to evaluate: every `*.toml` in `dir`.
pub fn policies(dir: &Path) -> anyhow::Result<Vec<Policy>> {
    Ok(crate::policies::store::read_folder(dir)?
        .into_iter()
        .map(|(p, _)| p)
        .collect())
}

/// Reads and checks a data set's four files into populations, keeping the attributes of `keep`
/// (every attribute without it); with the time reading and checking took.
pub fn read_set(
    data: &Path,
    keep: Option<std::collections::BTreeSet<String>>,
    threads: usize,
) -> anyhow::Result<(dataset::DataSet, Duration, Duration)> {
    let started = Instant::now();
    let read = |name: &str| {
        std::fs::read(data.join(name))
            .with_context(|| format!("reading {}", data.join(name).display()))
    };
    let (residents, enterprises, loans, gas) = std::thread::scope(|s| {
        let r = s.spawn(|| read(dataset::RESIDENTS));
        let e = read(dataset::ENTERPRISES);
        let l = read(dataset::LOAN_INTEREST);
        let g = read(dataset::GAS_USAGE);
        (r.join().expect("the reader thread panicked"), e, l, g)
    });
    let (residents, enterprises, loans, gas) = (residents?, enterprises?, loans?, gas?);
    let reading = started.elapsed();
    let started = Instant::now();
    let files = dataset::Files {
        residents: &residents,
        enterprises: &enterprises,
        loan_interest: &loans,
        gas_usage: &gas,
    };
    let options = dataset::Options { keep, threads };
    let set =
        dataset::load(&files, &options).map_err(|e| anyhow::anyhow!("{}", located(data, &e)))?;
    Ok((set, reading, started.elapsed()))
}

/// `zhida impact`: `policy` against `against` (or nothing) over a data set held in memory, as
/// the impact sandbox runs it, `runs` times: the summary of the last run, and each run's time.
pub fn run_impact(
    data: &Path,
    month: Month,
    policy: &Policy,
    against: Option<&Policy>,
    runs: usize,
) -> anyhow::Result<(rules::impact::Impact, Vec<Duration>, Duration)> {
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    // The warm copy holds every attribute, as the server's does.
    let (set, read, parse) = read_set(data, None, threads)?;
    let population = match policy.subject {
        rules::SubjectKind::Resident => &set.residents,
        rules::SubjectKind::Enterprise => &set.enterprises,
    };
    let ctx = rules::Context::for_month(month);
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        last = Some(rules::impact::impact(
            against, policy, population, &ctx, threads, 20,
        )?);
        times.push(started.elapsed());
    }
    Ok((last.expect("one run at least"), times, read + parse))
}

/// `zhida match --data DIR --month YYYY-MM --out FILE.csv`: one row per eligible (policy,
/// subject) pair, sorted by policy id then subject id. On any error no output file is left.
pub fn run_match(
    data: &Path,
    month: Month,
    out: &Path,
    policies: &[Policy],
    threads: usize,
) -> anyhow::Result<MatchReport> {
    let mut report = MatchReport::default();
    let (set, read, parse) = read_set(data, Some(rules::policy::attributes_of(policies)), threads)?;
    report.read = read;
    report.parse = parse;
    report.residents = set.residents.len();
    report.enterprises = set.enterprises.len();

    let started = Instant::now();
    let ctx = rules::Context::for_month(month);
    let mut rows: Vec<(&str, &str, i64)> = Vec::new();
    for population in [&set.residents, &set.enterprises] {
        let grants = rules::batch::evaluate(policies, population, &ctx, threads)?;
        rows.extend(grants.iter().map(|g| {
            (
                policies[g.policy].id.as_str(),
                population.ids.get(g.row as usize),
                g.amount_fen,
            )
        }));
    }
    rows.sort_unstable_by(|a, b| {
        a.0.as_bytes()
            .cmp(b.0.as_bytes())
            .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
    });
    report.evaluate = started.elapsed();
    report.grants = rows.len();

    let started = Instant::now();
    let mut text = Vec::with_capacity(rows.len() * 32 + 32);
    text.extend_from_slice(b"policy_id,subject_id,amount_fen\n");
    for (policy, subject, amount) in &rows {
        // Ids that need quoting are quoted (RFC 4180), so the output always reads back.
        dataset::csv::write_field(&mut text, policy);
        text.push(b',');
        dataset::csv::write_field(&mut text, subject);
        text.push(b',');
        text.extend_from_slice(amount.to_string().as_bytes());
        text.push(b'\n');
    }
    write_atomically(out, &text)?;
    report.write = started.elapsed();
    Ok(report)
}

/// A data error with the folder in front of its file name.
fn located(dir: &Path, errors: &dataset::DataErrors) -> String {
    let lines: Vec<String> = errors
        .0
        .iter()
        .map(|e| format!("{}/{e}", dir.display()))
        .collect();
    lines.join("\n")
}

/// Writes `bytes` to `path` through a temporary file in the same folder, so that readers see
/// the old file or the whole new one, never part of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .context("the output path names no file")?
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f =
            std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `zhida gen`: writes a synthetic data set into `out`.
pub fn run_gen(params: &dataset::gen::Params, out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let set = dataset::gen::generate(params);
    for (name, bytes) in [
        (dataset::RESIDENTS, &set.residents),
        (dataset::ENTERPRISES, &set.enterprises),
        (dataset::LOAN_INTEREST, &set.loan_interest),
        (dataset::GAS_USAGE, &set.gas_usage),
    ] {
        write_atomically(&out.join(name), bytes)?;
    }
    Ok(())
}

/// The peak resident memory of this process, in KiB, where the system tells it.
pub fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
