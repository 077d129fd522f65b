//! Poll definitions as JSON: what `birge polls definitions` prints (every answer), what a
//! build publishes as `/polls/index.json` (no answer of an open quiz), and what the vote
//! service reads back with `--polls FILE`.
//!
//! Takes [`Poll`]s, gives [`Definition`]s and an [`Index`] of them; takes a definition read
//! from a file, gives a [`Poll`] or the problems that keep the service from using it.

use std::collections::BTreeMap;

use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ZonedDateTime};
use serde::{Deserialize, Serialize};

use super::{Poll, PollKind, PollText, is_valid_id};
use crate::config::Config;
use crate::diagnostics::Problem;

/// A poll's definition as JSON, its texts per language and its instants in RFC 3339.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    /// The poll's id.
    pub id: String,
    /// The question in the site's default language.
    pub question: String,
    /// Option labels in the site's default language.
    pub options: Vec<String>,
    /// The question and labels in the site's other languages, where they differ.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<String, PollText>,
    /// single, multiple or quiz.
    pub kind: PollKind,
    /// A quiz's right option; a build's `polls/index.json` has it only once the quiz closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<usize>,
    /// Votes are taken from this instant (RFC 3339).
    #[serde(default)]
    pub opens: Option<String>,
    /// Votes are taken until this instant (RFC 3339; the end of the closing day).
    #[serde(default)]
    pub closes: Option<String>,
    /// The language of the poll's single-string texts, when set.
    #[serde(default)]
    pub lang: Option<String>,
    /// The poll's page on the site (in the default language's tree).
    #[serde(default)]
    pub url: Option<String>,
}

impl Poll {
    /// The poll's full definition, a quiz's answer included: for the vote service only.
    pub fn definition(&self) -> Definition {
        Definition {
            id: self.id.clone(),
            question: self.text.question.clone(),
            options: self.text.options.clone(),
            translations: self.translations.clone(),
            kind: self.kind,
            answer: self.answer,
            opens: self.opens.as_ref().map(crate::dates::rfc3339),
            closes: self.closes.as_ref().map(crate::dates::rfc3339),
            lang: self.lang.clone(),
            url: Some(crate::routes::poll("/", &self.id)),
        }
    }

    /// The definition anyone may read at `now`: a quiz's answer only once the quiz closed.
    pub fn public_definition(&self, now: Timestamp) -> Definition {
        Definition {
            answer: self.answer_shown(self.state_at(now), false),
            ..self.definition()
        }
    }
}

impl Definition {
    /// The poll this definition describes, read from `file`; what is wrong with it otherwise.
    /// Instants keep the offset they were written with.
    pub fn into_poll(self, file: &str) -> Result<Poll, Vec<Problem>> {
        let problems = self.problems(file);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Poll {
            opens: self.opens.as_deref().and_then(instant),
            closes: self.closes.as_deref().and_then(instant),
            id: self.id,
            source: file.to_string(),
            text: PollText {
                question: self.question,
                options: self.options,
            },
            translations: self.translations,
            kind: self.kind,
            answer: self.answer,
            lang: self.lang,
        })
    }

    /// What keeps the service from using this definition, read from `file`.
    fn problems(&self, file: &str) -> Vec<Problem> {
        let id = &self.id;
        let mut problems = Vec::new();
        let mut problem = |message: String| problems.push(Problem::new(file, message));
        if !is_valid_id(id) {
            problem(format!("poll id `{id}` cannot be used in URLs"));
        }
        if !(2..=10).contains(&self.options.len()) {
            problem(format!(
                "the poll `{id}` has {} options; a poll has 2 to 10",
                self.options.len()
            ));
        }
        for (lang, text) in &self.translations {
            if text.options.len() != self.options.len() {
                problem(format!(
                    "the poll `{id}` has {} options, and {} in `{lang}`",
                    self.options.len(),
                    text.options.len()
                ));
            }
        }
        for (key, value) in [("opens", &self.opens), ("closes", &self.closes)] {
            if let Some(value) = value
                && instant(value).is_none()
            {
                problem(format!(
                    "the poll `{id}` {key} at `{value}`, which is not an RFC 3339 instant like 2020-04-30T23:59:59+06:00"
                ));
            }
        }
        match (self.kind, self.answer) {
            (PollKind::Quiz, Some(answer)) if answer >= self.options.len() => problem(format!(
                "the answer of the quiz `{id}` is not an option's index"
            )),
            (PollKind::Quiz, None) => problems.push(
                Problem::new(file, format!("the quiz `{id}` has no answer"))
                    .hint("a build's polls/index.json leaves out the answers of open quizzes; give the service the file that `birge polls definitions > polls.json` writes, or --root with the site's folder"),
            ),
            _ => {}
        }
        problems
    }
}

/// An RFC 3339 instant, seen from the offset it was written with.
fn instant(text: &str) -> Option<ZonedDateTime> {
    let at: Timestamp = text.parse().ok()?;
    let offset = jiff::fmt::temporal::Pieces::parse(text)
        .ok()
        .and_then(|pieces| pieces.to_numeric_offset())
        .unwrap_or(Offset::UTC);
    Some(at.to_zoned_datetime(TimeZone::fixed(offset)))
}

/// Poll definitions as a file: what `birge polls definitions` prints (every answer) and what
/// a build writes as `/polls/index.json` (no answer of an open quiz).
#[derive(Debug, Serialize, Deserialize)]
pub struct Index {
    /// The site's default language: `question` and `options` are in it.
    #[serde(default)]
    pub language: String,
    /// The site's languages.
    #[serde(default)]
    pub languages: Vec<String>,
    /// The polls, sorted by id.
    pub polls: Vec<Definition>,
}

impl Index {
    /// Every poll's full definition, quiz answers included: for the vote service only.
    pub fn definitions(config: &Config, polls: &[Poll]) -> Index {
        Index::of(config, polls.iter().map(Poll::definition))
    }

    /// What a build running at `now` publishes: no answer of a quiz still open.
    pub fn public(config: &Config, polls: &[Poll], now: Timestamp) -> Index {
        Index::of(config, polls.iter().map(|p| p.public_definition(now)))
    }

    fn of(config: &Config, definitions: impl Iterator<Item = Definition>) -> Index {
        let mut polls: Vec<Definition> = definitions.collect();
        polls.sort_by(|a, b| a.id.cmp(&b.id));
        Index {
            language: config.language.clone(),
            languages: config.languages.clone(),
            polls,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::polls::parse;

    fn quiz() -> Poll {
        parse(
            "p",
            "content/polls/p.yaml",
            "question: {en: Q?, kk: С?}\noptions: [a, b, c]\nkind: quiz\nanswer: 1\nopens: 2020-03-01\ncloses: 2020-04-30\n",
            &Config::for_test(),
        )
        .unwrap()
    }

    #[test]
    fn an_open_quiz_publishes_no_answer() {
        let quiz = quiz();
        let open = "2020-04-01T00:00:00Z".parse().unwrap();
        let closed = "2020-05-01T00:00:00Z".parse().unwrap();
        assert_eq!(quiz.definition().answer, Some(1));
        assert_eq!(quiz.public_definition(open).answer, None);
        assert_eq!(quiz.public_definition(closed).answer, Some(1));
        assert_eq!(
            quiz.public_definition(open),
            Definition {
                answer: None,
                ..quiz.definition()
            }
        );
    }

    #[test]
    fn a_definition_reads_back_as_its_poll() {
        let quiz = quiz();
        let definition = quiz.definition();
        assert_eq!(
            definition.opens.as_deref(),
            Some("2020-03-01T00:00:00+06:00")
        );
        assert_eq!(definition.url.as_deref(), Some("/polls/p/"));
        let read = definition.clone().into_poll("polls.json").unwrap();
        assert_eq!(read.definition(), definition);
        assert_eq!(read.source, "polls.json");
        assert_eq!(read.text("kk").question, "С?");
        let now = "2020-04-30T17:59:59Z".parse().unwrap();
        assert_eq!(read.state_at(now), quiz.state_at(now));
    }

    #[test]
    fn a_definition_the_service_cannot_use_is_refused() {
        let broken = Definition {
            id: "Bad id".into(),
            options: vec!["a".into()],
            answer: None,
            closes: Some("2020-04-31".into()),
            ..quiz().definition()
        };
        let messages: Vec<String> = broken
            .into_poll("polls.json")
            .unwrap_err()
            .iter()
            .map(|p| p.message.clone())
            .collect();
        assert_eq!(
            messages,
            [
                "poll id `Bad id` cannot be used in URLs",
                "the poll `Bad id` has 1 options; a poll has 2 to 10",
                "the poll `Bad id` has 1 options, and 3 in `kk`",
                "the poll `Bad id` closes at `2020-04-31`, which is not an RFC 3339 instant like 2020-04-30T23:59:59+06:00",
                "the quiz `Bad id` has no answer",
            ]
        );
    }
}
