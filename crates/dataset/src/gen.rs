//! `zhida gen`: a synthetic data set in the layout of DATASET.md, with realistic proportions
//! and every hard case the reference policies have (ages exactly on the 80/90/100 boundaries on
//! the reference date, 29 February births, deaths just before and on the reference date,
//! revenue exactly on the 2000 万元 threshold, several loan rows in a month, other products and
//! months, gas use by non-manufacturers, expired certificates, quoted names). Deterministic: the
//! same parameters and seed give the same bytes.

use api::Date;
use rules::Month;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    pub residents: usize,
    pub enterprises: usize,
    /// The month the hard cases are built around (its first day is the reference date).
    pub month: Month,
    pub seed: u64,
}

/// The four files, as bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub residents: Vec<u8>,
    pub enterprises: Vec<u8>,
    pub loan_interest: Vec<u8>,
    pub gas_usage: Vec<u8>,
}

/// SplitMix64: small, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Roughly log-uniform between 10^lo and 10^hi.
    fn log_uniform(&mut self, lo: u32, hi: u32) -> i64 {
        let exp = lo as u64 * 1000 + self.below(u64::from(hi - lo) * 1000);
        let base = 10f64.powf(exp as f64 / 1000.0);
        base as i64
    }
}

const STREETS: [&str; 4] = ["祖庙街道", "石湾镇街道", "张槎街道", "南庄镇"];
/// Other districts of Foshan and a few hukou places elsewhere.
const OTHER_DISTRICTS: [&str; 6] = ["440605", "440606", "440607", "440608", "430102", "450103"];
const PRODUCTS: [&str; 3] = ["数字贷", "经营贷", "科技贷"];
const NAME_WORDS: [&str; 12] = [
    "祥和",
    "恒立",
    "美的",
    "宏达",
    "顺景",
    "联塑",
    "东鹏",
    "新明珠",
    "海天",
    "金鹏",
    "华兴",
    "瑞丰",
];
const SUFFIXES: [&str; 6] = [
    "陶瓷有限公司",
    "五金制品有限公司",
    "贸易有限公司",
    "电气自动化有限公司",
    "科技有限公司",
    "餐饮管理有限公司",
];
/// Industry classes outside manufacturing: wholesale, retail, software, business services, food.
const SERVICE_CODES: [i64; 8] = [5112, 5211, 6513, 7212, 6210, 5261, 7299, 4411];
const CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

fn push_date(out: &mut Vec<u8>, d: Date) {
    out.extend_from_slice(d.to_string().as_bytes());
}

fn push_int(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(n.to_string().as_bytes());
}

/// A date `years` before `date` (29 February becomes 28 February in a common year).
fn years_before(date: Date, years: i32) -> Date {
    let y = date.year() - years;
    Date::new(y, date.month(), date.day())
        .unwrap_or_else(|_| Date::new(y, 2, 28).expect("28 February exists"))
}

fn add_days(date: Date, days: i64) -> Date {
    Date::from_days_since_epoch(date.days_since_epoch() + days)
}

/// A resident row's values.
struct Resident<'a> {
    birth: Date,
    district: &'a str,
    street: &'a str,
    death: Option<Date>,
    grade: i64,
    dibao: bool,
}

/// Generates a data set.
pub fn generate(p: &Params) -> Output {
    let mut rng = Rng(p.seed ^ 0x5A17_D00D_2026_0001);
    let reference = p.month.first_day();
    let mut out = Output::default();

    // Residents.
    let r = &mut out.residents;
    r.reserve(p.residents * 48 + 64);
    r.extend_from_slice(
        b"resident_id,birth_date,hukou_district,street,death_date,disability_grade,dibao\n",
    );
    let hard = resident_hard_cases(reference);
    for i in 0..p.residents {
        let resident = match hard.get(i) {
            Some(h) => Resident { ..*h },
            None => random_resident(&mut rng, reference),
        };
        r.extend_from_slice(format!("R{:08}", i + 1).as_bytes());
        r.push(b',');
        push_date(r, resident.birth);
        r.push(b',');
        r.extend_from_slice(resident.district.as_bytes());
        r.push(b',');
        r.extend_from_slice(resident.street.as_bytes());
        r.push(b',');
        if let Some(d) = resident.death {
            push_date(r, d);
        }
        r.push(b',');
        push_int(r, resident.grade);
        r.extend_from_slice(if resident.dibao {
            b",true\n"
        } else {
            b",false\n"
        });
    }

    // Enterprises, with their loans and gas use.
    let e = &mut out.enterprises;
    e.reserve(p.enterprises * 140 + 128);
    e.extend_from_slice(b"enterprise_id,uscc,name,district,street,industry_code,established,high_tech_until,employees,revenue_y1,revenue_y2,rd_expense_y1\n");
    out.loan_interest
        .extend_from_slice(b"enterprise_id,month,product,interest_fen\n");
    out.gas_usage
        .extend_from_slice(b"enterprise_id,month,cubic_meters\n");
    let previous = Month {
        year: if p.month.month == 1 {
            p.month.year - 1
        } else {
            p.month.year
        },
        month: if p.month.month == 1 {
            12
        } else {
            p.month.month - 1
        },
    };
    for i in 0..p.enterprises {
        let id = format!("E{:07}", i + 1);
        let f = enterprise(&mut rng, i, reference);
        e.extend_from_slice(id.as_bytes());
        e.push(b',');
        e.extend_from_slice(uscc(&mut rng, f.district).as_bytes());
        e.push(b',');
        crate::csv::write_field(e, &f.name);
        e.push(b',');
        e.extend_from_slice(f.district.as_bytes());
        e.push(b',');
        e.extend_from_slice(f.street.as_bytes());
        e.push(b',');
        push_int(e, f.industry);
        e.push(b',');
        push_date(e, f.established);
        e.push(b',');
        if let Some(d) = f.high_tech_until {
            push_date(e, d);
        }
        for n in [f.employees, f.revenue_y1, f.revenue_y2, f.rd] {
            e.push(b',');
            push_int(e, n);
        }
        e.push(b'\n');

        // About one in ten borrows; some have several rows in one month, other products, and
        // rows in the month before.
        let forced_loans = i < 4;
        if forced_loans || rng.chance(100) {
            let rows = if forced_loans { 3 } else { 1 + rng.below(3) };
            for k in 0..rows {
                let product = if forced_loans {
                    PRODUCTS[(k as usize + i) % 3]
                } else {
                    *rng.pick(&PRODUCTS)
                };
                let month = if rng.chance(200) { previous } else { p.month };
                let fen = if i == 0 && k == 0 {
                    4_000_001
                } else {
                    rng.log_uniform(3, 7)
                };
                let l = &mut out.loan_interest;
                l.extend_from_slice(id.as_bytes());
                l.push(b',');
                l.extend_from_slice(month.to_string().as_bytes());
                l.push(b',');
                l.extend_from_slice(product.as_bytes());
                l.push(b',');
                push_int(l, fen);
                l.push(b'\n');
            }
        }
        // Manufacturers often use gas; a few others do too (and are never subsidised).
        let manufacturing = (13..=43).contains(&(f.industry / 100));
        if i < 8 || rng.chance(if manufacturing { 400 } else { 30 }) {
            for month in [previous, p.month] {
                if month == previous && !rng.chance(500) {
                    continue;
                }
                let m3 = if i == 1 {
                    250_001
                } else {
                    rng.log_uniform(2, 5)
                };
                let g = &mut out.gas_usage;
                g.extend_from_slice(id.as_bytes());
                g.push(b',');
                g.extend_from_slice(month.to_string().as_bytes());
                g.push(b',');
                push_int(g, m3);
                g.push(b'\n');
            }
        }
    }
    out
}

/// The residents every data set starts with: each boundary of the reference policies.
fn resident_hard_cases(reference: Date) -> Vec<Resident<'static>> {
    let cc = "440604";
    let z = STREETS[0];
    let plain = |birth: Date| Resident {
        birth,
        district: cc,
        street: z,
        death: None,
        grade: 0,
        dibao: false,
    };
    let mut cases = Vec::new();
    for years in [80, 90, 100] {
        let birthday = years_before(reference, years);
        cases.push(plain(birthday)); // exactly `years` on the reference date
        cases.push(plain(add_days(birthday, 1))); // one day short
        cases.push(plain(add_days(birthday, -1))); // one day past
    }
    // Born on 29 February, in the leap years nearest the 80 and 90 boundaries.
    for years in [80, 81, 90, 100] {
        let mut y = reference.year() - years;
        while !api::date::is_leap_year(y) {
            y -= 1;
        }
        cases.push(plain(Date::new(y, 2, 29).expect("a leap year")));
    }
    // Deaths just before, on and just after the reference date, at 85.
    let old = years_before(reference, 85);
    for offset in [-1, 0, 1] {
        cases.push(Resident {
            death: Some(add_days(reference, offset)),
            ..plain(old)
        });
    }
    // Disability grades with and without dibao, one of them also 80 or over.
    for grade in 0..=4 {
        for dibao in [true, false] {
            cases.push(Resident {
                grade,
                dibao,
                ..plain(Date::new(reference.year() - 50, 6, 15).expect("a date"))
            });
        }
    }
    cases.push(Resident {
        grade: 1,
        ..plain(years_before(reference, 86))
    });
    // An elderly resident registered elsewhere, and one with no street on record.
    cases.push(Resident {
        district: "440605",
        ..plain(years_before(reference, 92))
    });
    cases.push(Resident {
        street: "",
        ..plain(years_before(reference, 83))
    });
    cases
}

fn random_resident(rng: &mut Rng, reference: Date) -> Resident<'static> {
    // Roughly Foshan's age structure: most adults of working age, about 3.5% aged 80 or more.
    let age = match rng.below(1000) {
        0..=149 => rng.below(15),
        150..=799 => 15 + rng.below(45),
        800..=964 => 60 + rng.below(20),
        965..=994 => 80 + rng.below(10),
        995..=998 => 90 + rng.below(10),
        _ => 100 + rng.below(6),
    } as i64;
    let birth = add_days(reference, -(age * 36525 / 100) - rng.below(365) as i64);
    let district = if rng.chance(720) {
        "440604"
    } else {
        rng.pick(&OTHER_DISTRICTS)
    };
    let street = if rng.chance(5) {
        ""
    } else {
        rng.pick(&STREETS)
    };
    let death = if rng.chance(if age >= 80 { 60 } else { 4 }) {
        Some(add_days(reference, -(rng.below(1100) as i64) + 30))
    } else {
        None
    };
    let grade = if rng.chance(60) {
        [1, 2, 2, 3, 3, 3, 4, 4, 4, 4][rng.below(10) as usize]
    } else {
        0
    };
    let dibao = rng.chance(if grade > 0 { 150 } else { 12 });
    Resident {
        birth,
        district,
        street,
        death,
        grade,
        dibao,
    }
}

struct Firm {
    name: String,
    district: &'static str,
    street: &'static str,
    industry: i64,
    established: Date,
    high_tech_until: Option<Date>,
    employees: i64,
    revenue_y1: i64,
    revenue_y2: i64,
    rd: i64,
}

fn enterprise(rng: &mut Rng, i: usize, reference: Date) -> Firm {
    let district = if rng.chance(780) {
        "440604"
    } else {
        *rng.pick(&["440605", "440606", "440607", "440608"])
    };
    let manufacturing = rng.chance(300);
    let industry = if manufacturing {
        (13 + rng.below(31) as i64) * 100 + rng.below(100) as i64
    } else {
        *rng.pick(&SERVICE_CODES)
    };
    let mut name = format!("佛山市{}{}", rng.pick(&NAME_WORDS), rng.pick(&SUFFIXES));
    if rng.chance(3) {
        // Names with a comma or quotes must be quoted in CSV.
        name = format!("佛山市\"{}\"建材, 五金有限公司", rng.pick(&NAME_WORDS));
    }
    let revenue_y2 = rng.log_uniform(6, 11);
    let growth = 80 + rng.below(60) as i64; // 0.8× to 1.4×
    let revenue_y1 = revenue_y2 / 100 * growth;
    let high_tech = rng.chance(40);
    let high_tech_until = high_tech.then(|| add_days(reference, rng.below(1400) as i64 - 300));
    let rd = if high_tech {
        revenue_y1 / 1000 * (20 + rng.below(80) as i64)
    } else {
        revenue_y1 / 1000 * rng.below(20) as i64
    };
    let mut f = Firm {
        name,
        district,
        street: STREETS[rng.below(STREETS.len() as u64) as usize],
        industry,
        established: add_days(reference, -(rng.below(35 * 365) as i64) - 30),
        high_tech_until,
        employees: rng.log_uniform(0, 4),
        revenue_y1,
        revenue_y2,
        rd,
    };
    // The first enterprises are the boundaries of the reference policies.
    let cc = "440604";
    match i {
        0 => (f.district, f.industry) = (cc, 3311),
        1 => (f.district, f.industry) = (cc, 1300),
        2 => (f.district, f.industry) = (cc, 4399),
        3 => (f.district, f.industry) = (cc, 1299),
        4 => (f.district, f.industry) = (cc, 4400),
        5 => (f.district, f.industry) = (cc, 7212), // gas use, not a manufacturer
        6 | 7 => (f.district, f.industry) = (cc, 5211),
        8 => {
            (f.district, f.industry, f.revenue_y2, f.revenue_y1) =
                (cc, 3311, 1_999_999_999, 2_000_000_000)
        }
        9 => {
            (f.district, f.industry, f.revenue_y2, f.revenue_y1) =
                (cc, 3311, 2_000_000_000, 2_000_000_000)
        }
        10 => {
            (f.district, f.industry, f.revenue_y2, f.revenue_y1) =
                (cc, 3311, 1_500_000_000, 1_999_999_999)
        }
        11 => {
            (f.district, f.high_tech_until, f.rd, f.revenue_y1) =
                (cc, Some(reference), 100_000_000, 3_333_333_333)
        }
        12 => {
            (f.district, f.high_tech_until, f.rd, f.revenue_y1) = (
                cc,
                Some(add_days(reference, -1)),
                200_000_000,
                1_000_000_000,
            )
        }
        13 => {
            (f.district, f.high_tech_until, f.rd, f.revenue_y1) = (
                cc,
                Some(add_days(reference, 400)),
                99_999_999,
                1_000_000_000,
            )
        }
        14 => {
            (f.district, f.high_tech_until, f.rd, f.revenue_y1) = (
                cc,
                Some(add_days(reference, 400)),
                900_000_000,
                9_000_000_000,
            )
        }
        15 => {
            (f.district, f.high_tech_until, f.rd, f.revenue_y1) =
                (cc, Some(add_days(reference, 400)), 100_000_000, 0)
        }
        _ => {}
    }
    f
}

/// A valid 统一社会信用代码 for an enterprise registered in `district`.
fn uscc(rng: &mut Rng, district: &str) -> String {
    let mut first17 = format!("91{district}MA");
    for _ in 0..7 {
        first17.push(CHARSET[rng.below(CHARSET.len() as u64) as usize] as char);
    }
    let check = api::validate::uscc_check_character(&first17).expect("17 valid characters");
    first17.push(check);
    first17
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Params {
        Params {
            residents: 2000,
            enterprises: 500,
            month: Month {
                year: 2026,
                month: 3,
            },
            seed: 7,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        assert_eq!(generate(&params()), generate(&params()));
        assert_ne!(
            generate(&params()).residents,
            generate(&Params {
                seed: 8,
                ..params()
            })
            .residents
        );
    }

    #[test]
    fn it_reads_back() {
        let out = generate(&params());
        let files = crate::Files {
            residents: &out.residents,
            enterprises: &out.enterprises,
            loan_interest: &out.loan_interest,
            gas_usage: &out.gas_usage,
        };
        let set = crate::load(&files, &crate::Options::default()).unwrap();
        assert_eq!(set.residents.len(), 2000);
        assert_eq!(set.enterprises.len(), 500);
        assert!(set.enterprises.facts["loan_interest"].subject.len() > 10);
    }

    #[test]
    fn leap_day_births_and_boundaries_are_there() {
        let text = String::from_utf8(generate(&params()).residents).unwrap();
        assert!(text.contains(",1946-03-01,"), "exactly 80 on 2026-03-01");
        assert!(text.contains(",1926-03-01,"), "exactly 100");
        assert!(text.contains("-02-29,"), "a 29 February birth");
        assert!(
            text.contains(",2026-03-01,"),
            "a death on the reference date"
        );
    }
}
