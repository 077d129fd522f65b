//! Per-language poll texts: a question or an option label as written, and what each language
//! of the site shows.
//!
//! Takes a text as written (one string, or a map per language) and the site's settings, gives
//! the texts by language (problems of unknown, repeated or empty languages placed at their
//! key), then the question and labels each language shows. A language left out shows the
//! default language's text; where that is left out too, the text in the poll's `lang`, else
//! the first text given. Editors may write a poll in Kazakh and Russian alone: every tree
//! then shows one of those rather than failing.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::PollText;
use crate::config::Config;
use crate::content::checks::check_language;
use crate::diagnostics::Problem;
use crate::yaml;

/// A text as written: one string, or one per language in the file's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RawText {
    One(String),
    PerLanguage(Vec<(String, String)>),
}

impl<'de> Deserialize<'de> for RawText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor { per_language: true })
    }
}

/// Any scalar as a string (`2020` reads as "2020", nothing as ""), and a map of them per
/// language when `per_language`.
struct TextVisitor {
    per_language: bool,
}

impl<'de> Visitor<'de> for TextVisitor {
    type Value = RawText;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.per_language {
            f.write_str("a text, or a map of texts per language like {en: ..., kk: ..., ru: ...}")
        } else {
            f.write_str("a text")
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawText, E> {
        Ok(RawText::One(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<RawText, E> {
        Ok(RawText::One(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawText, E> {
        Ok(RawText::One(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawText, E> {
        Ok(RawText::One(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawText, E> {
        Ok(RawText::One(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawText, E> {
        Ok(RawText::One(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<RawText, E> {
        Ok(RawText::One(String::new()))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawText, A::Error> {
        if !self.per_language {
            return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
        }
        let mut texts = Vec::new();
        while let Some((lang, text)) = map.next_entry::<Scalar, Scalar>()? {
            texts.push((lang.0, text.0));
        }
        Ok(RawText::PerLanguage(texts))
    }
}

/// One scalar as a string: a language code or a text in a per-language map.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_any(TextVisitor {
            per_language: false,
        })? {
            RawText::One(text) => Ok(Scalar(text)),
            RawText::PerLanguage(_) => Err(de::Error::custom("expected a text")),
        }
    }
}

/// Reads the texts of one poll file: checks their languages and finds what each language shows.
pub(super) struct Texts<'a> {
    source: &'a str,
    text: &'a str,
    config: &'a Config,
    /// The language of single-string texts: the poll's `lang`, else the site's default.
    own: &'a str,
    /// How many maps under a key have used a language key so far: the n-th use of `kk`
    /// under `options` stands at the n-th `kk:` of that block.
    uses: BTreeMap<(String, String), usize>,
}

impl<'a> Texts<'a> {
    /// The texts of the poll file `source`, whose text is `text`; `own` is the language of
    /// its single-string texts.
    pub(super) fn new(source: &'a str, text: &'a str, config: &'a Config, own: &'a str) -> Self {
        Texts {
            source,
            text,
            config,
            own,
            uses: BTreeMap::new(),
        }
    }

    /// The texts of `raw` by language, in the file's order, those in languages the site does
    /// not have or given twice left out (and reported), like empty ones. `key` is where `raw`
    /// stands; `option` its index under `options`.
    pub(super) fn entries(
        &mut self,
        raw: &RawText,
        key: &str,
        option: Option<usize>,
        problems: &mut Vec<Problem>,
    ) -> Vec<(String, String)> {
        let what = match option {
            Some(i) => format!("option {}", i + 1),
            None => "the question".to_string(),
        };
        let entries = match raw {
            RawText::One(text) => {
                if text.trim().is_empty() {
                    if option.is_some() {
                        problems.push(
                            Problem::new(self.source, "a poll option is empty")
                                .at_opt(yaml::key_position(self.text, key)),
                        );
                    }
                    return Vec::new();
                }
                return vec![(self.own.to_string(), text.clone())];
            }
            RawText::PerLanguage(entries) => entries,
        };
        let mut kept: Vec<(String, String)> = Vec::new();
        for (lang, text) in entries {
            let n = self
                .uses
                .entry((key.to_string(), lang.clone()))
                .or_default();
            let position = language_key_positions(self.text, key, lang)
                .get(*n)
                .copied()
                .or_else(|| yaml::key_position(self.text, key));
            *n += 1;
            if let Some(unknown) =
                check_language(self.source, lang, &self.config.languages, position)
            {
                problems.push(unknown);
            } else if kept.iter().any(|(l, _)| l == lang) {
                problems.push(
                    Problem::new(self.source, format!("{what} gives `{lang}` twice"))
                        .at_opt(position)
                        .hint("keep one text per language"),
                );
            } else if text.trim().is_empty() {
                problems.push(
                    Problem::new(self.source, format!("{what} is empty in `{lang}`"))
                        .at_opt(position)
                        .hint(if *lang == self.config.language {
                            "write the text: the other languages fall back to it".to_string()
                        } else {
                            format!(
                                "write the text, or leave `{lang}` out to show the {} text",
                                self.config.language
                            )
                        }),
                );
            } else {
                kept.push((lang.clone(), text.clone()));
            }
        }
        if kept.is_empty() && entries.is_empty() && option.is_some() {
            problems.push(
                Problem::new(self.source, "a poll option is empty")
                    .at_opt(yaml::key_position(self.text, key)),
            );
        }
        kept
    }

    /// The question and labels in the default language, and in each other language of the
    /// site where they differ from those.
    pub(super) fn resolve(
        &self,
        question: &[(String, String)],
        options: &[Vec<(String, String)>],
    ) -> (PollText, BTreeMap<String, PollText>) {
        let in_language = |lang: &str| PollText {
            question: self.pick(question, lang).to_string(),
            options: options
                .iter()
                .map(|o| self.pick(o, lang).to_string())
                .collect(),
        };
        let default = in_language(&self.config.language);
        let translations = self
            .config
            .languages
            .iter()
            .map(|lang| (lang.clone(), in_language(lang)))
            .filter(|(_, text)| *text != default)
            .collect();
        (default, translations)
    }

    /// The text shown in `lang`: its own, else the default language's, else the poll's
    /// language's, else the first given.
    fn pick<'e>(&self, entries: &'e [(String, String)], lang: &str) -> &'e str {
        [lang, self.config.language.as_str(), self.own]
            .iter()
            .find_map(|l| entries.iter().find(|(k, _)| k == l))
            .or(entries.first())
            .map_or("", |(_, text)| text.as_str())
    }
}

/// Where `lang:` stands as a map key in the block of the top-level `key` (`key: {kk: ...}`,
/// `  kk: ...`, `- {en: ..., kk: ...}`, quoted or not), in file order, 1-based.
fn language_key_positions(text: &str, key: &str, lang: &str) -> Vec<(usize, usize)> {
    let Some((key_line, _)) = yaml::key_position(text, key) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate().skip(key_line - 1) {
        let first = i + 1 == key_line;
        let blank = line.trim().is_empty() || line.trim_start().starts_with('#');
        if !first && !blank && !line.starts_with([' ', '\t', '-']) {
            break;
        }
        let from = if first {
            line.find(':').map_or(line.len(), |colon| colon + 1)
        } else {
            0
        };
        for (at, _) in line[from..].match_indices(lang) {
            let at = from + at;
            let quote = line[..at]
                .chars()
                .next_back()
                .filter(|c| matches!(c, '"' | '\''));
            let start = at - quote.map_or(0, char::len_utf8);
            let before = line[..start].chars().next_back();
            if !matches!(before, None | Some(' ' | '\t' | '{' | ',' | '-')) {
                continue;
            }
            let mut rest = &line[at + lang.len()..];
            if let Some(q) = quote {
                match rest.strip_prefix(q) {
                    Some(after) => rest = after,
                    None => continue,
                }
            }
            if rest.trim_start_matches([' ', '\t']).starts_with(':') {
                found.push((i + 1, line[..start].chars().count() + 1));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::content::polls::{Poll, PollText, parse};
    use crate::diagnostics::Problem;

    fn parse_text(text: &str) -> Result<Poll, Vec<Problem>> {
        parse("p", "content/polls/p.yaml", text, &Config::for_test())
    }

    fn messages(text: &str) -> Vec<String> {
        parse_text(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn texts_per_language_fall_back_to_the_default_language() {
        let poll = parse_text(
            "question:\n  en: When?\n  kk: Қашан?\n  ru: Когда?\noptions:\n  - {en: Yes, kk: Иә, ru: Да}\n  - No\n",
        )
        .unwrap();
        assert_eq!(
            poll.text,
            PollText {
                question: "When?".into(),
                options: vec!["Yes".into(), "No".into()]
            }
        );
        assert_eq!(poll.text("kk").question, "Қашан?");
        assert_eq!(poll.text("kk").options, ["Иә", "No"]);
        assert_eq!(poll.text("ru").options, ["Да", "No"]);
        // A language the site does not have gets the default text.
        assert_eq!(poll.text("de").question, "When?");
        assert_eq!(poll.option_count(), 2);
    }

    #[test]
    fn without_the_default_language_the_polls_own_or_first_text_shows() {
        let poll = parse_text("question: {ru: Когда?, kk: Қашан?}\noptions: [a, b]\n").unwrap();
        assert_eq!(poll.text("en").question, "Когда?");
        assert_eq!(poll.text("kk").question, "Қашан?");
        let poll =
            parse_text("question: {ru: Когда?, kk: Қашан?}\noptions: [a, b]\nlang: kk\n").unwrap();
        assert_eq!(poll.text("en").question, "Қашан?");
        assert_eq!(poll.text("ru").question, "Когда?");
    }

    #[test]
    fn unknown_languages_in_texts_are_placed_and_explained() {
        let text = "question:\n  en: When?\n  kz: Қашан?\noptions:\n  - {en: Yes, kz: Иә}\n  - en: No\n    kz: Жоқ\n    \"de\": Nein\n";
        assert_eq!(
            messages(text),
            [
                "error: content/polls/p.yaml:3:3: language `kz` is not one of the site's languages\n  hint: did you mean `kk`?",
                "error: content/polls/p.yaml:5:15: language `kz` is not one of the site's languages\n  hint: did you mean `kk`?",
                "error: content/polls/p.yaml:7:5: language `kz` is not one of the site's languages\n  hint: did you mean `kk`?",
                "error: content/polls/p.yaml:8:5: language `de` is not one of the site's languages\n  hint: the site's languages are en, kk, ru; add it to `languages` in site.yaml",
            ]
        );
    }

    #[test]
    fn empty_and_repeated_texts_are_refused() {
        assert_eq!(
            messages("question: {en: When?, kk: ''}\noptions: [a, b]\n"),
            [
                "error: content/polls/p.yaml:1:23: the question is empty in `kk`\n  hint: write the text, or leave `kk` out to show the en text"
            ]
        );
        assert_eq!(
            messages("question: Q?\noptions:\n  - {en: a, ru: б, ru: в}\n  - b\n"),
            [
                "error: content/polls/p.yaml:3:20: option 1 gives `ru` twice\n  hint: keep one text per language"
            ]
        );
        assert_eq!(
            messages("question: {}\noptions: [a, b]\n"),
            ["error: content/polls/p.yaml:1:1: the poll has no `question`"]
        );
        assert_eq!(
            messages("question: Q?\noptions: {en: [a, b], kk: [а, б]}\n")[0],
            "error: content/polls/p.yaml:2:10: options: expected a list; for texts per language give each option its own map, like `- {en: Yes, kk: Иә, ru: Да}`"
        );
    }
}
