//! The app's languages and their messages, generated from `locales/*.json` by `build.rs`.

include!(concat!(env!("OUT_DIR"), "/messages.rs"));

/// A language of the app. zh-CN comes first and is the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Locale {
    #[default]
    ZhCn,
    En,
}

impl Locale {
    /// The BCP 47 tag, as in `<html lang>` and `Accept-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// The locale a tag names (`zh`, `zh-CN`, `zh-Hans-CN`, `en`, `en-GB`, …), if any.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let tag = tag.trim().to_ascii_lowercase();
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        match primary {
            "zh" => Some(Locale::ZhCn),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// Every message in this language.
    pub fn messages(self) -> &'static Messages {
        match self {
            Locale::ZhCn => &ZH_CN,
            Locale::En => &EN,
        }
    }

    /// The language the switch offers from this one.
    pub fn other(self) -> Locale {
        match self {
            Locale::ZhCn => Locale::En,
            Locale::En => Locale::ZhCn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tags() {
        assert_eq!(Locale::from_tag("zh-CN"), Some(Locale::ZhCn));
        assert_eq!(Locale::from_tag("zh_Hans_CN"), Some(Locale::ZhCn));
        assert_eq!(Locale::from_tag("EN-gb"), Some(Locale::En));
        assert_eq!(Locale::from_tag("fr"), None);
        assert_eq!(Locale::from_tag(Locale::En.tag()), Some(Locale::En));
    }

    #[test]
    fn each_locale_has_its_own_words() {
        assert_eq!(Locale::ZhCn.messages().nav.home, "首页");
        assert_eq!(Locale::En.messages().nav.home, "Home");
        assert_eq!(Locale::ZhCn.other(), Locale::En);
    }
}
