//! The permit catalogue, and the one form a choice of permits makes: one set of questions and
//! one deduplicated list of materials, with every answer checked.

use std::collections::{BTreeMap, BTreeSet};

use api::licence::{
    BusinessType, Catalogue, FieldKind, FieldOption, MaterialSpec, OnSite, Permit, Question,
    SectionStatus,
};
use api::policy::Bilingual;
use api::Date;

/// The permit every application includes.
pub const BUSINESS_LICENCE: &str = "business_licence";

/// Streets and towns of 禅城区 (an address must be in one of them).
pub const CHANCHENG_PLACES: [&str; 5] = ["禅城", "祖庙", "石湾", "张槎", "南庄"];

fn bi(zh: &str, en: &str) -> Bilingual {
    Bilingual {
        zh_cn: zh.into(),
        en: en.into(),
    }
}

/// The catalogue a new installation starts with (`catalogue.toml`).
pub fn standard() -> Catalogue {
    parse(include_str!("catalogue.toml")).expect("the built-in catalogue is valid")
}

/// Reads and checks a catalogue.
pub fn parse(text: &str) -> Result<Catalogue, String> {
    let c: Catalogue = toml::from_str(text).map_err(|e| e.to_string())?;
    check(&c)?;
    Ok(c)
}

/// What makes a catalogue usable: unique codes and keys, known materials, a business licence,
/// choices with options, business types naming known permits.
pub fn check(c: &Catalogue) -> Result<(), String> {
    let mut codes = BTreeSet::new();
    for m in &c.materials {
        if !codes.insert(m.code.as_str()) {
            return Err(format!("material {} is listed twice", m.code));
        }
    }
    let mut permits = BTreeSet::new();
    let mut keys: BTreeSet<String> = base_questions().map(|q| q.key).collect();
    for p in &c.permits {
        if p.code.is_empty()
            || !p
                .code
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
        {
            return Err(format!(
                "permit code {:?} must be lowercase letters, digits and _",
                p.code
            ));
        }
        if !permits.insert(p.code.as_str()) {
            return Err(format!("permit {} is listed twice", p.code));
        }
        if p.name.zh_cn.trim().is_empty() || p.name.en.trim().is_empty() {
            return Err(format!("permit {} needs a name in both languages", p.code));
        }
        if p.promised_days == 0 || p.promised_days > p.statutory_days.max(1) {
            return Err(format!(
                "permit {}: the promised time must be 1 day or more and within the statutory time",
                p.code
            ));
        }
        if p.materials.is_empty() {
            return Err(format!("permit {} asks for no material", p.code));
        }
        for m in &p.materials {
            if !codes.contains(m.as_str()) {
                return Err(format!("permit {} asks for unknown material {m}", p.code));
            }
        }
        for q in &p.questions {
            if !q.key.starts_with(&format!("{}.", p.code)) {
                return Err(format!("question {} must start with {}.", q.key, p.code));
            }
            if !keys.insert(q.key.clone()) {
                return Err(format!("question {} is asked twice", q.key));
            }
            let has_options = !q.options.is_empty();
            if (q.kind == FieldKind::Choice) != has_options {
                return Err(format!(
                    "question {}: options go with kind = \"choice\" only",
                    q.key
                ));
            }
        }
    }
    if !permits.contains(BUSINESS_LICENCE) {
        return Err(format!("the catalogue needs the {BUSINESS_LICENCE} permit"));
    }
    for t in &c.business_types {
        for p in &t.permits {
            if !permits.contains(p.as_str()) {
                return Err(format!("business type {} names unknown permit {p}", t.code));
            }
        }
    }
    Ok(())
}

fn q(
    key: &str,
    zh: &str,
    en: &str,
    kind: FieldKind,
    required: bool,
    hint: Option<Bilingual>,
) -> Question {
    Question {
        key: key.into(),
        label: bi(zh, en),
        hint,
        kind,
        required,
        options: Vec::new(),
    }
}

/// The questions every application asks: who applies, and the business.
fn base_questions() -> impl Iterator<Item = Question> {
    applicant_questions()
        .into_iter()
        .chain(business_questions())
}

fn applicant_questions() -> Vec<Question> {
    vec![
        q(
            "applicant.name",
            "经营者（法定代表人）姓名",
            "Owner's (legal representative's) name",
            FieldKind::Text,
            true,
            None,
        ),
        q(
            "applicant.id_number",
            "身份证号码",
            "ID card number",
            FieldKind::IdNumber,
            true,
            None,
        ),
        q(
            "applicant.phone",
            "手机号码",
            "Mobile number",
            FieldKind::Mobile,
            true,
            Some(bi(
                "用于接收办理进度通知，也可凭它查询进度",
                "For progress messages, and to look the application up",
            )),
        ),
    ]
}

fn business_questions() -> Vec<Question> {
    vec![
        q(
            "business.name",
            "名称（字号）",
            "Business name",
            FieldKind::Text,
            true,
            None,
        ),
        q(
            "business.uscc",
            "统一社会信用代码",
            "Unified social credit code",
            FieldKind::Uscc,
            false,
            Some(bi(
                "已有营业执照的填写；新开办的留空，发照时赋码",
                "If the business already has a licence; leave empty for a new business",
            )),
        ),
        q(
            "business.address",
            "经营场所地址（禅城区内）",
            "Address of the premises (in Chancheng)",
            FieldKind::Address,
            true,
            Some(bi(
                "例如：佛山市禅城区祖庙街道岭南大道北 1 号",
                "For example: 1 Lingnan Avenue North, Zumiao, Chancheng, Foshan",
            )),
        ),
        q(
            "business.scope",
            "经营范围",
            "Business scope",
            FieldKind::Scope,
            true,
            Some(bi(
                "写明经营的项目，例如：药品零售；第二类医疗器械零售",
                "What the business does, e.g. 药品零售；第二类医疗器械零售",
            )),
        ),
    ]
}

/// One application's form: its sections, materials and conditions.
#[derive(Clone, Debug)]
pub struct Form {
    pub business_type: BusinessType,
    pub permits: Vec<Permit>,
    /// (key, title, questions), in task-list order; `materials` and `commitment` are added by
    /// whoever shows them.
    pub sections: Vec<(String, Bilingual, Vec<Question>)>,
    /// Deduplicated, in the order first asked; with the permits that ask for each.
    pub materials: Vec<(MaterialSpec, Vec<Bilingual>)>,
    pub needs_check: bool,
    pub commitment_allowed: bool,
    pub promised_days: u32,
}

/// Why a form cannot be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormError {
    UnknownBusinessType,
    UnknownPermit(String),
    RepeatedPermit(String),
}

/// The commitment question, asked when a signed commitment may replace the on-site check.
pub const COMMITMENT_KEY: &str = "commitment.choice";

fn commitment_question() -> Question {
    Question {
        key: COMMITMENT_KEY.into(),
        label: bi("现场核查或告知承诺", "On-site check or signed commitment"),
        hint: Some(bi(
            "选择承诺的，审批后将在三个月内抽查；承诺不实的，许可将被撤销",
            "With a commitment, a check follows within three months of approval; a false commitment revokes the permit",
        )),
        kind: FieldKind::Choice,
        required: true,
        options: vec![
            FieldOption {
                value: "commit".into(),
                label: bi("我承诺符合许可条件，以承诺代替现场核查", "I commit that the premises meet the conditions, instead of an on-site check"),
            },
            FieldOption {
                value: "check".into(),
                label: bi("申请现场核查", "I ask for an on-site check"),
            },
        ],
    }
}

/// Assembles the form for `business_type` with `permit_codes` (the business licence is added
/// when missing).
pub fn form(
    c: &Catalogue,
    business_type: &str,
    permit_codes: &[String],
) -> Result<Form, FormError> {
    let business_type = c
        .business_types
        .iter()
        .find(|t| t.code == business_type)
        .cloned()
        .ok_or(FormError::UnknownBusinessType)?;
    let mut chosen: Vec<&Permit> = Vec::new();
    let mut wanted: Vec<&str> = vec![BUSINESS_LICENCE];
    for code in permit_codes {
        if code != BUSINESS_LICENCE && wanted.contains(&code.as_str()) {
            return Err(FormError::RepeatedPermit(code.clone()));
        }
        if code != BUSINESS_LICENCE {
            wanted.push(code);
        }
    }
    for code in wanted {
        let p = c
            .permits
            .iter()
            .find(|p| p.code == code)
            .ok_or_else(|| FormError::UnknownPermit(code.to_owned()))?;
        chosen.push(p);
    }
    let mut sections = vec![
        (
            "applicant".to_owned(),
            bi("申请人", "Applicant"),
            applicant_questions(),
        ),
        (
            "business".to_owned(),
            bi("经营主体", "The business"),
            business_questions(),
        ),
    ];
    for p in &chosen {
        if !p.questions.is_empty() {
            sections.push((p.code.clone(), p.name.clone(), p.questions.clone()));
        }
    }
    let mut materials: Vec<(MaterialSpec, Vec<Bilingual>)> = Vec::new();
    for p in &chosen {
        for code in &p.materials {
            match materials.iter_mut().find(|(m, _)| &m.code == code) {
                Some((_, by)) => by.push(p.name.clone()),
                None => {
                    let spec = c
                        .materials
                        .iter()
                        .find(|m| &m.code == code)
                        .cloned()
                        .ok_or_else(|| FormError::UnknownPermit(p.code.clone()))?;
                    materials.push((spec, vec![p.name.clone()]));
                }
            }
        }
    }
    let checked: Vec<&&Permit> = chosen
        .iter()
        .filter(|p| p.on_site != OnSite::None)
        .collect();
    let needs_check = !checked.is_empty();
    let commitment_allowed = needs_check
        && checked
            .iter()
            .all(|p| p.on_site == OnSite::CommitmentAllowed);
    if commitment_allowed {
        sections.push((
            "commitment".to_owned(),
            bi("告知承诺", "Commitment"),
            vec![commitment_question()],
        ));
    }
    Ok(Form {
        business_type,
        promised_days: chosen.iter().map(|p| p.promised_days).max().unwrap_or(1),
        permits: chosen.into_iter().cloned().collect(),
        sections,
        materials,
        needs_check,
        commitment_allowed,
    })
}

/// A problem with one answer: the field, a code (`required`, `too_long`, `not_in_chancheng`,
/// `scope_missing`, a validator's code…) and what the message needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub code: String,
    pub args: Vec<(&'static str, String)>,
}

impl Form {
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|(_, _, qs)| qs)
    }

    /// Every problem with `answers` (missing required answers included when `complete`).
    pub fn problems(
        &self,
        answers: &BTreeMap<String, String>,
        today: Date,
        complete: bool,
    ) -> Vec<Problem> {
        problems(self.questions(), &self.permits, answers, today, complete)
    }

    /// How far each question section is filled in.
    pub fn status(
        &self,
        key: &str,
        answers: &BTreeMap<String, String>,
        problems: &[Problem],
    ) -> SectionStatus {
        let Some((_, _, questions)) = self.sections.iter().find(|(k, _, _)| k == key) else {
            return SectionStatus::NotStarted;
        };
        let answered = |q: &Question| answers.get(&q.key).is_some_and(|v| !v.trim().is_empty());
        if !questions.iter().any(answered) {
            return SectionStatus::NotStarted;
        }
        let done = questions
            .iter()
            .all(|q| (answered(q) || !q.required) && !problems.iter().any(|p| p.field == q.key));
        if done {
            SectionStatus::Completed
        } else {
            SectionStatus::InProgress
        }
    }

    /// Whether `key` is a question of this form.
    pub fn asks(&self, key: &str) -> bool {
        self.questions().any(|q| q.key == key)
    }

    /// How many materials separate applications for these permits would ask for together.
    pub fn materials_separately(&self) -> u32 {
        self.permits.iter().map(|p| p.materials.len() as u32).sum()
    }
}

pub use crate::answers::problems;

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn today() -> Date {
        "2026-11-29".parse().unwrap()
    }

    fn pharmacy() -> Form {
        form(&standard(), "pharmacy", &["drug_retail".into()]).unwrap()
    }

    #[test]
    fn the_standard_catalogue_has_the_five_permits() {
        let c = standard();
        let codes: Vec<_> = c.permits.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "business_licence",
                "drug_retail",
                "medical_device_2",
                "food_business",
                "public_health"
            ]
        );
    }

    #[test]
    fn shared_materials_are_asked_for_once() {
        let f = pharmacy();
        let codes: Vec<_> = f.materials.iter().map(|(m, _)| m.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "legal_rep_id",
                "premises_proof",
                "articles",
                "premises_layout",
                "pharmacist_certificate",
                "quality_manual"
            ]
        );
        assert_eq!(f.materials_separately(), 8);
        let (_, by) = &f.materials[0];
        assert_eq!(by.len(), 2, "the ID card serves both permits");
        assert_eq!(f.promised_days, 10);
        assert!(f.needs_check && f.commitment_allowed);
        let keys: Vec<_> = f.sections.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "applicant",
                "business",
                "business_licence",
                "drug_retail",
                "commitment"
            ]
        );
    }

    #[test]
    fn a_required_check_rules_out_the_commitment() {
        let f = form(
            &standard(),
            "salon",
            &["public_health".into(), "food_business".into()],
        )
        .unwrap();
        assert!(f.needs_check && !f.commitment_allowed);
        assert!(!f.sections.iter().any(|(k, _, _)| k == "commitment"));
        let plain = form(&standard(), "other", &[]).unwrap();
        assert!(!plain.needs_check);
        assert_eq!(plain.permits.len(), 1);
    }

    #[test]
    fn unknown_and_repeated_permits_are_refused() {
        let c = standard();
        assert_eq!(
            form(&c, "nope", &[]).unwrap_err(),
            FormError::UnknownBusinessType
        );
        assert_eq!(
            form(&c, "other", &["x".into()]).unwrap_err(),
            FormError::UnknownPermit("x".into())
        );
        assert_eq!(
            form(&c, "other", &["drug_retail".into(), "drug_retail".into()]).unwrap_err(),
            FormError::RepeatedPermit("drug_retail".into())
        );
        // Naming the business licence is allowed (it is always there).
        assert_eq!(
            form(&c, "other", &["business_licence".into()])
                .unwrap()
                .permits
                .len(),
            1
        );
    }

    #[test]
    fn every_field_kind_is_checked() {
        let f = pharmacy();
        let right = api::validate::id_check_character("44060419820915527").unwrap();
        let wrong = format!("44060419820915527{}", if right == '1' { '2' } else { '1' });
        let bad = answers(&[
            ("applicant.id_number", &wrong),
            ("applicant.phone", "1380000000"),
            ("business.uscc", "92440604MA4UKN0020"),
            ("business.address", "广州市天河区体育西路 1 号"),
            ("business.scope", "日用百货销售"),
            ("drug_retail.area", "-3"),
            ("drug_retail.category", "everything"),
            ("business.name", &"药".repeat(101)),
        ]);
        let problems = f.problems(&bad, today(), false);
        let codes: BTreeMap<_, _> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.code.as_str()))
            .collect();
        assert_eq!(codes["applicant.id_number"], "id_check");
        assert_eq!(codes["applicant.phone"], "mobile_format");
        assert_eq!(codes["business.uscc"], "uscc_check");
        assert_eq!(codes["business.address"], "not_in_chancheng");
        assert_eq!(codes["business.scope"], "scope_missing");
        assert_eq!(codes["drug_retail.area"], "not_a_number");
        assert_eq!(codes["drug_retail.category"], "not_an_option");
        assert_eq!(codes["business.name"], "too_long");
        // Missing answers only count when the whole form is checked.
        assert!(!codes.contains_key("drug_retail.pharmacist"));
        let all = f.problems(&bad, today(), true);
        assert!(all
            .iter()
            .any(|p| p.field == "drug_retail.pharmacist" && p.code == "required"));
        // The optional USCC may stay empty.
        assert!(!f
            .problems(&answers(&[]), today(), true)
            .iter()
            .any(|p| p.field == "business.uscc"));
    }

    #[test]
    fn sections_move_from_not_started_to_completed() {
        let f = pharmacy();
        let mut a = answers(&[]);
        assert_eq!(f.status("applicant", &a, &[]), SectionStatus::NotStarted);
        a.insert("applicant.name".into(), "梁志强".into());
        let p = f.problems(&a, today(), false);
        assert_eq!(f.status("applicant", &a, &p), SectionStatus::InProgress);
        let id = format!(
            "44060419820915527{}",
            api::validate::id_check_character("44060419820915527").unwrap()
        );
        a.insert("applicant.id_number".into(), id);
        a.insert("applicant.phone".into(), "13800000005".into());
        let p = f.problems(&a, today(), false);
        assert_eq!(f.status("applicant", &a, &p), SectionStatus::Completed);
        // A wrong answer keeps it in progress.
        a.insert("applicant.phone".into(), "12345".into());
        let p = f.problems(&a, today(), false);
        assert_eq!(f.status("applicant", &a, &p), SectionStatus::InProgress);
    }

    #[test]
    fn a_broken_catalogue_is_refused_with_a_reason() {
        let mut c = standard();
        c.permits[1].materials.push("nope".into());
        assert!(check(&c).unwrap_err().contains("unknown material nope"));
        let mut c = standard();
        c.permits.retain(|p| p.code != BUSINESS_LICENCE);
        c.business_types.clear();
        assert!(check(&c).unwrap_err().contains("business_licence"));
        let mut c = standard();
        c.permits[1].promised_days = 99;
        assert!(check(&c).unwrap_err().contains("promised time"));
        let mut c = standard();
        c.permits[2].questions[0].key = "drug_retail.pharmacist".into();
        assert!(check(&c)
            .unwrap_err()
            .contains("must start with medical_device_2."));
    }
}
