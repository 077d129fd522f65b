//! The poll model: one poll's definition and its rules, for the build and the vote service.
//!
//! Takes poll files (`content/polls/<id>.yaml`, read in `parse`, their per-language texts
//! resolved in `text`) or a file of definitions (`definition`), gives [`Poll`]s: the texts
//! in every language of the site, the kind, a quiz's answer, and the opening and closing
//! instants in the site's timezone. Here alone live the rules about a poll: its
//! [`PollState`] at an instant and when that next changes, which ballots it takes, when a
//! quiz's answer may be shown, and what of it may be published ([`Poll::public_definition`]).
//! [`Tally`] holds a poll's votes and their shares.

mod definition;
mod parse;
mod tally;
mod text;

use std::collections::BTreeMap;
use std::path::Path;

use jiff::{SignedDuration, Timestamp, ZonedDateTime};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::diagnostics::Problems;

/// Whether a poll id can stand in a URL and a file name (the rule shortcodes check too).
pub use crate::slug::is_valid_poll_id as is_valid_id;
pub use definition::{Definition, Index};
pub use parse::parse;
pub use tally::Tally;

/// The settings and polls of the site at `root`, for what needs its polls alone (the vote
/// service, `birge polls definitions`); the problems of site.yaml or of any poll file.
pub fn load(root: &Path) -> Result<(Config, Vec<Poll>), Problems> {
    let config = Config::load(root)?;
    let mut problems = Problems::default();
    let polls = super::load_polls(root, &config, &mut problems);
    if !problems.is_empty() {
        return Err(problems.sorted());
    }
    Ok((config, polls))
}

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
    /// The file the poll was read from: its poll file relative to the site root, or a
    /// definitions file.
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

/// Whether a poll takes votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PollState {
    /// Not taking votes yet.
    Upcoming,
    /// Taking votes.
    Open,
    /// No longer taking votes.
    Closed,
}

impl PollState {
    /// The state's name in the API and in templates.
    pub fn as_str(self) -> &'static str {
        match self {
            PollState::Upcoming => "upcoming",
            PollState::Open => "open",
            PollState::Closed => "closed",
        }
    }
}

/// The next change of a poll's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateChange {
    /// The first instant in the new state.
    pub at: Timestamp,
    /// The new state.
    pub to: PollState,
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

    /// The poll's state at `now`: upcoming before `opens`, closed after `closes` (both
    /// instants included in the open time), open otherwise.
    pub fn state_at(&self, now: Timestamp) -> PollState {
        if self.opens.as_ref().is_some_and(|o| now < o.timestamp()) {
            PollState::Upcoming
        } else if self.closes.as_ref().is_some_and(|c| now > c.timestamp()) {
            PollState::Closed
        } else {
            PollState::Open
        }
    }

    /// When the poll's state next changes after `now`, and into what; `None` when it never
    /// does. A poll opens at `opens` and is closed from just after `closes`.
    pub fn next_change_after(&self, now: Timestamp) -> Option<StateChange> {
        let opens = self.opens.as_ref().map(ZonedDateTime::timestamp);
        let just_after_closes = self.closes.as_ref().and_then(|c| {
            c.timestamp()
                .checked_add(SignedDuration::from_nanos(1))
                .ok()
        });
        let current = self.state_at(now);
        let mut candidates: Vec<Timestamp> = opens.into_iter().chain(just_after_closes).collect();
        candidates.sort();
        candidates
            .into_iter()
            .filter(|&at| at > now)
            .map(|at| StateChange {
                at,
                to: self.state_at(at),
            })
            .find(|change| change.to != current)
    }

    /// Checks a ballot against the poll: one option for single and quiz, one or more
    /// distinct options for multiple, every index in range. Gives the sorted options.
    pub fn check_ballot(&self, options: &[usize]) -> Option<Vec<usize>> {
        let mut sorted = options.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let in_range = sorted.iter().all(|&o| o < self.option_count());
        let count_ok = match self.kind {
            PollKind::Multiple => !sorted.is_empty() && sorted.len() == options.len(),
            PollKind::Single | PollKind::Quiz => options.len() == 1,
        };
        (in_range && count_ok).then_some(sorted)
    }

    /// A quiz's right option where it may be shown: once the quiz is closed, or to a reader
    /// who has voted in it. Never in a page or a file published while the quiz is open:
    /// readers would find it in the source.
    pub fn answer_shown(&self, state: PollState, voted: bool) -> Option<usize> {
        let reveal = self.kind == PollKind::Quiz && (state == PollState::Closed || voted);
        if reveal { self.answer } else { None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiz() -> Poll {
        parse(
            "p",
            "content/polls/p.yaml",
            "question: Q?\noptions: [a, b, c]\nkind: quiz\nanswer: 1\nopens: 2020-03-01\ncloses: 2020-04-30\n",
            &Config::for_test(),
        )
        .unwrap()
    }

    fn t(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn opening_and_closing_instants_are_open() {
        let quiz = quiz();
        assert_eq!(
            quiz.state_at(t("2020-02-29T17:59:59Z")),
            PollState::Upcoming
        );
        assert_eq!(quiz.state_at(t("2020-02-29T18:00:00Z")), PollState::Open);
        assert_eq!(
            quiz.state_at(t("2020-04-30T17:59:59.999999999Z")),
            PollState::Open
        );
        assert_eq!(quiz.state_at(t("2020-04-30T18:00:00Z")), PollState::Closed);
    }

    #[test]
    fn the_next_change_is_the_opening_then_just_after_the_closing() {
        let quiz = quiz();
        assert_eq!(
            quiz.next_change_after(t("2020-01-01T00:00:00Z")),
            Some(StateChange {
                at: t("2020-02-29T18:00:00Z"),
                to: PollState::Open
            })
        );
        assert_eq!(
            quiz.next_change_after(t("2020-02-29T18:00:00Z")),
            Some(StateChange {
                at: t("2020-04-30T18:00:00Z"),
                to: PollState::Closed
            })
        );
        assert_eq!(quiz.next_change_after(t("2020-04-30T18:00:00Z")), None);
        let always = Poll {
            opens: None,
            closes: None,
            ..quiz
        };
        assert_eq!(always.next_change_after(t("2020-01-01T00:00:00Z")), None);
    }

    #[test]
    fn ballots_by_kind() {
        let single = Poll {
            kind: PollKind::Single,
            answer: None,
            ..quiz()
        };
        let multiple = Poll {
            kind: PollKind::Multiple,
            ..single.clone()
        };
        assert_eq!(single.check_ballot(&[1]), Some(vec![1]));
        assert_eq!(single.check_ballot(&[0, 1]), None);
        assert_eq!(single.check_ballot(&[3]), None);
        assert_eq!(multiple.check_ballot(&[2, 0]), Some(vec![0, 2]));
        assert_eq!(multiple.check_ballot(&[0, 0]), None);
        assert_eq!(multiple.check_ballot(&[]), None);
        assert_eq!(quiz().check_ballot(&[2]), Some(vec![2]));
    }

    #[test]
    fn a_quiz_answer_shows_once_closed_or_to_its_voters() {
        let quiz = quiz();
        assert_eq!(quiz.answer_shown(PollState::Open, false), None);
        assert_eq!(quiz.answer_shown(PollState::Upcoming, false), None);
        assert_eq!(quiz.answer_shown(PollState::Open, true), Some(1));
        assert_eq!(quiz.answer_shown(PollState::Closed, false), Some(1));
    }
}
