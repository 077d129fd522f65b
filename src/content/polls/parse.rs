//! Poll files, `content/polls/<id>.yaml`, read and validated.
//!
//! Takes a poll file's id and text and the site's settings, gives a [`Poll`] whose question
//! and options are resolved for every language of the site (see `text`) and whose opening
//! and closing instants are resolved in the site's timezone (closing dates are inclusive),
//! or the problems found.

use std::fmt;

use jiff::ZonedDateTime;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::text::{RawText, Texts};
use super::{Poll, PollKind, is_valid_id};
use crate::config::Config;
use crate::content::checks::check_language;
use crate::content::front_matter;
use crate::diagnostics::{Problem, did_you_mean};
use crate::yaml;

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

/// A poll file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoll {
    #[serde(default)]
    question: Option<RawText>,
    #[serde(default, deserialize_with = "raw_options")]
    options: Vec<RawText>,
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    kind: Option<String>,
    #[serde(default)]
    answer: Option<usize>,
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    opens: Option<String>,
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    closes: Option<String>,
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    lang: Option<String>,
}

/// A poll file, for messages about its keys.
const POLL_FILE: front_matter::Keyed = front_matter::Keyed {
    noun: "poll",
    prefix: "",
    lines_before: 0,
};

const POLL_KEYS: &[&str] = &[
    "question", "options", "kind", "answer", "opens", "closes", "lang",
];

/// Parses and validates one poll file against the site's settings.
pub fn parse(id: &str, source: &str, text: &str, config: &Config) -> Result<Poll, Vec<Problem>> {
    let at = |key: &str| yaml::key_position(text, key);
    let (raw, mut problems): (RawPoll, _) =
        front_matter::parse_keyed(source, text, POLL_KEYS, POLL_FILE)?;
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
    let mut texts = Texts::new(source, text, config, &own);
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
    // An unknown kind has its own problem; its `answer` is checked once the kind is known.
    let kind = poll_kind(source, text, raw.kind.as_deref(), &mut problems);
    if let Some(kind) = kind {
        problems.extend(check_answer(
            source,
            text,
            (kind, raw.answer),
            options.len(),
        ));
    }
    let mut date = |key: &str, value: &Option<String>, end_of_day: bool| -> Option<ZonedDateTime> {
        let text_value = value.as_deref()?;
        let tz = &config.timezone;
        let parsed = crate::dates::read_date(key, text_value, tz, true).and_then(|z| {
            if end_of_day && text_value.trim().len() == 10 {
                crate::dates::end_of_day(z.date(), tz)
                    .map_err(|message| (message, crate::dates::DATE_FORMATS.to_string()))
            } else {
                Ok(z)
            }
        });
        parsed
            .map_err(|(message, hint)| {
                problems.push(Problem::new(source, message).at_opt(at(key)).hint(hint));
            })
            .ok()
    };
    let opens = date("opens", &raw.opens, false);
    let closes = date("closes", &raw.closes, true);
    if let (Some(o), Some(c)) = (&opens, &closes)
        && c < o
    {
        problems.push(
            Problem::new(
                source,
                format!(
                    "the poll closes before it opens: `closes: {}` is earlier than `opens: {}`",
                    raw.closes.as_deref().unwrap_or_default().trim(),
                    raw.opens.as_deref().unwrap_or_default().trim()
                ),
            )
            .at_opt(at("closes"))
            .hint("`closes` is the last day of voting, so it cannot come before `opens`: correct the one that is wrong, or swap them"),
        );
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
        kind: kind.unwrap_or_default(),
        answer: raw.answer,
        opens,
        closes,
        lang: raw.lang,
    })
}

/// The kinds of poll, as poll files name them.
const POLL_KINDS: [PollKind; 3] = [PollKind::Single, PollKind::Multiple, PollKind::Quiz];

/// The poll's `kind` (`single` when not given), or none and a problem with the kind meant.
fn poll_kind(
    source: &str,
    text: &str,
    written: Option<&str>,
    problems: &mut Vec<Problem>,
) -> Option<PollKind> {
    let Some(written) = written.filter(|w| !w.trim().is_empty()) else {
        return Some(PollKind::default());
    };
    if let Some(kind) = POLL_KINDS.into_iter().find(|k| k.as_str() == written) {
        return Some(kind);
    }
    let names = POLL_KINDS.map(PollKind::as_str);
    let folded = written.trim().to_lowercase();
    let meant = names
        .into_iter()
        .find(|name| *name == folded)
        .or_else(|| did_you_mean(&folded, names));
    let kinds = "poll's kind is `single`, `multiple` or `quiz`";
    problems.push(
        Problem::new(source, format!("unknown poll kind `{written}`"))
            .at_opt(
                yaml::value_position(text, "kind", written).or(yaml::key_position(text, "kind")),
            )
            .hint(match meant {
                Some(kind) => format!("did you mean `{kind}`? A {kinds}"),
                None => format!("a {kinds}"),
            }),
    );
    None
}

/// What is wrong with a poll's `kind` and `answer`, given its number of options.
fn check_answer(
    source: &str,
    text: &str,
    (kind, answer): (PollKind, Option<usize>),
    options: usize,
) -> Option<Problem> {
    let at = |key: &str| yaml::key_position(text, key);
    match (kind, answer) {
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
