//! Text that may be written once or once per language: `title: APK` or
//! `title: {en: APK, kk: ҚХА, ru: АНК}`.
//!
//! Takes the YAML value as written ([`Written`]), gives [`Localized`] text whose
//! [`get`](Localized::get) falls back to the default language where a language is left out.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Text as written in a data file: one string, or a map from language code to string.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Written {
    /// The same text in every language.
    One(String),
    /// Text per language code.
    PerLanguage(BTreeMap<String, String>),
}

/// Why written text cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// A key that is not one of the site's languages.
    UnknownLanguage(String),
    /// The map has no text in the default language to fall back on.
    NoDefault,
    /// The text is empty.
    Empty,
}

/// Text in the site's languages, with the default language's text to fall back on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Localized {
    default: String,
    others: BTreeMap<String, String>,
}

impl Localized {
    /// The same text in every language.
    pub fn same(text: impl Into<String>) -> Localized {
        Localized {
            default: text.into(),
            others: BTreeMap::new(),
        }
    }

    /// Validates written text against the site's languages (the default first).
    pub fn from_written(written: Written, languages: &[String]) -> Result<Localized, Invalid> {
        let default_lang = languages.first().map(String::as_str).unwrap_or("en");
        match written {
            Written::One(text) if text.trim().is_empty() => Err(Invalid::Empty),
            Written::One(text) => Ok(Localized::same(text)),
            Written::PerLanguage(mut map) => {
                if let Some(unknown) = map.keys().find(|k| !languages.contains(k)) {
                    return Err(Invalid::UnknownLanguage(unknown.clone()));
                }
                map.retain(|_, text| !text.trim().is_empty());
                let default = map.remove(default_lang).ok_or(Invalid::NoDefault)?;
                Ok(Localized {
                    default,
                    others: map,
                })
            }
        }
    }

    /// The text in `lang`, else in the default language.
    pub fn get(&self, lang: &str) -> &str {
        self.others.get(lang).unwrap_or(&self.default)
    }

    /// The text in the default language.
    pub fn default_text(&self) -> &str {
        &self.default
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn languages() -> Vec<String> {
        vec!["en".into(), "kk".into(), "ru".into()]
    }

    #[test]
    fn falls_back_to_the_default_language() {
        let map = BTreeMap::from([("en".into(), "APK".into()), ("kk".into(), "ҚХА".into())]);
        let text = Localized::from_written(Written::PerLanguage(map), &languages()).unwrap();
        assert_eq!(text.get("kk"), "ҚХА");
        assert_eq!(text.get("ru"), "APK");
        assert_eq!(text.get("en"), "APK");
    }

    #[test]
    fn refuses_unknown_languages_and_a_missing_default() {
        let map = BTreeMap::from([("en".into(), "APK".into()), ("kz".into(), "ҚХА".into())]);
        assert_eq!(
            Localized::from_written(Written::PerLanguage(map), &languages()),
            Err(Invalid::UnknownLanguage("kz".into()))
        );
        let map = BTreeMap::from([("kk".into(), "ҚХА".into())]);
        assert_eq!(
            Localized::from_written(Written::PerLanguage(map), &languages()),
            Err(Invalid::NoDefault)
        );
    }
}
