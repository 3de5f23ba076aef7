//! `zhida match` and `zhida gen` as a person runs them: real files, the real binary.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn zhida() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zhida"));
    // Where `policies/` is, as for a person who runs it from the repository.
    command.current_dir(rules::testing::policies_dir().join(".."));
    command
}

fn gen(dir: &Path, residents: usize, enterprises: usize, seed: u64) {
    let status = zhida()
        .args([
            "gen",
            "--residents",
            &residents.to_string(),
            "--enterprises",
            &enterprises.to_string(),
        ])
        .args(["--month", "2026-03", "--seed", &seed.to_string(), "--out"])
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
}

fn run_match(data: &Path, out: &Path) -> std::process::Output {
    zhida()
        .args(["match", "--month", "2026-03", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn match_writes_exactly_the_one_by_one_results_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    gen(&data, 3000, 800, 42);
    let out = dir.path().join("grants.csv");
    let result = run_match(&data, &out);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains('\r'));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("policy_id,subject_id,amount_fen"));
    let rows: Vec<(String, String, i64)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[1].to_owned(), f[2].parse().unwrap())
        })
        .collect();
    let mut sorted = rows.clone();
    sorted.sort_by(|a, b| {
        a.0.as_bytes()
            .cmp(b.0.as_bytes())
            .then(a.1.as_bytes().cmp(b.1.as_bytes()))
    });
    assert_eq!(rows, sorted, "sorted by policy id, then subject id");

    // The same data, evaluated subject by subject with the one-subject engine.
    let read = |name: &str| std::fs::read(data.join(name)).unwrap();
    let (r, e, l, g) = (
        read("residents.csv"),
        read("enterprises.csv"),
        read("loan_interest.csv"),
        read("gas_usage.csv"),
    );
    let files = dataset::Files {
        residents: &r,
        enterprises: &e,
        loan_interest: &l,
        gas_usage: &g,
    };
    let set = dataset::load(&files, &dataset::Options::default()).unwrap();
    let ctx = rules::Context::for_month("2026-03".parse().unwrap());
    let mut expected = BTreeMap::new();
    for policy in rules::reference_policies() {
        let population = if policy.subject == rules::SubjectKind::Resident {
            &set.residents
        } else {
            &set.enterprises
        };
        for row in 0..population.len() {
            let subject = population.subject(row);
            if let Some(fen) = rules::eval::decide(&policy, &subject, &ctx).unwrap() {
                expected.insert((policy.id.clone(), subject.id.clone()), fen);
            }
        }
    }
    let got: BTreeMap<(String, String), i64> =
        rows.into_iter().map(|(p, s, a)| ((p, s), a)).collect();
    assert_eq!(got, expected);
    // Each of the seven policies of POLICIES.md pays someone in a generated set (the generator
    // builds their hard cases; the later sample policies read attributes the files do not carry).
    for policy in [
        "senior-allowance",
        "disability-living",
        "disability-nursing",
        "digital-loan-interest",
        "gas-subsidy",
        "small-to-large",
        "hitech-rd",
    ] {
        assert!(
            got.keys().any(|(p, _)| p == policy),
            "nobody qualifies for {policy}"
        );
    }
}

#[test]
fn gen_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    gen(&dir.path().join("a"), 500, 100, 9);
    gen(&dir.path().join("b"), 500, 100, 9);
    for name in [
        "residents.csv",
        "enterprises.csv",
        "loan_interest.csv",
        "gas_usage.csv",
    ] {
        assert_eq!(
            std::fs::read(dir.path().join("a").join(name)).unwrap(),
            std::fs::read(dir.path().join("b").join(name)).unwrap(),
            "{name}"
        );
    }
}

/// Breaks one file of a good data set, runs match, and returns its error message.
fn failure(file: &str, from: &str, to: &str) -> String {
    failure_with(file, |text| {
        assert!(text.contains(from), "{from:?} not in {file}");
        text.replacen(from, to, 1)
    })
}

fn failure_with(file: &str, change: impl FnOnce(&str) -> String) -> String {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    gen(&data, 300, 100, 3);
    let path = data.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, change(&text)).unwrap();
    let out = dir.path().join("out").join("grants.csv");
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let result = run_match(&data, &out);
    assert!(!result.status.success(), "match should fail");
    assert!(!out.exists(), "no output file is left");
    assert_eq!(
        std::fs::read_dir(dir.path().join("out")).unwrap().count(),
        0,
        "no temporary file is left"
    );
    String::from_utf8(result.stderr).unwrap()
}

#[test]
fn a_bad_date_names_file_line_and_column() {
    let e = failure_with("residents.csv", |text| {
        let line = text.lines().nth(2).unwrap();
        let date = line.split(',').nth(1).unwrap();
        text.replacen(line, &line.replacen(date, "1999-02-30", 1), 1)
    });
    assert!(
        e.contains("residents.csv:3: column 2 (birth_date): \"1999-02-30\" is not a date"),
        "{e}"
    );
}

#[test]
fn non_numeric_money_is_refused() {
    let e = failure("loan_interest.csv", "数字贷,", "数字贷,12.50");
    assert!(
        e.contains("loan_interest.csv:")
            && e.contains("column 4 (interest_fen)")
            && e.contains("is not money in whole fen"),
        "{e}"
    );
}

#[test]
fn a_missing_column_is_refused() {
    let e = failure("enterprises.csv", ",rd_expense_y1", "");
    assert!(
        e.contains("enterprises.csv:1: missing column `rd_expense_y1`"),
        "{e}"
    );
}

#[test]
fn a_duplicate_id_is_refused() {
    let e = failure("residents.csv", "R00000003,", "R00000002,");
    assert!(
        e.contains(
            "residents.csv:4: column 1 (resident_id): duplicate id \"R00000002\" (also on line 3)"
        ),
        "{e}"
    );
}

#[test]
fn a_wrong_uscc_check_character_is_refused() {
    let text = {
        let dir = tempfile::tempdir().unwrap();
        gen(dir.path(), 300, 100, 3);
        std::fs::read_to_string(dir.path().join("enterprises.csv")).unwrap()
    };
    // The first enterprise's USCC, with its check character changed.
    let uscc = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .to_owned();
    let last = uscc.chars().last().unwrap();
    let wrong = format!("{}{}", &uscc[..17], if last == '0' { '1' } else { '0' });
    let e = failure("enterprises.csv", &uscc, &wrong);
    assert!(
        e.contains("enterprises.csv:2: column 2 (uscc)") && e.contains("check character"),
        "{e}"
    );
}

#[test]
fn a_malformed_policy_file_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    gen(&data, 50, 20, 1);
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    let good = include_str!("../../../policies/senior-allowance.toml");
    std::fs::write(
        policies.join("senior.toml"),
        good.replace("age(birth_date) >= 80", "age(birth_day) >= 80"),
    )
    .unwrap();
    let out = dir.path().join("grants.csv");
    let result = zhida()
        .args(["match", "--month", "2026-03", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .arg("--policies")
        .arg(&policies)
        .output()
        .unwrap();
    assert!(!result.status.success());
    let e = String::from_utf8(result.stderr).unwrap();
    assert!(
        e.contains("senior.toml:31:13: criteria[2].test: unknown attribute `birth_day`"),
        "{e}"
    );
    assert!(!out.exists());
}

#[test]
fn a_bad_month_is_refused() {
    let result = zhida()
        .args([
            "match", "--month", "2026-13", "--data", ".", "--out", "x.csv",
        ])
        .output()
        .unwrap();
    assert!(!result.status.success());
    assert!(String::from_utf8_lossy(&result.stderr).contains("is not a month"));
}

fn import(data: &Path, db: &str) -> std::process::Output {
    zhida()
        .args(["import", "--database-url", db, "--data"])
        .arg(data)
        .output()
        .unwrap()
}

fn sqlite_count(db: &str, table: &str) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = server::platform::db::Db::connect(db).await.unwrap();
        db.migrate().await.unwrap();
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&db.pool)
            .await
            .unwrap()
    })
}

#[test]
fn an_import_with_bad_rows_applies_nothing_and_names_every_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    gen(&data, 2000, 300, 7);
    let db = format!("sqlite://{}", dir.path().join("z.sqlite").display());
    // Two bad rows: a date that does not exist, a disability grade out of range.
    let path = data.join("residents.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut f: Vec<String> = lines[5].split(',').map(str::to_owned).collect();
    f[1] = "1950-02-30".into();
    lines[5] = f.join(",");
    let mut f: Vec<String> = lines[9].split(',').map(str::to_owned).collect();
    f[5] = "9".into();
    lines[9] = f.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let out = import(&data, &db);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing was written"), "{err}");
    assert!(
        err.contains("residents.csv:6: column 2 (birth_date)"),
        "{err}"
    );
    assert!(
        err.contains("residents.csv:10: column 6 (disability_grade)"),
        "{err}"
    );
    assert_eq!(sqlite_count(&db, "subjects"), 0);
    assert_eq!(sqlite_count(&db, "feed_batches"), 0);

    // Fixed, it imports whole; the same data set again changes nothing.
    std::fs::write(&path, text).unwrap();
    let out = import(&data, &db);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sqlite_count(&db, "subjects"), 2300);
    let changes = sqlite_count(&db, "subject_changes");
    let again = import(&data, &db);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("0 subjects changed"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert_eq!(sqlite_count(&db, "subject_changes"), changes);
}
