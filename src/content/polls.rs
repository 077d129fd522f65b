//! `content/polls/<id>.yaml`: poll definitions, validated.
//!
//! Takes a poll file's id and text, gives a [`Poll`] whose opening and closing instants are
//! resolved in the site's timezone (closing dates are inclusive), or the problems found.

use jiff::ZonedDateTime;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

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

/// A validated poll.
#[derive(Debug, Clone)]
pub struct Poll {
    /// The file's stem: the poll's id in URLs and front matter.
    pub id: String,
    /// The poll's file, relative to the site root.
    pub source: String,
    /// The question.
    pub question: String,
    /// 2 to 10 option labels.
    pub options: Vec<String>,
    /// Single, multiple or quiz.
    pub kind: PollKind,
    /// For a quiz: the index of the right option.
    pub answer: Option<usize>,
    /// Votes are taken from this instant on.
    pub opens: Option<ZonedDateTime>,
    /// Votes are taken until this instant (the end of the closing day).
    pub closes: Option<ZonedDateTime>,
    /// The poll's language, when not the site's default.
    pub lang: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoll {
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    question: Option<String>,
    #[serde(default, deserialize_with = "yaml::scalar_strings")]
    options: Vec<String>,
    #[serde(default)]
    kind: PollKind,
    #[serde(default)]
    answer: Option<usize>,
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    opens: Option<String>,
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    closes: Option<String>,
    #[serde(default)]
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

/// Parses and validates one poll file.
pub fn parse(id: &str, source: &str, text: &str, tz: &TimeZone) -> Result<Poll, Vec<Problem>> {
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
    let question = raw.question.filter(|q| !q.trim().is_empty());
    if question.is_none() {
        problems.push(Problem::new(source, "the poll has no `question`").at(1, 1));
    }
    let options_at = at("options").or(Some((1, 1)));
    if !(2..=10).contains(&raw.options.len()) {
        problems.push(
            Problem::new(
                source,
                format!(
                    "a poll needs 2 to 10 options, this one has {}",
                    raw.options.len()
                ),
            )
            .at_opt(options_at)
            .hint("list them like options: [\"Yes\", \"No\"]"),
        );
    }
    if raw.options.iter().any(|o| o.trim().is_empty()) {
        problems.push(Problem::new(source, "a poll option is empty").at_opt(options_at));
    }
    match (raw.kind, raw.answer) {
        (PollKind::Quiz, None) => problems.push(
            Problem::new(
                source,
                "a quiz needs an `answer`: the index of the right option",
            )
            .at_opt(at("kind"))
            .hint("options count from 0: `answer: 0` is the first"),
        ),
        (PollKind::Quiz, Some(answer)) if answer >= raw.options.len() => problems.push(
            Problem::new(
                source,
                format!("`answer: {answer}` is not an option's index"),
            )
            .at_opt(at("answer"))
            .hint(format!(
                "options count from 0 to {}",
                raw.options.len().saturating_sub(1)
            )),
        ),
        (PollKind::Single | PollKind::Multiple, Some(_)) => problems.push(
            Problem::new(source, "only a quiz has an `answer`")
                .at_opt(at("answer"))
                .hint("add `kind: quiz` or remove `answer`"),
        ),
        _ => {}
    }
    if let Some(lang) = &raw.lang
        && !((2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase()))
    {
        problems.push(
            Problem::new(source, format!("`{lang}` is not a language code"))
                .at_opt(at("lang"))
                .hint("use two- or three-letter codes such as en, kk, ru"),
        );
    }
    let mut date = |key: &str, value: &Option<String>, end_of_day: bool| -> Option<ZonedDateTime> {
        let text_value = value.as_deref()?;
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
    Ok(Poll {
        id: id.to_string(),
        source: source.to_string(),
        question: question.unwrap_or_default(),
        options: raw.options,
        kind: raw.kind,
        answer: raw.answer,
        opens,
        closes,
        lang: raw.lang,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_must_be_a_code() {
        let tz = TimeZone::UTC;
        let text = "question: Q?\noptions: [a, b]\nlang: 'en\"><x>'\n";
        let problems = parse("p", "content/polls/p.yaml", text, &tz).unwrap_err();
        assert!(problems[0].message.contains("is not a language code"));
        let ok = parse(
            "p",
            "content/polls/p.yaml",
            "question: Q?\noptions: [a, b]\nlang: kk\n",
            &tz,
        );
        assert_eq!(ok.unwrap().lang.as_deref(), Some("kk"));
    }

    fn tz() -> TimeZone {
        crate::dates::parse_timezone("Asia/Almaty").unwrap()
    }

    #[test]
    fn closing_day_is_inclusive() {
        let p = parse(
            "p",
            "content/polls/p.yaml",
            "question: Q?\noptions: [a, b]\ncloses: 2020-04-30\n",
            &tz(),
        )
        .unwrap();
        assert_eq!(
            p.closes.unwrap().strftime("%Y-%m-%d %H:%M:%S").to_string(),
            "2020-04-30 23:59:59"
        );
    }

    #[test]
    fn too_few_options() {
        let e = parse(
            "p",
            "content/polls/p.yaml",
            "question: Q?\noptions: [a]\n",
            &tz(),
        )
        .unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "error: content/polls/p.yaml:2:1: a poll needs 2 to 10 options, this one has 1\n  hint: list them like options: [\"Yes\", \"No\"]"
        );
    }
}
