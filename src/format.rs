//! Money and dates as people read them, in each locale.
//!
//! Money is integer fen everywhere; it becomes yuan only here, as text. Times travel and are
//! stored in UTC; they are shown in Asia/Shanghai (UTC+8 all year: China has no daylight time).

use api::text::fill;
use api::Date;

use crate::i18n::Messages;

/// Fen as yuan with thousands separators and two decimals: `¥1,234.50`, `-¥0.05`.
pub fn money(fen: i64) -> String {
    api::text::yuan(fen)
}

/// A date in the locale's words: `2026年11月29日`, `29 Nov 2026`.
pub fn date(m: &Messages, d: Date) -> String {
    let month = m
        .format
        .months
        .split(' ')
        .nth(usize::from(d.month()) - 1)
        .unwrap_or_default();
    fill(
        m.format.date,
        &[
            ("year", &d.year().to_string()),
            ("month", month),
            ("day", &d.day().to_string()),
        ],
    )
}

/// China Standard Time: UTC+8, with no daylight saving time.
const SHANGHAI_OFFSET_MS: i64 = 8 * 3600 * 1000;

/// A UTC instant (milliseconds since the Unix epoch) as a date and time in Asia/Shanghai:
/// `2026年11月29日 10:19`, `29 Nov 2026, 10:19`.
pub fn datetime(m: &Messages, utc_ms: i64) -> String {
    let local = utc_ms + SHANGHAI_OFFSET_MS;
    let day = local.div_euclid(86_400_000);
    let minutes = local.rem_euclid(86_400_000) / 60_000;
    let time = format!("{:02}:{:02}", minutes / 60, minutes % 60);
    fill(
        m.format.datetime,
        &[
            ("date", &date(m, Date::from_days_since_epoch(day))),
            ("time", &time),
        ],
    )
}

/// Today's date in Asia/Shanghai, by the device's clock.
pub fn today() -> Date {
    let now = js_sys::Date::now() as i64 + SHANGHAI_OFFSET_MS;
    Date::from_days_since_epoch(now.div_euclid(86_400_000))
}

/// Reads a stored UTC timestamp (`2026-11-28T18:19:05.123Z`, as the server writes them) as
/// milliseconds since the Unix epoch.
pub fn parse_utc(stamp: &str) -> Option<i64> {
    let date: Date = stamp.get(..10)?.parse().ok()?;
    let b = stamp.as_bytes();
    if b.get(10) != Some(&b'T') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| stamp.get(r)?.parse::<i64>().ok();
    let (h, m, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let ms = if b.get(19) == Some(&b'.') {
        num(20..23).unwrap_or(0)
    } else {
        0
    };
    Some(date.days_since_epoch() * 86_400_000 + ((h * 60 + m) * 60 + s) * 1000 + ms)
}

/// A stored UTC timestamp shown in Asia/Shanghai, or the text itself if it does not read.
pub fn stamp(m: &Messages, stamp: &str) -> String {
    parse_utc(stamp).map_or_else(|| stamp.to_owned(), |ms| datetime(m, ms))
}

/// The message for a refused identifier, from the locale files.
pub fn validation(m: &Messages, e: api::ValidationError) -> String {
    use api::ValidationError as V;
    let v = &m.validation;
    let template = match e {
        V::Required => v.required,
        V::UsccLength => v.uscc_length,
        V::UsccCharacter { .. } => v.uscc_character,
        V::UsccCheck => v.uscc_check,
        V::IdLength => v.id_length,
        V::IdCharacter { .. } => v.id_character,
        V::IdRegion => v.id_region,
        V::IdBirthDate => v.id_birth_date,
        V::IdCheck => v.id_check,
        V::MobileFormat => v.mobile_format,
    };
    fill(
        template,
        &[("position", &e.position().unwrap_or(0).to_string())],
    )
}

/// A Chinese article citation in English: `第三条` → `Article 3`, `第十二条第二款` → `Article 12,
/// paragraph 2`; anything else as it is.
pub fn clause_en(clause: &str) -> String {
    fn numeral(s: &str) -> Option<u32> {
        let digit = |c: char| {
            "零一二三四五六七八九"
                .chars()
                .position(|d| d == c)
                .map(|n| n as u32)
        };
        let chars: Vec<char> = s.chars().collect();
        match chars.as_slice() {
            [d] if *d != '十' => digit(*d),
            ['十'] => Some(10),
            ['十', u] => Some(10 + digit(*u)?),
            [t, '十'] => Some(digit(*t)? * 10),
            [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
            _ => None,
        }
    }
    let part = |s: &str, unit: char| -> Option<(u32, usize)> {
        let rest = s.strip_prefix('第')?;
        let end = rest.find(unit)?;
        Some((
            numeral(&rest[..end])?,
            '第'.len_utf8() + end + unit.len_utf8(),
        ))
    };
    let Some((article, used)) = part(clause, '条') else {
        return clause.to_owned();
    };
    let rest = &clause[used..];
    match part(rest, '款') {
        Some((paragraph, n)) if n == rest.len() => {
            format!("Article {article}, paragraph {paragraph}")
        }
        None if rest.is_empty() => format!("Article {article}"),
        _ => clause.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_citations_read_in_english() {
        assert_eq!(clause_en("第三条"), "Article 3");
        assert_eq!(clause_en("第十二条第二款"), "Article 12, paragraph 2");
        assert_eq!(clause_en("第二十条"), "Article 20");
        assert_eq!(clause_en("第十条"), "Article 10");
        assert_eq!(clause_en("附件一"), "附件一");
        assert_eq!(clause_en("第三条之一"), "第三条之一");
    }
    use crate::i18n::Locale;

    #[test]
    fn money_in_yuan() {
        assert_eq!(money(123_450), "¥1,234.50");
        assert_eq!(money(0), "¥0.00");
        assert_eq!(money(5), "¥0.05");
        assert_eq!(money(100), "¥1.00");
        assert_eq!(money(99_999), "¥999.99");
        assert_eq!(money(100_000), "¥1,000.00");
        assert_eq!(money(2_000_000_000), "¥20,000,000.00");
        assert_eq!(money(-5), "-¥0.05");
        assert_eq!(money(i64::MIN), "-¥92,233,720,368,547,758.08");
    }

    #[test]
    fn dates_per_locale() {
        let d = Date::new(2026, 11, 29).unwrap();
        assert_eq!(date(Locale::ZhCn.messages(), d), "2026年11月29日");
        assert_eq!(date(Locale::En.messages(), d), "29 Nov 2026");
        let d = Date::new(2024, 2, 9).unwrap();
        assert_eq!(date(Locale::ZhCn.messages(), d), "2024年2月9日");
        assert_eq!(date(Locale::En.messages(), d), "9 Feb 2024");
    }

    #[test]
    fn reads_stored_timestamps() {
        let ms = parse_utc("2026-11-28T18:19:05.123Z").unwrap();
        assert_eq!(
            datetime(Locale::ZhCn.messages(), ms),
            "2026年11月29日 02:19"
        );
        assert_eq!(ms % 1000, 123);
        assert_eq!(parse_utc("2026-11-28 18:19:05"), None);
        assert_eq!(stamp(Locale::En.messages(), "nonsense"), "nonsense");
    }

    #[test]
    fn validation_messages_come_from_the_locale() {
        let m = Locale::ZhCn.messages();
        assert_eq!(
            validation(m, api::ValidationError::MobileFormat),
            "请输入 11 位手机号码"
        );
        assert_eq!(
            validation(m, api::ValidationError::IdCharacter { position: 5 }),
            "身份证号码第 5 位字符不正确"
        );
    }

    #[test]
    fn times_are_shown_in_shanghai() {
        // 2026-11-28T18:19:05Z is 02:19 on 29 November in Shanghai.
        let utc_ms = Date::new(2026, 11, 28).unwrap().days_since_epoch() * 86_400_000
            + (18 * 3600 + 19 * 60 + 5) * 1000;
        assert_eq!(
            datetime(Locale::ZhCn.messages(), utc_ms),
            "2026年11月29日 02:19"
        );
        assert_eq!(
            datetime(Locale::En.messages(), utc_ms),
            "29 Nov 2026, 02:19"
        );
        // Before the epoch, too.
        assert_eq!(datetime(Locale::En.messages(), -1), "1 Jan 1970, 07:59");
    }
}
