//! Demo data for `zhida serve --demo` (`ZHIDA_DEMO=1`): seeded once, into an empty database,
//! and listed in the README.

use api::Mobile;

use crate::platform::db::{format_utc, now};
use crate::AppState;

const SEEDED_KEY: &str = "demo_seeded_at";

/// The staff password of every demo staff account.
pub const STAFF_PASSWORD: &str = "zhida-demo-2026";

/// A demo person: phone, name, birth date (for the ID number), what they show.
struct DemoPerson {
    phone: &'static str,
    name: &'static str,
    id_first17: &'static str,
    resident_ref: Option<&'static str>,
}

const PEOPLE: [DemoPerson; 6] = [
    DemoPerson {
        phone: "13800000001",
        name: "陈伯（85 岁居民）",
        id_first17: "44060419410315123",
        resident_ref: Some("DEMO-R1"),
    },
    DemoPerson {
        phone: "13800000002",
        name: "李姨（一级残疾居民）",
        id_first17: "44060419700620224",
        resident_ref: Some("DEMO-R2"),
    },
    DemoPerson {
        phone: "13800000003",
        name: "黄总（制造企业法定代表人）",
        id_first17: "44060419751108315",
        resident_ref: None,
    },
    DemoPerson {
        phone: "13800000004",
        name: "何生（制造企业经办人）",
        id_first17: "44060419880402416",
        resident_ref: None,
    },
    DemoPerson {
        phone: "13800000005",
        name: "梁老板（药店经营者）",
        id_first17: "44060419820915527",
        resident_ref: None,
    },
    DemoPerson {
        phone: "13800000006",
        name: "周奶奶（93 岁居民）",
        id_first17: "44060419330809226",
        resident_ref: Some("DEMO-R3"),
    },
];

/// (username, display name, department, permissions)
const STAFF: [(&str, &str, &str, &str); 4] = [
    (
        "reviewer",
        "张审批（许可审查员）",
        "禅城区行政服务中心",
        "licence_review",
    ),
    (
        "policyadmin",
        "王政策（政策管理员）",
        "禅城区发展和改革局",
        "policy_admin",
    ),
    (
        "approver",
        "赵审定（政策审批人）",
        "禅城区发展和改革局",
        "policy_approve",
    ),
    (
        "claimreviewer",
        "钱审核（补贴申报审核员）",
        "禅城区经济和科技促进局",
        "subsidy_review",
    ),
];

/// The demo sign-ins, printed at start-up by `zhida serve --demo`.
pub fn logins() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = PEOPLE
        .iter()
        .map(|p| {
            (
                p.name.to_owned(),
                format!("phone {} + the SMS code shown on the login form", p.phone),
            )
        })
        .collect();
    for (username, name, _, _) in STAFF {
        out.push((name.to_owned(), format!("staff login {username} / {STAFF_PASSWORD} + the authenticator code shown on the form")));
    }
    out
}

/// Seeds the demo data when this database has never been seeded. Returns whether it seeded.
pub async fn seed_if_empty(state: &AppState) -> anyhow::Result<bool> {
    let db = &state.db;
    if db.meta(SEEDED_KEY).await?.is_some() {
        return Ok(false);
    }
    let stamp = format_utc(now());
    let mut tx = db.begin().await?;
    let mut user_ids = Vec::new();
    for p in &PEOPLE {
        let phone = Mobile::parse(p.phone)?;
        let id_number = format!(
            "{}{}",
            p.id_first17,
            api::validate::id_check_character(p.id_first17).expect("17 digits")
        );
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (phone_enc, phone_hash, name, id_number_enc, id_number_hash, resident_ref, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(state.vault.encrypt(phone.expose()))
        .bind(state.vault.lookup_hash("phone", phone.expose()))
        .bind(p.name)
        .bind(state.vault.encrypt(&id_number))
        .bind(state.vault.lookup_hash("id_number", &id_number))
        .bind(p.resident_ref)
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        user_ids.push(id);
    }
    let enterprise = |uscc17: &str| {
        format!(
            "{uscc17}{}",
            api::validate::uscc_check_character(uscc17).expect("17 valid characters")
        )
    };
    let manufacturer: i64 = sqlx::query_scalar(
        "INSERT INTO enterprises (uscc, name, legal_rep_user_id, enterprise_ref, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(enterprise("91440604MA4UHL001"))
    .bind("佛山市恒立电气自动化有限公司")
    .bind(user_ids[2])
    .bind("DEMO-E1")
    .bind(&stamp)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO enterprises (uscc, name, legal_rep_user_id, enterprise_ref, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(enterprise("92440604MA4UKN002"))
        .bind("佛山市禅城区康宁大药房")
        .bind(user_ids[4])
        .bind("DEMO-E2")
        .bind(&stamp)
        .execute(&mut *tx)
        .await?;
    // The manufacturer's agent may handle subsidies (not licences) for a year.
    let expires = api::Date::from_days_since_epoch(
        crate::platform::db::today_shanghai().days_since_epoch() + 365,
    );
    sqlx::query(
        "INSERT INTO enterprise_agents (enterprise_id, user_id, scope_subsidies, scope_licences, expires_at, created_at) VALUES ($1, $2, 1, 0, $3, $4)",
    )
    .bind(manufacturer)
    .bind(user_ids[3])
    .bind(expires.to_string())
    .bind(&stamp)
    .execute(&mut *tx)
    .await?;
    for (username, name, department, permissions) in STAFF {
        // Demo staff share a known TOTP secret so the form can show the current code.
        let secret = format!("zhida-demo-totp-{username}");
        sqlx::query(
            "INSERT INTO staff (username, display_name, department, permissions, password_hash, totp_secret_enc, created_at, enrolled_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(username)
        .bind(name)
        .bind(department)
        .bind(permissions)
        .bind(crate::accounts::login::hash_password(STAFF_PASSWORD))
        .bind(state.vault.encrypt(&secret))
        .bind(&stamp)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    let applied = crate::data::store::apply(
        db,
        None,
        crate::data::store::Source::Demo,
        &department_data(),
    )
    .await?
    .map_err(|p| anyhow::anyhow!("the demo data does not apply: {p:?}"))?;
    db.set_meta(SEEDED_KEY, &stamp).await?;
    crate::subsidies::matching::after_change(state, &applied.changed).await;
    Ok(true)
}

/// What the departments know of the demo people and enterprises: the 85-year-old gets the
/// senior allowance, as do four older residents without accounts in three streets (two aged
/// 90–99, one over 100: what the impact sandbox shows a change of a tier on); the disabled resident (grade 1, dibao) both disability subsidies; the
/// manufacturer the loan-interest subsidy, the gas subsidy (after one click), the
/// small-to-large award and an R&D grant to apply for (秒报秒批).
pub fn department_data() -> crate::data::store::Delivery {
    use rules::{Month, SubjectKind, Value};
    let date = |s: &str| Value::Date(s.parse().expect("a valid demo date"));
    let text = |s: &str| Value::String(s.to_owned());
    let resident_in =
        |street: &str, id: &str, birth: &str, grade: i64, dibao: bool| crate::data::store::Record {
            kind: SubjectKind::Resident,
            id: id.to_owned(),
            attributes: vec![
                ("birth_date".into(), date(birth)),
                ("hukou_district".into(), Value::Code(440604)),
                ("street".into(), text(street)),
                ("disability_grade".into(), Value::Int(grade)),
                ("dibao".into(), Value::Bool(dibao)),
            ],
            identity: Default::default(),
        };
    let resident = |id: &str, birth: &str, grade: i64, dibao: bool| {
        resident_in("祖庙街道", id, birth, grade, dibao)
    };
    let month = Month::of(crate::platform::db::today_shanghai());
    crate::data::store::Delivery {
        records: vec![
            resident("DEMO-R1", "1941-03-15", 0, false),
            resident("DEMO-R2", "1970-06-20", 1, true),
            resident_in("石湾镇街道", "DEMO-R3", "1933-08-09", 0, false),
            resident_in("张槎街道", "DEMO-R4", "1929-02-11", 0, false),
            resident_in("石湾镇街道", "DEMO-R5", "1924-05-30", 0, false),
            resident_in("南庄镇", "DEMO-R6", "1944-10-01", 0, false),
            crate::data::store::Record {
                kind: SubjectKind::Enterprise,
                id: "DEMO-E1".into(),
                attributes: vec![
                    ("name".into(), text("佛山市恒立电气自动化有限公司")),
                    ("district".into(), Value::Code(440604)),
                    ("street".into(), text("张槎街道")),
                    ("industry_code".into(), Value::Int(3821)),
                    ("established".into(), date("2012-05-18")),
                    ("high_tech_until".into(), date("2027-12-31")),
                    ("employees".into(), Value::Int(186)),
                    ("revenue_y1".into(), Value::Money(2_600_000_000)),
                    ("revenue_y2".into(), Value::Money(1_800_000_000)),
                    ("rd_expense_y1".into(), Value::Money(130_000_000)),
                ],
                identity: Default::default(),
            },
            crate::data::store::Record {
                kind: SubjectKind::Enterprise,
                id: "DEMO-E2".into(),
                attributes: vec![
                    ("name".into(), text("佛山市禅城区康宁大药房")),
                    ("district".into(), Value::Code(440604)),
                    ("street".into(), text("祖庙街道")),
                    ("industry_code".into(), Value::Int(5251)),
                    ("established".into(), date("2019-09-02")),
                    ("employees".into(), Value::Int(6)),
                    ("revenue_y1".into(), Value::Money(320_000_000)),
                    ("revenue_y2".into(), Value::Money(290_000_000)),
                    ("rd_expense_y1".into(), Value::Money(0)),
                ],
                identity: Default::default(),
            },
        ],
        facts: vec![
            crate::data::store::FactSet {
                table: "loan_interest".into(),
                kind: SubjectKind::Enterprise,
                subject: "DEMO-E1".into(),
                month,
                rows: vec![[
                    ("product".to_owned(), text("数字贷")),
                    ("interest_fen".to_owned(), Value::Money(3_600_000)),
                ]
                .into_iter()
                .collect()],
            },
            crate::data::store::FactSet {
                table: "gas_usage".into(),
                kind: SubjectKind::Enterprise,
                subject: "DEMO-E1".into(),
                month,
                rows: vec![[("cubic_meters".to_owned(), Value::Int(12_000))]
                    .into_iter()
                    .collect()],
            },
        ],
    }
}
