//! Message templates shared by the app and the server.

/// Replaces each `{{ name }}` (spaces optional) in a locale file's message with its value.
/// An unknown name is left as it is, so a missing value shows rather than vanishes.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = rest[start + 2..start + len].trim();
        match args.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => out.push_str(value),
            None => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// An amount of fen as yuan with thousands separators: `¥1,234.50` (money is integer fen
/// everywhere; this is where it becomes text, for the app and the server's messages alike).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}¥{grouped}.{:02}", fen % 100)
}

/// An amount of fen as a person types yuan: `1200000.50`, `300` (no sign, no separators).
pub fn plain_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    match fen % 100 {
        0 => format!("{sign}{}", fen / 100),
        cents => format!("{sign}{}.{cents:02}", fen / 100),
    }
}

/// Yuan as typed (`1,200,000.5`, `¥300`; ASCII digits, at most two decimals, not negative) in
/// fen; `None` for anything else.
pub fn parse_yuan(text: &str) -> Option<i64> {
    let text: String = text
        .trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
        .collect();
    let (whole, cents) = match text.split_once('.') {
        Some((w, c)) => (w, c),
        None => (text.as_str(), ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || cents.len() > 2 || (!cents.is_empty() && !digits(cents)) {
        return None;
    }
    let cents: i64 = format!("{cents:0<2}").parse().ok()?;
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)
}

#[cfg(test)]
mod tests {
    use super::{fill, parse_yuan, plain_yuan};

    #[test]
    fn yuan_as_typed_round_trips() {
        assert_eq!(parse_yuan("1,200,000.5"), Some(120_000_050));
        assert_eq!(parse_yuan("¥300"), Some(30_000));
        assert_eq!(parse_yuan(" 0.05 "), Some(5));
        for bad in [
            "",
            "-5",
            "12.345",
            "1.2.3",
            "abc",
            "1e3",
            ".5",
            "99999999999999999999",
        ] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
        for fen in [0, 5, 30_000, 120_000_050] {
            assert_eq!(parse_yuan(&plain_yuan(fen)), Some(fen));
        }
        assert_eq!(plain_yuan(120_000_050), "1200000.50");
        assert_eq!(plain_yuan(30_000), "300");
    }

    #[test]
    fn fills_placeholders() {
        let args = [("field", "kind"), ("line", "3")];
        assert_eq!(
            fill("字段 {{ field }} 第{{line}}行", &args),
            "字段 kind 第3行"
        );
        assert_eq!(fill("{{ unknown }} stays", &args), "{{ unknown }} stays");
        assert_eq!(fill("unclosed {{ field", &args), "unclosed {{ field");
        assert_eq!(fill("no placeholders", &args), "no placeholders");
    }
}
