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
    let (residents, enterprises, loans, gas) = (
        map_file(&data.join(dataset::RESIDENTS)),
        map_file(&data.join(dataset::ENTERPRISES)),
        map_file(&data.join(dataset::LOAN_INTEREST)),
        map_file(&data.join(dataset::GAS_USAGE)),
    );
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
    // Each policy's grants, in the order of the subjects' ids, with the ids and whether they
    // need no quoting (as generated ones: then they are copied as they are).
    let mut lists: Vec<(&rules::batch::Ids, bool, Vec<rules::batch::Grant>)> = Vec::new();
    lists.resize_with(policies.len(), || (&set.residents.ids, true, Vec::new()));
    for (population, in_order) in [
        (&set.residents, set.residents_in_order),
        (&set.enterprises, set.enterprises_in_order),
    ] {
        let ids = &population.ids;
        let plain = memchr::memchr3(b',', b'"', b'\n', ids.bytes.as_bytes()).is_none()
            && memchr::memchr(b'\r', ids.bytes.as_bytes()).is_none();
        let grouped = rules::batch::by_policy(policies, population, &ctx, threads)?;
        for (i, mut grants) in grouped.into_iter().enumerate() {
            if grants.is_empty() {
                continue;
            }
            if !in_order {
                grants.sort_unstable_by(|a, b| {
                    ids.get(a.row as usize)
                        .as_bytes()
                        .cmp(ids.get(b.row as usize).as_bytes())
                });
            }
            lists[i] = (ids, plain, grants);
        }
    }
    let mut order: Vec<usize> = (0..policies.len()).collect();
    order.sort_by(|&a, &b| policies[a].id.as_bytes().cmp(policies[b].id.as_bytes()));
    report.evaluate = started.elapsed();
    report.grants = lists.iter().map(|(_, _, g)| g.len()).sum();

    let started = Instant::now();
    // The rows of some policies, in order.
    let format = |some: &[usize]| {
        let rows: usize = some.iter().map(|&i| lists[i].2.len()).sum();
        let mut text = Vec::with_capacity(rows * 32);
        for &i in some {
            let (ids, plain, grants) = &lists[i];
            // Ids and policy ids that need quoting are quoted (RFC 4180), so the output always
            // reads back.
            let mut policy = Vec::new();
            dataset::csv::write_field(&mut policy, &policies[i].id);
            for g in grants {
                text.extend_from_slice(&policy);
                text.push(b',');
                if *plain {
                    text.extend_from_slice(ids.get(g.row as usize).as_bytes());
                } else {
                    dataset::csv::write_field(&mut text, ids.get(g.row as usize));
                }
                text.push(b',');
                text.extend_from_slice(itoa::Buffer::new().format(g.amount_fen).as_bytes());
                text.push(b'\n');
            }
        }
        text
    };
    // Two halves of about as many rows, written out side by side.
    let mut rows = 0;
    let split = order
        .iter()
        .position(|&i| {
            rows += lists[i].2.len();
            rows * 2 >= report.grants
        })
        .map_or(order.len(), |p| p + 1);
    let (first, second) = order.split_at(split);
    let (first, second) = std::thread::scope(|s| {
        let second = s.spawn(|| format(second));
        (
            format(first),
            second.join().expect("the writer thread panicked"),
        )
    });
    write_parts_atomically(
        out,
        &[b"policy_id,subject_id,amount_fen\n", &first, &second],
    )?;
    report.write = started.elapsed();
    // `zhida match` ends here: the system takes back the data set's memory at once, faster
    // than freeing it piece by piece.
    drop(lists);
    std::mem::forget(set);
    Ok(report)
}

/// A file's bytes: mapped from the system's file cache (nothing is copied, and the readers'
/// threads bring its pages in side by side), or read when it is empty.
enum FileBytes {
    Mapped(memmap2::Mmap),
    Empty,
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(map) => map,
            FileBytes::Empty => &[],
        }
    }
}

fn map_file(path: &Path) -> anyhow::Result<FileBytes> {
    let context = || format!("reading {}", path.display());
    let file = std::fs::File::open(path).with_context(context)?;
    if file.metadata().with_context(context)?.len() == 0 {
        return Ok(FileBytes::Empty);
    }
    // SAFETY: the data folder is an export that nothing should write to while it is matched.
    // Every byte read is checked as CSV, so a file
    // changed meanwhile is refused or read as it then was; one cut short meanwhile stops the
    // process (SIGBUS) before anything is written, and no output file is left.
    let map = unsafe { memmap2::Mmap::map(&file) }.with_context(context)?;
    Ok(FileBytes::Mapped(map))
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
    write_parts_atomically(path, &[bytes])
}

/// As [`write_atomically`], the file being `parts` one after another.
fn write_parts_atomically(path: &Path, parts: &[&[u8]]) -> anyhow::Result<()> {
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
        for part in parts {
            f.write_all(part)?;
        }
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
