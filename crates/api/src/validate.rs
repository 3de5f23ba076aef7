//! Parsers for the identifiers people type: 统一社会信用代码, 居民身份证号码 and mobile numbers.
//!
//! Each parser tidies what a person would reasonably type (spaces, lower case, a `+86` prefix)
//! and then checks the value exactly as its standard defines it, so the app can warn as the
//! person types and the server can refuse with the same reason.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::date::Date;

/// Why a typed identifier was refused. [`ValidationError::code`] is its key in the locale files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidationError {
    /// Nothing was entered.
    Required,
    /// A 统一社会信用代码 must have 18 characters.
    UsccLength,
    /// The character at `position` (1-based) is not allowed there.
    UsccCharacter { position: usize },
    /// The check character (the 18th) does not match the other 17: most likely a typing error.
    UsccCheck,
    /// A 居民身份证号码 must have 18 characters.
    IdLength,
    /// The character at `position` (1-based) is not allowed there.
    IdCharacter { position: usize },
    /// The first two digits name no province-level division.
    IdRegion,
    /// Digits 7–14 are not a real date of birth, or one in the future.
    IdBirthDate,
    /// The check digit (the 18th) does not match the other 17: most likely a typing error.
    IdCheck,
    /// Not an 11-digit mainland mobile number starting with 13–19.
    MobileFormat,
}

impl ValidationError {
    /// The reason's key under `validation` in the locale files.
    pub fn code(self) -> &'static str {
        match self {
            ValidationError::Required => "required",
            ValidationError::UsccLength => "uscc_length",
            ValidationError::UsccCharacter { .. } => "uscc_character",
            ValidationError::UsccCheck => "uscc_check",
            ValidationError::IdLength => "id_length",
            ValidationError::IdCharacter { .. } => "id_character",
            ValidationError::IdRegion => "id_region",
            ValidationError::IdBirthDate => "id_birth_date",
            ValidationError::IdCheck => "id_check",
            ValidationError::MobileFormat => "mobile_format",
        }
    }

    /// The 1-based position of the offending character, for reasons that have one.
    pub fn position(self) -> Option<usize> {
        match self {
            ValidationError::UsccCharacter { position }
            | ValidationError::IdCharacter { position } => Some(position),
            _ => None,
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position() {
            Some(p) => write!(f, "{} (character {p})", self.code()),
            None => f.write_str(self.code()),
        }
    }
}

impl std::error::Error for ValidationError {}

/// Removes the spaces and hyphens people type to group digits, and upper-cases letters.
fn tidy(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '\u{3000}')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The 31 characters of GB 32100-2015 (the Latin alphabet without I, O, Z, S and V).
const USCC_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Each byte's value in [`USCC_CHARSET`], or [`NOT_USCC`].
const USCC_VALUES: [u8; 256] = {
    let mut table = [NOT_USCC; 256];
    let mut i = 0;
    while i < USCC_CHARSET.len() {
        table[USCC_CHARSET[i] as usize] = i as u8;
        i += 1;
    }
    table
};
const NOT_USCC: u8 = u8::MAX;
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A 统一社会信用代码 (unified social credit code), valid per GB 32100-2015.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

impl Uscc {
    /// Reads a code as typed: spaces are dropped and letters upper-cased before checking.
    pub fn parse(input: &str) -> Result<Uscc, ValidationError> {
        let code = tidy(input);
        Uscc::check(&code)?;
        Ok(Uscc(code))
    }

    /// Checks a code already tidy (no spaces, upper case), without copying it: for reading
    /// many at once. An untidy code is refused where `parse` would tidy it.
    pub fn check(code: &str) -> Result<(), ValidationError> {
        if code.is_empty() {
            return Err(ValidationError::Required);
        }
        if code.len() != 18 {
            return Err(if code.chars().count() == 18 {
                ValidationError::UsccCharacter {
                    position: code.chars().position(|c| !c.is_ascii()).unwrap_or(0) + 1,
                }
            } else {
                ValidationError::UsccLength
            });
        }
        let mut values = [0u32; 18];
        for (i, c) in code.bytes().enumerate() {
            let value = USCC_VALUES[usize::from(c)];
            // Characters 3–8 are the registering authority's administrative division code.
            let digit_required = (2..8).contains(&i);
            if value == NOT_USCC || (digit_required && value >= 10) {
                return Err(ValidationError::UsccCharacter { position: i + 1 });
            }
            values[i] = u32::from(value);
        }
        if values[17] != uscc_check_value(&values[..17]) {
            return Err(ValidationError::UsccCheck);
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The value of the check character for the first 17 character values.
fn uscc_check_value(values: &[u32]) -> u32 {
    let sum: u32 = values.iter().zip(USCC_WEIGHTS).map(|(v, w)| v * w).sum();
    (31 - sum % 31) % 31
}

/// The check character that completes 17 valid leading characters (used by data generators).
pub fn uscc_check_character(first17: &str) -> Option<char> {
    let values: Option<Vec<u32>> = first17
        .bytes()
        .map(|c| USCC_CHARSET.iter().position(|&x| x == c).map(|v| v as u32))
        .collect();
    let values = values.filter(|v| v.len() == 17)?;
    Some(USCC_CHARSET[uscc_check_value(&values) as usize] as char)
}

impl TryFrom<String> for Uscc {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Uscc, ValidationError> {
        Uscc::parse(&s)
    }
}

impl From<Uscc> for String {
    fn from(u: Uscc) -> String {
        u.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";
/// Province-level division codes (GB/T 2260), with 81–83 for residence permits of Hong Kong,
/// Macao and Taiwan residents.
const ID_PROVINCES: [u8; 37] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91, 90,
];

/// The earliest birth date accepted on an identity card.
const EARLIEST_BIRTH: (i32, u8, u8) = (1900, 1, 1);

/// A 18-digit 居民身份证号码, valid per GB 11643-1999.
///
/// It is never written to logs in full: `Debug` masks it like the UI does.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct IdNumber(String);

impl IdNumber {
    /// Reads a number as typed (spaces dropped, a final `x` upper-cased) and checks its region,
    /// its date of birth (a real day, not after `today`) and its check digit.
    pub fn parse(input: &str, today: Date) -> Result<IdNumber, ValidationError> {
        let id = tidy(input);
        if id.is_empty() {
            return Err(ValidationError::Required);
        }
        if id.chars().count() != 18 {
            return Err(ValidationError::IdLength);
        }
        let bytes = id.as_bytes();
        for (i, c) in bytes.iter().enumerate() {
            if !(c.is_ascii_digit() || (i == 17 && *c == b'X')) {
                return Err(ValidationError::IdCharacter { position: i + 1 });
            }
        }
        let province = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
        if !ID_PROVINCES.contains(&province) {
            return Err(ValidationError::IdRegion);
        }
        let birth = id[6..14]
            .parse::<u32>()
            .ok()
            .and_then(|n| {
                Date::new((n / 10_000) as i32, (n / 100 % 100) as u8, (n % 100) as u8).ok()
            })
            .ok_or(ValidationError::IdBirthDate)?;
        let (y, m, d) = EARLIEST_BIRTH;
        if birth > today || birth < Date::new(y, m, d).expect("a valid constant date") {
            return Err(ValidationError::IdBirthDate);
        }
        let sum: u32 = bytes[..17]
            .iter()
            .zip(ID_WEIGHTS)
            .map(|(c, w)| u32::from(c - b'0') * w)
            .sum();
        if bytes[17] != ID_CHECK[(sum % 11) as usize] {
            return Err(ValidationError::IdCheck);
        }
        Ok(IdNumber(id))
    }

    /// The date of birth that the number carries.
    pub fn birth_date(&self) -> Date {
        let n: u32 = self.0[6..14].parse().expect("checked when parsed");
        Date::new((n / 10_000) as i32, (n / 100 % 100) as u8, (n % 100) as u8)
            .expect("checked when parsed")
    }

    /// The number with digits 5–14 hidden, as shown to anyone but its owner: `4406**********1234`.
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }

    /// The whole number, for the owner and for encryption at rest only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The check character that completes 17 digits of an ID number (used by data generators).
pub fn id_check_character(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    Some(ID_CHECK[(sum % 11) as usize] as char)
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl From<IdNumber> for String {
    fn from(id: IdNumber) -> String {
        id.0
    }
}

/// A mainland China mobile number: 11 digits starting with 13–19.
///
/// Like [`IdNumber`], its `Debug` output is masked.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mobile(String);

impl Mobile {
    /// Reads a number as typed: spaces and hyphens dropped, a `+86` or `0086` prefix removed.
    pub fn parse(input: &str) -> Result<Mobile, ValidationError> {
        let tidy = tidy(input);
        if tidy.is_empty() {
            return Err(ValidationError::Required);
        }
        let number = tidy
            .strip_prefix("+86")
            .or_else(|| tidy.strip_prefix("0086"))
            .unwrap_or(&tidy);
        let b = number.as_bytes();
        if b.len() == 11
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1])
            && b.iter().all(u8::is_ascii_digit)
        {
            Ok(Mobile(number.to_owned()))
        } else {
            Err(ValidationError::MobileFormat)
        }
    }

    /// The number with its middle four digits hidden: `138****5678`.
    pub fn masked(&self) -> String {
        mask_mobile(&self.0)
    }

    /// The whole number, for the owner and for encryption at rest only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mobile({})", self.masked())
    }
}

impl TryFrom<String> for Mobile {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Mobile, ValidationError> {
        Mobile::parse(&s)
    }
}

impl From<Mobile> for String {
    fn from(m: Mobile) -> String {
        m.0
    }
}

/// An ID number as shown to anyone but its owner: `4406**********1234` (all stars when it is
/// not 18 ASCII characters, so nothing leaks).
pub fn mask_id_number(id: &str) -> String {
    if id.len() == 18 && id.is_ascii() {
        format!("{}{}{}", &id[..4], "*".repeat(10), &id[14..])
    } else {
        "*".repeat(18)
    }
}

/// A mobile number as shown to anyone but its owner: `138****5678` (all stars when it is not
/// 11 ASCII digits).
pub fn mask_mobile(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "*".repeat(11)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 11, 29).unwrap()
    }

    /// Builds a valid ID number from its first 17 digits.
    fn with_id_check(first17: &str) -> String {
        let sum: u32 = first17
            .bytes()
            .zip(ID_WEIGHTS)
            .map(|(c, w)| u32::from(c - b'0') * w)
            .sum();
        format!("{first17}{}", ID_CHECK[(sum % 11) as usize] as char)
    }

    #[test]
    fn uscc_accepts_published_examples() {
        // Codes as printed on real business licences, among them GB 32100-2015's own example.
        for code in [
            "91350100M000100Y43",
            "91440300708461136T",
            "911100001000013580",
            "91110000100006485K",
        ] {
            assert_eq!(Uscc::parse(code).unwrap().as_str(), code);
        }
    }

    #[test]
    fn uscc_tidies_what_people_type() {
        assert_eq!(
            Uscc::parse(" 91350100m000100y43 ").unwrap().as_str(),
            "91350100M000100Y43"
        );
        assert_eq!(
            Uscc::parse("913501 00M000 100Y43").unwrap().as_str(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn uscc_check_agrees_with_parse_on_tidy_codes() {
        for code in [
            "91350100M000100Y43",
            "91350100M000100Y44",
            "9135A100M000100Y43",
            "91350100M0001O0Y43",
            "91350100M000100Y4",
            "91350100M000100Y433",
            "91350100M000100Y4中",
            "",
        ] {
            assert_eq!(Uscc::check(code), Uscc::parse(code).map(drop), "{code:?}");
        }
        // Untidy codes are refused by the quick check; `parse` tidies them.
        assert!(Uscc::check("91350100m000100y43").is_err());
    }

    #[test]
    fn uscc_refuses_each_kind_of_error() {
        assert_eq!(Uscc::parse(""), Err(ValidationError::Required));
        assert_eq!(Uscc::parse("   "), Err(ValidationError::Required));
        assert_eq!(
            Uscc::parse("91350100M000100Y4"),
            Err(ValidationError::UsccLength)
        );
        assert_eq!(
            Uscc::parse("91350100M000100Y433"),
            Err(ValidationError::UsccLength)
        );
        // I, O, S, V and Z are not in the character set.
        assert_eq!(
            Uscc::parse("91350100M0001O0Y43"),
            Err(ValidationError::UsccCharacter { position: 14 })
        );
        // The division code (characters 3–8) must be digits.
        assert_eq!(
            Uscc::parse("9135A100M000100Y43"),
            Err(ValidationError::UsccCharacter { position: 5 })
        );
        assert_eq!(
            Uscc::parse("91350100M000100Y44"),
            Err(ValidationError::UsccCheck)
        );
        assert_eq!(
            Uscc::parse("中国35010M000100Y43"),
            Err(ValidationError::UsccLength)
        );
    }

    #[test]
    fn uscc_catches_every_single_substitution_and_adjacent_swap() {
        let good = "91440604MA4UXXXX1";
        let code = format!("{good}{}", uscc_check_character(good).unwrap());
        assert!(Uscc::parse(&code).is_ok());
        let chars: Vec<char> = code.chars().collect();
        for i in 0..18 {
            for &c in USCC_CHARSET {
                let c = c as char;
                if c == chars[i] {
                    continue;
                }
                let mut typo = chars.clone();
                typo[i] = c;
                let typo: String = typo.into_iter().collect();
                assert!(Uscc::parse(&typo).is_err(), "{typo}");
            }
        }
        for i in 0..17 {
            if chars[i] != chars[i + 1] {
                let mut swapped = chars.clone();
                swapped.swap(i, i + 1);
                let swapped: String = swapped.into_iter().collect();
                assert!(Uscc::parse(&swapped).is_err(), "{swapped}");
            }
        }
    }

    #[test]
    fn uscc_check_character_needs_17_valid_characters() {
        assert_eq!(uscc_check_character("91350100M000100Y"), None);
        assert_eq!(uscc_check_character("91350100M000100YI"), None);
        assert_eq!(uscc_check_character("91350100M000100Y4"), Some('3'));
    }

    #[test]
    fn id_number_accepts_the_standard_example() {
        // GB 11643-1999's worked example; its check character is X.
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.birth_date(), Date::new(1949, 12, 31).unwrap());
        assert_eq!(IdNumber::parse("11010519491231002x", today()).unwrap(), id);
        assert_eq!(
            IdNumber::parse("110105 19491231 002X", today()).unwrap(),
            id
        );
    }

    #[test]
    fn id_number_birth_date_must_be_real() {
        let leap = with_id_check("44060420000229123");
        assert!(IdNumber::parse(&leap, today()).is_ok());
        let not_leap = with_id_check("44060419000229123");
        assert_eq!(
            IdNumber::parse(&not_leap, today()),
            Err(ValidationError::IdBirthDate)
        );
        let no_day = with_id_check("44060420230431123");
        assert_eq!(
            IdNumber::parse(&no_day, today()),
            Err(ValidationError::IdBirthDate)
        );
        let month_13 = with_id_check("44060419801301123");
        assert_eq!(
            IdNumber::parse(&month_13, today()),
            Err(ValidationError::IdBirthDate)
        );
        let tomorrow = with_id_check("44060420261130123");
        assert_eq!(
            IdNumber::parse(&tomorrow, today()),
            Err(ValidationError::IdBirthDate)
        );
        let born_today = with_id_check("44060420261129123");
        assert!(IdNumber::parse(&born_today, today()).is_ok());
        let too_old = with_id_check("44060418991231123");
        assert_eq!(
            IdNumber::parse(&too_old, today()),
            Err(ValidationError::IdBirthDate)
        );
    }

    #[test]
    fn id_number_refuses_each_kind_of_error() {
        assert_eq!(IdNumber::parse("", today()), Err(ValidationError::Required));
        assert_eq!(
            IdNumber::parse("11010519491231002", today()),
            Err(ValidationError::IdLength)
        );
        assert_eq!(
            IdNumber::parse("110105194912310021X", today()),
            Err(ValidationError::IdLength)
        );
        assert_eq!(
            IdNumber::parse("1101051949123100X2", today()),
            Err(ValidationError::IdCharacter { position: 17 })
        );
        assert_eq!(
            IdNumber::parse("A1010519491231002X", today()),
            Err(ValidationError::IdCharacter { position: 1 })
        );
        let region = with_id_check("99060419800101123");
        assert_eq!(
            IdNumber::parse(&region, today()),
            Err(ValidationError::IdRegion)
        );
        assert_eq!(
            IdNumber::parse("110105194912310021", today()),
            Err(ValidationError::IdCheck)
        );
    }

    #[test]
    fn id_check_character_completes_a_number() {
        assert_eq!(id_check_character("11010519491231002"), Some('X'));
        assert_eq!(id_check_character("1101051949123100"), None);
        let id = format!(
            "44060419410315123{}",
            id_check_character("44060419410315123").unwrap()
        );
        assert!(IdNumber::parse(&id, today()).is_ok());
    }

    #[test]
    fn id_number_is_masked_in_debug_and_on_request() {
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.masked(), "1101**********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(1101**********002X)");
        assert!(!format!("{id:?}").contains("19491231"));
    }

    #[test]
    fn mobile_accepts_what_people_type() {
        for typed in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "008613800138000",
        ] {
            assert_eq!(
                Mobile::parse(typed).unwrap().expose(),
                "13800138000",
                "{typed}"
            );
        }
        assert!(Mobile::parse("19912345678").is_ok());
    }

    #[test]
    fn mobile_refuses_other_numbers() {
        assert_eq!(Mobile::parse(""), Err(ValidationError::Required));
        for bad in [
            "1380013800",
            "138001380001",
            "12800138000",
            "23800138000",
            "0757-83380000",
            "1380013800a",
            "+1 415 555 0100",
        ] {
            assert_eq!(
                Mobile::parse(bad),
                Err(ValidationError::MobileFormat),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_stored_numbers_mask_to_stars() {
        assert_eq!(mask_id_number("4406"), "*".repeat(18));
        assert_eq!(mask_mobile("1380"), "*".repeat(11));
    }

    #[test]
    fn mobile_is_masked() {
        let m = Mobile::parse("13800138000").unwrap();
        assert_eq!(m.masked(), "138****8000");
        assert_eq!(format!("{m:?}"), "Mobile(138****8000)");
    }

    #[test]
    fn serde_refuses_invalid_values() {
        assert!(serde_json::from_str::<Uscc>("\"91350100M000100Y43\"").is_ok());
        assert!(serde_json::from_str::<Uscc>("\"91350100M000100Y44\"").is_err());
        assert!(serde_json::from_str::<Mobile>("\"12345\"").is_err());
    }
}
