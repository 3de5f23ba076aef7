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

#[cfg(test)]
mod tests {
    use super::fill;

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
