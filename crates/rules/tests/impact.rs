//! The impact sandbox's comparison: a raise of the senior allowance's 90–99 tier, over a few
//! residents whose outcome is known.

use api::Date;
use rules::batch::{Column, Population};
use rules::impact::{impact, ChangeKind, GroupBy};
use rules::{load, Catalogue, Context, Month, SubjectKind, Type, Value};

fn senior(raise: bool) -> rules::Policy {
    let mut source =
        std::fs::read_to_string(rules::testing::policies_dir().join("senior-allowance.toml"))
            .unwrap();
    if raise {
        source = source.replace("{ from = 90, fen = 30000 }", "{ from = 90, fen = 35000 }");
        source = source.replace("version = 1", "version = 2");
    }
    load("senior", &source, Catalogue::standard()).unwrap()
}

/// (birth date, district, street) per resident.
fn residents(rows: &[(&str, u32, &str)]) -> Population {
    let mut p = Population::new(SubjectKind::Resident);
    for (i, _) in rows.iter().enumerate() {
        p.ids.push(&format!("R{i:03}"));
    }
    let col = |ty, f: &dyn Fn(&(&str, u32, &str)) -> Value| {
        Column::from_values(ty, &rows.iter().map(f).collect::<Vec<_>>())
    };
    p.columns.insert(
        "birth_date".into(),
        col(Type::Date, &|r| Value::Date(r.0.parse::<Date>().unwrap())),
    );
    p.columns.insert(
        "hukou_district".into(),
        col(Type::Code, &|r| Value::Code(r.1)),
    );
    p.columns.insert(
        "street".into(),
        col(Type::String, &|r| Value::String(r.2.into())),
    );
    p.columns
        .insert("death_date".into(), col(Type::Date, &|_| Value::Null));
    p.columns.insert(
        "disability_grade".into(),
        col(Type::Int, &|_| Value::Int(0)),
    );
    p
}

#[test]
fn a_raise_of_one_tier_changes_exactly_that_tier() {
    let month = Month {
        year: 2027,
        month: 1,
    };
    let ctx = Context::for_month(month);
    let pop = residents(&[
        ("1940-06-01", 440604, "祖庙街道"),   // 86: ¥100 either way
        ("1935-03-01", 440604, "祖庙街道"),   // 91: ¥300 → ¥350
        ("1932-12-01", 440604, "石湾镇街道"), // 94: ¥300 → ¥350
        ("1925-01-01", 440604, "石湾镇街道"), // 102: ¥600 either way
        ("1935-03-01", 440605, "祖庙街道"),   // 91 but not Chancheng: neither
        ("1990-01-01", 440604, "祖庙街道"),   // 37: neither
    ]);
    let before = senior(false);
    let after = senior(true);
    let r = impact(Some(&before), &after, &pop, &ctx, 2, 10).unwrap();
    assert_eq!(r.subjects, 6);
    assert_eq!(r.total.eligible_before, 4);
    assert_eq!(r.total.eligible_after, 4);
    assert_eq!(
        (r.total.newly, r.total.no_longer, r.total.amount_changed),
        (0, 0, 2)
    );
    assert_eq!(r.total.cost_before, 10_000 + 30_000 * 2 + 60_000);
    assert_eq!(r.total.cost_after - r.total.cost_before, 2 * 5_000);
    assert_eq!(r.periods_a_year, 12);
    let streets = &r.groups[&GroupBy::Street];
    assert_eq!(streets["祖庙街道"].amount_changed, 1);
    assert_eq!(
        streets["石湾镇街道"].cost_after - streets["石湾镇街道"].cost_before,
        5_000
    );
    let ages = &r.groups[&GroupBy::AgeBand];
    assert_eq!(ages["90-99"].amount_changed, 2);
    assert!(!ages["80-89"].changes());
    assert_eq!(r.sample.iter().map(|c| c.row).collect::<Vec<_>>(), [1, 2]);
    assert!(r.sample.iter().all(|c| c.kind() == ChangeKind::Amount));
    // The histogram counts everyone eligible afterwards, by amount.
    assert_eq!(r.histogram.iter().map(|b| b.count).sum::<u64>(), 4);
    assert!(r.histogram.iter().all(|b| b.from_fen < b.to_fen));

    // A new policy (nothing in force): everyone eligible is new.
    let fresh = impact(None, &after, &pop, &ctx, 1, 1).unwrap();
    assert_eq!(fresh.total.newly, 4);
    assert_eq!(fresh.sample.len(), 1, "the sample is capped");
}
