//! Crashes: the real server is killed (SIGKILL) at random moments while it runs a month over a
//! district and sends its payments, then restarted, again and again. At the end every eligible
//! grant must have been paid exactly once, checked against an independent computation
//! (`zhida match` over the same files).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::fake_treasury;

fn zhida() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zhida"));
    // Where `policies/` is, as for a person who runs it from the repository.
    command.current_dir(rules::testing::policies_dir().join(".."));
    command
}

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A small deterministic generator for the kill moments (the seed is printed to rerun one).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn serve(db: &str, treasury: &str, dir: &Path) -> std::process::Child {
    zhida()
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", db])
        .args(["--data-key", common::TEST_KEY, "--treasury-url", treasury])
        .args(["--licence-key", common::TEST_LICENCE_KEY])
        .arg("--static-dir")
        .arg(dir.join("no-app"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn settled(db: &server::platform::db::Db, month: &str) -> bool {
    let finished: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM monthly_runs WHERE month = $1 AND finished_at IS NOT NULL",
    )
    .bind(month)
    .fetch_one(&db.pool)
    .await
    .unwrap_or(0);
    let marker = db
        .meta(server::subsidies::matching::IMPORTED_KEY)
        .await
        .ok()
        .flatten();
    let unpaid: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM payments WHERE status IN ('queued', 'instructed')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap_or(1);
    finished == 1 && marker.is_none() && unpaid == 0
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn killed_at_random_moments_it_pays_every_eligible_grant_exactly_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("z.sqlite").display());
        super::killed_at_random_moments(&url, dir.path()).await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn killed_at_random_moments_it_pays_every_eligible_grant_exactly_once() {
        let dir = tempfile::tempdir().unwrap();
        // A database of its own, dropped with `app`.
        let app = crate::common::TestApp::postgres().await;
        super::killed_at_random_moments(&app.db.url, dir.path()).await;
    }
}

async fn killed_at_random_moments(db_url: &str, scratch: &Path) {
    let dir = scratch;
    let data = dir.join("data");
    let month = server::subsidies::matching::current_month().to_string();
    ok(zhida()
        .args(["gen", "--residents", "60000", "--enterprises", "8000"])
        .args(["--month", &month, "--seed", "11", "--out"])
        .arg(&data)
        .output()
        .unwrap());
    ok(zhida()
        .args(["import", "--database-url", db_url, "--data"])
        .arg(&data)
        .output()
        .unwrap());
    let (treasury, fake) = fake_treasury::start().await;
    fake.pay_at_once
        .store(true, std::sync::atomic::Ordering::SeqCst);

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill moments from seed {seed}");
    let mut rng = Lcg(seed);
    let db = server::platform::db::Db::connect(db_url).await.unwrap();
    db.migrate().await.unwrap();
    let mut kills = 0;
    for _ in 0..12 {
        if settled(&db, &month).await {
            break;
        }
        let mut child = serve(db_url, &treasury, dir);
        tokio::time::sleep(Duration::from_millis(200 + rng.next(1500))).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
    }
    // The last start runs to the end.
    let mut child = serve(db_url, &treasury, dir);
    let started = Instant::now();
    while !settled(&db, &month).await {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the server did not finish the month and its payments"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    eprintln!("killed {kills} times");

    // The independent computation: the batch command over the same files, for the policies
    // paid without any action (consent and application policies wait for the subject).
    let expected_csv = dir.join("expected.csv");
    ok(zhida()
        .args(["match", "--month", &month, "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&expected_csv)
        .output()
        .unwrap());
    let automatic: BTreeSet<String> = rules::reference_policies()
        .into_iter()
        .filter(|p| p.mode == rules::policy::Mode::Automatic)
        .map(|p| p.id)
        .collect();
    let expected: BTreeMap<(String, String), i64> = std::fs::read_to_string(&expected_csv)
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            automatic
                .contains(f[0])
                .then(|| ((f[0].to_owned(), f[1].to_owned()), f[2].parse().unwrap()))
        })
        .collect();
    assert!(
        expected.len() > 500,
        "a district's worth: {}",
        expected.len()
    );

    let entries = fake.entries.lock().unwrap().clone();
    let mut paid: BTreeMap<(String, String), i64> = BTreeMap::new();
    for e in entries.values() {
        assert!(e.paid);
        let previous = paid.insert((e.policy.clone(), e.payee.clone()), e.amount_fen);
        assert!(
            previous.is_none(),
            "{} paid twice to {} (under two keys)",
            e.policy,
            e.payee
        );
    }
    assert!(fake.conflicts.lock().unwrap().is_empty());
    let missing: Vec<_> = expected
        .iter()
        .filter(|(k, v)| paid.get(*k) != Some(*v))
        .take(5)
        .collect();
    assert!(
        missing.is_empty(),
        "not paid (or paid another amount): {missing:?}"
    );
    let extra: Vec<_> = paid
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .take(5)
        .collect();
    assert!(extra.is_empty(), "paid without being eligible: {extra:?}");
    let resent = entries.values().filter(|e| e.sends > 1).count();
    eprintln!(
        "{} grants paid exactly once; {resent} instructions were sent again after a crash and paid once",
        paid.len()
    );
}
