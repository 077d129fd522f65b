//! `content/polls/<id>.yaml`: poll definitions, validated.
//!
//! Takes a poll file's id and text and the site's settings, gives a [`Poll`] whose question
//! and options are resolved for every language of the site and whose opening and closing
//! instants are resolved in the site's timezone (closing dates are inclusive), or the
//! problems found.
//!
//! A text is one string (in the poll's `lang`, else the site's default language) or a map
//! per language. A language left out shows the default language's text; where that is left
//! out too, the text in the poll's `lang`, else the first text given. Editors may write a
//! poll in Kazakh and Russian alone: every tree then shows one of those rather than failing.

use std::collections::BTreeMap;
use std::fmt;

use jiff::ZonedDateTime;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::checks::check_language;
use crate::config::Config;
use crate::diagnostics::{Problem, did_you_mean};
use crate::yaml;

/// What kind of answers a poll takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PollKind {
    /// One option.
    #[default]
    Single,
    /// Any number of options.
    Multiple,
    /// One option, and one of them is right.
    Quiz,
}

impl PollKind {
    /// The kind's name as in poll files.
    pub fn as_str(self) -> &'static str {
        match self {
            PollKind::Single => "single",
            PollKind::Multiple => "multiple",
            PollKind::Quiz => "quiz",
        }
    }
}

/// A poll's question and option labels in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollText {
    /// The question.
    pub question: String,
    /// The option labels, in the poll's order.
    pub options: Vec<String>,
}

/// A validated poll.
#[derive(Debug, Clone)]
pub struct Poll {
    /// The file's stem: the poll's id in URLs and front matter.
    pub id: String,
    /// The poll's file, relative to the site root.
    pub source: String,
    /// The question and labels in the site's default language.
    pub text: PollText,
    /// The question and labels in the site's other languages, where they differ from `text`.
    pub translations: BTreeMap<String, PollText>,
    /// Single, multiple or quiz.
    pub kind: PollKind,
    /// For a quiz: the index of the right option.
    pub answer: Option<usize>,
    /// Votes are taken from this instant on.
    pub opens: Option<ZonedDateTime>,
    /// Votes are taken until this instant (the end of the closing day).
    pub closes: Option<ZonedDateTime>,
    /// The language of the poll's single-string texts, when not the site's default.
    pub lang: Option<String>,
}

impl Poll {
    /// The question and labels in `lang`; the default language's for any other language.
    pub fn text(&self, lang: &str) -> &PollText {
        self.translations.get(lang).unwrap_or(&self.text)
    }

    /// How many options the poll has.
    pub fn option_count(&self) -> usize {
        self.text.options.len()
    }
}

/// A text as written: one string, or one per language in the file's order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RawText {
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

/// `options:`: a list of texts (one scalar reads as a list of one, nothing as none).
fn raw_options<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<RawText>, D::Error> {
    deserializer.deserialize_any(RawOptionsVisitor)
}

struct RawOptionsVisitor;

impl<'de> Visitor<'de> for RawOptionsVisitor {
    type Value = Vec<RawText>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of options")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(vec![RawText::One(v.to_string())])
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(vec![RawText::One(v.to_string())])
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(vec![RawText::One(v.to_string())])
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(vec![RawText::One(v.to_string())])
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(vec![RawText::One(v.to_string())])
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<RawText>()? {
            out.push(item);
        }
        Ok(out)
    }
    fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(
            "expected a list; for texts per language give each option its own map, like `- {en: Yes, kk: Иә, ru: Да}`",
        ))
    }
}
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoll {
    #[serde(default)]
    question: Option<RawText>,
    #[serde(default, deserialize_with = "raw_options")]
    options: Vec<RawText>,
    #[serde(default)]
    kind: PollKind,
    #[serde(default)]
    answer: Option<usize>,
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    opens: Option<String>,
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    closes: Option<String>,
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    lang: Option<String>,
}

const POLL_KEYS: &[&str] = &[
    "question", "options", "kind", "answer", "opens", "closes", "lang",
];

/// Whether a poll id can stand in a URL and a file name: `a-z`, `0-9`, `-` and `_`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Parses and validates one poll file against the site's settings.
pub fn parse(id: &str, source: &str, text: &str, config: &Config) -> Result<Poll, Vec<Problem>> {
    let at = |key: &str| yaml::key_position(text, key);
    let raw: RawPoll = yaml::parse(text).map_err(|e| {
        let mut problem = Problem::new(source, e.message.clone()).at_opt(e.line.zip(e.column));
        if let Some(key) = e.unknown_field() {
            problem.message = format!("unknown key `{key}` in poll");
            problem = problem.hint_opt(
                did_you_mean(key, POLL_KEYS.iter().copied())
                    .map(|k| format!("did you mean `{k}`?")),
            );
        }
        vec![problem]
    })?;
    let mut problems = Vec::new();
    if !is_valid_id(id) {
        problems.push(
            Problem::new(source, format!("poll id `{id}` cannot be used in URLs")).hint(
                "name the file with lowercase a-z, digits, `-` and `_`, e.g. mothers-forum.yaml",
            ),
        );
    }
    if let Some(lang) = &raw.lang {
        problems.extend(check_language(
            source,
            lang,
            &config.languages,
            yaml::value_position(text, "lang", lang),
        ));
    }
    let own = raw
        .lang
        .clone()
        .filter(|l| config.languages.contains(l))
        .unwrap_or_else(|| config.language.clone());
    let mut texts = Texts {
        source,
        text,
        config,
        own: &own,
        uses: BTreeMap::new(),
    };
    let question = raw
        .question
        .as_ref()
        .map(|q| texts.entries(q, "question", None, &mut problems))
        .filter(|q| !q.is_empty());
    if question.is_none() {
        problems.push(Problem::new(source, "the poll has no `question`").at(1, 1));
    }
    let options: Vec<Vec<(String, String)>> = raw
        .options
        .iter()
        .enumerate()
        .map(|(i, option)| texts.entries(option, "options", Some(i), &mut problems))
        .collect();
    let options_at = at("options").or(Some((1, 1)));
    if !(2..=10).contains(&options.len()) {
        problems.push(
            Problem::new(
                source,
                format!(
                    "a poll needs 2 to 10 options, this one has {}",
                    options.len()
                ),
            )
            .at_opt(options_at)
            .hint("list them like options: [\"Yes\", \"No\"]"),
        );
    }
    problems.extend(check_answer(source, text, &raw, options.len()));
    let mut date = |key: &str, value: &Option<String>, end_of_day: bool| -> Option<ZonedDateTime> {
        let text_value = value.as_deref()?;
        let tz = &config.timezone;
        let parsed = crate::dates::parse_date(text_value, tz).and_then(|z| {
            if end_of_day && text_value.trim().len() == 10 {
                crate::dates::end_of_day(z.date(), tz)
            } else {
                Ok(z)
            }
        });
        parsed
            .map_err(|message| problems.push(Problem::new(source, message).at_opt(at(key))))
            .ok()
    };
    let opens = date("opens", &raw.opens, false);
    let closes = date("closes", &raw.closes, true);
    if let (Some(o), Some(c)) = (&opens, &closes)
        && c < o
    {
        problems.push(Problem::new(source, "the poll closes before it opens").at_opt(at("closes")));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let (text, translations) = texts.resolve(&question.unwrap_or_default(), &options);
    Ok(Poll {
        id: id.to_string(),
        source: source.to_string(),
        text,
        translations,
        kind: raw.kind,
        answer: raw.answer,
        opens,
        closes,
        lang: raw.lang,
    })
}

/// What is wrong with a poll's `kind` and `answer`, given its number of options.
fn check_answer(source: &str, text: &str, raw: &RawPoll, options: usize) -> Option<Problem> {
    let at = |key: &str| yaml::key_position(text, key);
    match (raw.kind, raw.answer) {
        (PollKind::Quiz, None) => Some(
            Problem::new(
                source,
                "a quiz needs an `answer`: the index of the right option",
            )
            .at_opt(at("kind"))
            .hint("options count from 0: `answer: 0` is the first"),
        ),
        (PollKind::Quiz, Some(answer)) if answer >= options => Some(
            Problem::new(
                source,
                format!("`answer: {answer}` is not an option's index"),
            )
            .at_opt(at("answer"))
            .hint(format!(
                "options count from 0 to {}",
                options.saturating_sub(1)
            )),
        ),
        (PollKind::Single | PollKind::Multiple, Some(_)) => Some(
            Problem::new(source, "only a quiz has an `answer`")
                .at_opt(at("answer"))
                .hint("add `kind: quiz` or remove `answer`"),
        ),
        _ => None,
    }
}

/// Reads the texts of one poll file: checks their languages and finds what each language shows.
struct Texts<'a> {
    source: &'a str,
    text: &'a str,
    config: &'a Config,
    /// The language of single-string texts: the poll's `lang`, else the site's default.
    own: &'a str,
    /// How many maps under a key have used a language key so far: the n-th use of `kk`
    /// under `options` stands at the n-th `kk:` of that block.
    uses: BTreeMap<(String, String), usize>,
}

impl Texts<'_> {
    /// The texts of `raw` by language, in the file's order, those in languages the site does
    /// not have or given twice left out (and reported), like empty ones. `key` is where `raw`
    /// stands; `option` its index under `options`.
    fn entries(
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
    fn resolve(
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
    use super::*;

    fn config() -> Config {
        Config::for_test()
    }

    fn parse_text(text: &str) -> Result<Poll, Vec<Problem>> {
        parse("p", "content/polls/p.yaml", text, &config())
    }

    fn messages(text: &str) -> Vec<String> {
        parse_text(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_language_must_be_one_of_the_sites() {
        assert_eq!(
            messages("question: Q?\noptions: [a, b]\nlang: 'en\"><x>'\n"),
            [
                "error: content/polls/p.yaml:3:8: language `en\"><x>` is not one of the site's languages\n  hint: the site's languages are en, kk, ru; add it to `languages` in site.yaml"
            ]
        );
        assert_eq!(
            messages("question: Q?\noptions: [a, b]\nlang: de\n"),
            [
                "error: content/polls/p.yaml:3:7: language `de` is not one of the site's languages\n  hint: the site's languages are en, kk, ru; add it to `languages` in site.yaml"
            ]
        );
        assert_eq!(
            messages("question: Q?\noptions: [a, b]\nlang: kz\n"),
            [
                "error: content/polls/p.yaml:3:7: language `kz` is not one of the site's languages\n  hint: did you mean `kk`?"
            ]
        );
        let ok = parse_text("question: Сұрақ?\noptions: [а, б]\nlang: kk\n").unwrap();
        assert_eq!(ok.lang.as_deref(), Some("kk"));
        // Kazakh is the only text there is: every tree shows it.
        assert_eq!(ok.text("en").question, "Сұрақ?");
        assert_eq!(ok.text("ru").options, ["а", "б"]);
        assert!(ok.translations.is_empty());
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

    #[test]
    fn closing_day_is_inclusive() {
        let p = parse_text("question: Q?\noptions: [a, b]\ncloses: 2020-04-30\n").unwrap();
        assert_eq!(
            p.closes.unwrap().strftime("%Y-%m-%d %H:%M:%S").to_string(),
            "2020-04-30 23:59:59"
        );
    }

    #[test]
    fn dates_are_in_the_sites_timezone() {
        let config =
            Config::parse("title: T\nbase_url: https://x.kz\ntimezone: Europe/Moscow\n").unwrap();
        let p = parse(
            "p",
            "content/polls/p.yaml",
            "question: Q?\noptions: [a, b]\ncloses: 2020-04-30\n",
            &config,
        )
        .unwrap();
        assert_eq!(
            crate::dates::rfc3339(&p.closes.unwrap()),
            "2020-04-30T23:59:59+03:00"
        );
    }

    #[test]
    fn too_few_options() {
        assert_eq!(
            messages("question: Q?\noptions: [a]\n"),
            [
                "error: content/polls/p.yaml:2:1: a poll needs 2 to 10 options, this one has 1\n  hint: list them like options: [\"Yes\", \"No\"]"
            ]
        );
    }
}
