//! The attribute catalogue (`catalogue.toml`): what a policy may ask about a subject, of which
//! type, and which department vouches for it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// A value's type. Money is integer fen; a code is a 6-digit administrative division code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    Int,
    Money,
    Date,
    Code,
    String,
    Bool,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Int => "int",
            Type::Money => "money",
            Type::Date => "date",
            Type::Code => "code",
            Type::String => "string",
            Type::Bool => "bool",
        }
    }

    /// Whether values of this type are integers on a line (so arithmetic and ranges apply).
    pub fn is_numeric(self) -> bool {
        matches!(self, Type::Int | Type::Money)
    }
}

/// Who a policy is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Resident,
    Enterprise,
}

/// The department that owns an attribute, i.e. whose data it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Department {
    /// 公安: the population register.
    PublicSecurity,
    /// 民政: civil affairs.
    CivilAffairs,
    /// 残联: the disabled persons' federation.
    DisabledPersonsFederation,
    /// 市场监管: market regulation.
    MarketRegulation,
    /// 税务: tax (which also collects social insurance).
    Tax,
    /// Partner banks.
    PartnerBank,
    /// The gas utility.
    GasUtility,
    /// 人社: human resources and social security (employment, unemployment registration,
    /// social insurance).
    HumanResources,
    /// 卫健: the health commission (births).
    Health,
}

impl Department {
    /// Every department that owns data.
    pub const ALL: [Department; 9] = [
        Department::PublicSecurity,
        Department::CivilAffairs,
        Department::DisabledPersonsFederation,
        Department::MarketRegulation,
        Department::Tax,
        Department::PartnerBank,
        Department::GasUtility,
        Department::HumanResources,
        Department::Health,
    ];

    /// The department's code, as the catalogue writes it (and as its feed key is named).
    pub fn code(self) -> &'static str {
        match self {
            Department::PublicSecurity => "public_security",
            Department::CivilAffairs => "civil_affairs",
            Department::DisabledPersonsFederation => "disabled_persons_federation",
            Department::MarketRegulation => "market_regulation",
            Department::Tax => "tax",
            Department::PartnerBank => "partner_bank",
            Department::GasUtility => "gas_utility",
            Department::HumanResources => "human_resources",
            Department::Health => "health",
        }
    }

    /// The department's name in Chinese and English.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Department::PublicSecurity => ("公安", "Public security"),
            Department::CivilAffairs => ("民政", "Civil affairs"),
            Department::DisabledPersonsFederation => ("残联", "Disabled Persons' Federation"),
            Department::MarketRegulation => ("市场监管", "Market regulation"),
            Department::Tax => ("税务", "Tax"),
            Department::PartnerBank => ("合作银行", "Partner bank"),
            Department::GasUtility => ("燃气公司", "Gas utility"),
            Department::HumanResources => ("人社", "Human resources and social security"),
            Department::Health => ("卫健", "Health commission"),
        }
    }
}

/// Text in both of the app's languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    pub en: String,
}

/// One attribute of a subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    #[serde(default)]
    pub unit: Option<String>,
    pub department: Department,
    #[serde(flatten)]
    pub description: Text,
}

/// A field of a fact table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactField {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(flatten)]
    pub description: Text,
}

/// A table of monthly facts (rows per subject and month), e.g. loan interest payments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactTable {
    pub table: String,
    pub subject: SubjectKind,
    pub department: Department,
    #[serde(flatten)]
    pub description: Text,
    pub fields: Vec<FactField>,
}

impl FactTable {
    pub fn field(&self, name: &str) -> Option<&FactField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// An administrative division (GB/T 2260), so that explanations say "禅城区", not "440604".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Division {
    pub code: u32,
    #[serde(flatten)]
    pub name: Text,
}

/// A section (门类) of the industry classification GB/T 4754-2017: the divisions (大类, the
/// first two digits of a class code) it spans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndustrySection {
    pub letter: String,
    pub from: u32,
    pub to: u32,
    #[serde(flatten)]
    pub name: Text,
}

/// Every attribute and fact table, and the divisions codes name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    pub resident: Vec<Attribute>,
    pub enterprise: Vec<Attribute>,
    pub fact: Vec<FactTable>,
    #[serde(default)]
    pub division: Vec<Division>,
    #[serde(default)]
    pub industry_section: Vec<IndustrySection>,
}

impl Catalogue {
    /// The catalogue shipped with the engine.
    pub fn standard() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| {
            toml::from_str(include_str!("catalogue.toml")).expect("the shipped catalogue is valid")
        })
    }

    /// The attributes of a kind of subject.
    pub fn attributes(&self, kind: SubjectKind) -> &[Attribute] {
        match kind {
            SubjectKind::Resident => &self.resident,
            SubjectKind::Enterprise => &self.enterprise,
        }
    }

    pub fn attribute(&self, kind: SubjectKind, name: &str) -> Option<&Attribute> {
        self.attributes(kind).iter().find(|a| a.name == name)
    }

    pub fn fact_table(&self, kind: SubjectKind, table: &str) -> Option<&FactTable> {
        self.fact
            .iter()
            .find(|t| t.table == table && t.subject == kind)
    }

    /// The name of the division a code stands for, when the catalogue knows it.
    pub fn division(&self, code: u32) -> Option<&Text> {
        self.division
            .iter()
            .find(|d| d.code == code)
            .map(|d| &d.name)
    }

    /// The industry section of a division (the first two digits of a class code).
    pub fn industry_section(&self, division: u32) -> Option<&IndustrySection> {
        self.industry_section
            .iter()
            .find(|s| (s.from..=s.to).contains(&division))
    }

    /// The sections that `low..=high` covers exactly, in divisions (`per_division` 1) or in
    /// class codes (`per_division` 100: 1300..=4399 is manufacturing); `None` when the range
    /// cuts a section.
    pub fn industry_sections(
        &self,
        low: i128,
        high: i128,
        per_division: i128,
    ) -> Option<Vec<&IndustrySection>> {
        let starts = low.rem_euclid(per_division) == 0;
        let ends = high.rem_euclid(per_division) == per_division - 1;
        if !starts || !ends || low > high {
            return None;
        }
        let (first, last) = (low / per_division, high / per_division);
        let first = self.industry_section(u32::try_from(first).ok()?)?;
        let last = self.industry_section(u32::try_from(last).ok()?)?;
        if i128::from(first.from) * per_division != low
            || i128::from(last.to + 1) * per_division - 1 != high
        {
            return None;
        }
        Some(
            self.industry_section
                .iter()
                .filter(|s| s.from >= first.from && s.to <= last.to)
                .collect(),
        )
    }

    /// Attribute names by kind, for error messages that list what exists.
    pub fn names(&self, kind: SubjectKind) -> BTreeMap<&str, Type> {
        self.attributes(kind)
            .iter()
            .map(|a| (a.name.as_str(), a.ty))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogue_loads_and_names_every_department() {
        let c = Catalogue::standard();
        assert_eq!(
            c.attribute(SubjectKind::Resident, "birth_date").unwrap().ty,
            Type::Date
        );
        assert_eq!(
            c.attribute(SubjectKind::Enterprise, "revenue_y1")
                .unwrap()
                .ty,
            Type::Money
        );
        assert_eq!(c.attribute(SubjectKind::Resident, "revenue_y1"), None);
        assert_eq!(c.division(440604).unwrap().zh_cn, "禅城区");
        assert_eq!(c.division(110101), None);
        assert_eq!(c.industry_section(33).unwrap().name.zh_cn, "制造业");
        let manufacturing = c.industry_sections(1300, 4399, 100).unwrap();
        assert_eq!(manufacturing.len(), 1);
        assert_eq!(manufacturing[0].letter, "C");
        assert_eq!(c.industry_sections(13, 43, 1).unwrap()[0].letter, "C");
        assert!(c.industry_sections(1300, 4300, 100).is_none());
        assert!(c.industry_sections(1400, 4399, 100).is_none());
        assert_eq!(c.industry_sections(1, 12, 1).unwrap().len(), 2);
        // Sections cover every division from 01 to 97, once.
        for division in 1..=97 {
            assert!(c.industry_section(division).is_some(), "{division}");
        }
        let t = c
            .fact_table(SubjectKind::Enterprise, "loan_interest")
            .unwrap();
        assert_eq!(t.field("interest_fen").unwrap().ty, Type::Money);
        assert_eq!(t.department, Department::PartnerBank);
        let departments: std::collections::HashSet<_> = c
            .resident
            .iter()
            .chain(&c.enterprise)
            .map(|a| a.department)
            .chain(c.fact.iter().map(|f| f.department))
            .collect();
        assert_eq!(
            departments,
            Department::ALL.into_iter().collect(),
            "公安, 民政, 残联, 市场监管, 税务, partner bank, gas utility, 人社, 卫健"
        );
    }
}
