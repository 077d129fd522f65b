//! Polls beyond their files: definitions as the vote service sees them, tallies, the JSON
//! bodies of the API, the SQLite store and the service itself.
//!
//! Takes poll definitions (from `content/polls/` or a build's `polls/index.json`) and a store
//! file, gives [`Definition`]s, [`Tally`]s and [`PollBody`]s; [`service`] serves them over HTTP.

pub mod limit;
pub mod page;
pub mod service;
pub mod store;

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::content::{Poll, PollKind};

/// A poll as the service needs it: opening and closing as instants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    /// The poll's id.
    pub id: String,
    /// The question.
    pub question: String,
    /// Option labels.
    pub options: Vec<String>,
    /// single, multiple or quiz.
    pub kind: PollKind,
    /// A quiz's right option.
    #[serde(default)]
    pub answer: Option<usize>,
    /// Votes are taken from this instant (RFC 3339).
    #[serde(default)]
    pub opens: Option<String>,
    /// Votes are taken until this instant (RFC 3339; the end of the closing day).
    #[serde(default)]
    pub closes: Option<String>,
    /// The poll's language, when set.
    #[serde(default)]
    pub lang: Option<String>,
    /// The poll's page on the site.
    #[serde(default)]
    pub url: Option<String>,
}

/// Whether a poll takes votes now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Taking votes.
    Open,
    /// No longer taking votes.
    Closed,
    /// Not taking votes yet.
    Upcoming,
}

impl State {
    /// The state's name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Closed => "closed",
            State::Upcoming => "upcoming",
        }
    }
}

impl Definition {
    /// The definition of a loaded poll.
    pub fn from_poll(poll: &Poll) -> Definition {
        Definition {
            id: poll.id.clone(),
            question: poll.question.clone(),
            options: poll.options.clone(),
            kind: poll.kind,
            answer: poll.answer,
            opens: poll.opens.as_ref().map(crate::dates::rfc3339),
            closes: poll.closes.as_ref().map(crate::dates::rfc3339),
            lang: poll.lang.clone(),
            url: Some(format!("/polls/{}/", poll.id)),
        }
    }

    /// The poll's state at `now`.
    pub fn state(&self, now: Timestamp) -> State {
        let instant = |s: &Option<String>| s.as_deref().and_then(|s| s.parse::<Timestamp>().ok());
        if instant(&self.opens).is_some_and(|o| now < o) {
            State::Upcoming
        } else if instant(&self.closes).is_some_and(|c| now > c) {
            State::Closed
        } else {
            State::Open
        }
    }

    /// Checks a ballot against the poll: one option for single and quiz, one or more
    /// distinct options for multiple, every index in range. Gives the sorted options.
    pub fn check_ballot(&self, options: &[usize]) -> Option<Vec<usize>> {
        let mut sorted = options.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let in_range = sorted.iter().all(|&o| o < self.options.len());
        let count_ok = match self.kind {
            PollKind::Multiple => !sorted.is_empty() && sorted.len() == options.len(),
            PollKind::Single | PollKind::Quiz => options.len() == 1,
        };
        (in_range && count_ok).then_some(sorted)
    }
}

/// All poll definitions, by id.
#[derive(Debug, Clone, Default)]
pub struct Definitions(pub HashMap<String, Definition>);

impl Definitions {
    /// Definitions from a list.
    pub fn new(list: Vec<Definition>) -> Self {
        Definitions(list.into_iter().map(|d| (d.id.clone(), d)).collect())
    }

    /// Loads the polls of the site at `root` (`content/polls/*.yaml`, dates in site.yaml's timezone).
    pub fn from_root(root: &Path) -> Result<Definitions> {
        let tz_name = crate::config::Config::load(root)
            .map(|c| c.timezone_name)
            .unwrap_or_else(|_| "Asia/Almaty".into());
        let tz = crate::dates::parse_timezone(&tz_name).map_err(anyhow::Error::msg)?;
        let dir = root.join("content/polls");
        let mut list = Vec::new();
        let mut problems = crate::diagnostics::Problems::default();
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                continue;
            }
            let id = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let source = crate::content::relative(root, &path);
            let text = crate::fs::read_to_string(&path)?;
            match crate::content::polls::parse(&id, &source, &text, &tz) {
                Ok(poll) => list.push(Definition::from_poll(&poll)),
                Err(found) => problems.extend(found),
            }
        }
        if !problems.is_empty() {
            return Err(problems.sorted().into());
        }
        Ok(Definitions::new(list))
    }

    /// Loads a build's `polls/index.json`.
    pub fn from_index(path: &Path) -> Result<Definitions> {
        let text = crate::fs::read_to_string(path)?;
        let index: Index = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a polls index", path.display()))?;
        Ok(Definitions::new(index.polls))
    }

    /// A poll by id.
    pub fn get(&self, id: &str) -> Option<&Definition> {
        self.0.get(id)
    }
}

/// The `polls/index.json` a build writes: every poll's definition.
#[derive(Debug, Serialize, Deserialize)]
pub struct Index {
    /// The polls, sorted by id.
    pub polls: Vec<Definition>,
}

/// The votes of one poll.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// How many readers voted.
    pub total: u64,
    /// Votes per option index.
    pub options: Vec<u64>,
}

impl Tally {
    /// Counts one ballot.
    pub fn add(&mut self, options: &[usize]) {
        self.total += 1;
        for &o in options {
            if self.options.len() <= o {
                self.options.resize(o + 1, 0);
            }
            self.options[o] += 1;
        }
    }

    /// Votes for option `index`.
    pub fn votes(&self, index: usize) -> u64 {
        self.options.get(index).copied().unwrap_or(0)
    }

    /// The share of readers who chose option `index`, in percent with one decimal.
    pub fn percent(&self, index: usize) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        (self.votes(index) as f64 * 1000.0 / self.total as f64).round() / 10.0
    }
}

/// One option in an API body.
#[derive(Debug, Serialize)]
pub struct OptionBody<'a> {
    /// The label.
    pub label: &'a str,
    /// Its votes.
    pub votes: u64,
    /// Its share of readers, in percent.
    pub percent: f64,
}

/// The JSON body of a poll: `GET /api/polls/{id}` and accepted votes.
#[derive(Debug, Serialize)]
pub struct PollBody<'a> {
    /// The poll's id.
    pub id: &'a str,
    /// The question.
    pub question: &'a str,
    /// single, multiple or quiz.
    pub kind: &'static str,
    /// open, closed or upcoming.
    pub state: &'static str,
    /// How many readers voted.
    pub total: u64,
    /// Options with votes and percentages.
    pub options: Vec<OptionBody<'a>>,
    /// A quiz's right option: only once it is closed or this reader voted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<usize>,
}

impl<'a> PollBody<'a> {
    /// The body of `poll` with `tally`; `voted` says whether this reader has voted.
    pub fn new(poll: &'a Definition, tally: &Tally, state: State, voted: bool) -> Self {
        let reveal = poll.kind == PollKind::Quiz && (state == State::Closed || voted);
        PollBody {
            id: &poll.id,
            question: &poll.question,
            kind: poll.kind.as_str(),
            state: state.as_str(),
            total: tally.total,
            options: poll
                .options
                .iter()
                .enumerate()
                .map(|(i, label)| OptionBody {
                    label,
                    votes: tally.votes(i),
                    percent: tally.percent(i),
                })
                .collect(),
            answer: if reveal { poll.answer } else { None },
        }
    }
}

/// Counts as `birge polls export` prints them and a build reads them back.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Export {
    /// Tallies by poll id.
    pub polls: std::collections::BTreeMap<String, Tally>,
}

/// Reads results for a build: a store's SQLite file or an export's JSON, told apart by content.
pub fn read_results(path: &Path) -> Result<HashMap<String, Tally>> {
    let head = {
        use std::io::Read;
        let mut buf = [0u8; 16];
        let mut file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let n = file.read(&mut buf).unwrap_or(0);
        buf[..n].to_vec()
    };
    if head.starts_with(b"SQLite format 3\0") {
        store::read_tallies(path)
    } else {
        let text = crate::fs::read_to_string(path)?;
        let export: Export = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is neither a vote store nor a `birge polls export` file",
                path.display()
            )
        })?;
        Ok(export.polls.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(kind: PollKind) -> Definition {
        Definition {
            id: "p".into(),
            question: "Q?".into(),
            options: vec!["a".into(), "b".into(), "c".into()],
            kind,
            answer: (kind == PollKind::Quiz).then_some(1),
            opens: Some("2020-03-01T00:00:00+06:00".into()),
            closes: Some("2020-04-30T23:59:59+06:00".into()),
            lang: None,
            url: None,
        }
    }

    #[test]
    fn ballots_by_kind() {
        assert_eq!(def(PollKind::Single).check_ballot(&[1]), Some(vec![1]));
        assert_eq!(def(PollKind::Single).check_ballot(&[0, 1]), None);
        assert_eq!(def(PollKind::Single).check_ballot(&[3]), None);
        assert_eq!(
            def(PollKind::Multiple).check_ballot(&[2, 0]),
            Some(vec![0, 2])
        );
        assert_eq!(def(PollKind::Multiple).check_ballot(&[0, 0]), None);
        assert_eq!(def(PollKind::Multiple).check_ballot(&[]), None);
    }

    #[test]
    fn states_and_reveal() {
        let quiz = def(PollKind::Quiz);
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(quiz.state(t("2020-02-29T12:00:00Z")), State::Upcoming);
        assert_eq!(quiz.state(t("2020-04-30T17:59:00Z")), State::Open);
        assert_eq!(quiz.state(t("2020-04-30T18:00:00Z")), State::Closed);
        let mut tally = Tally::default();
        tally.add(&[1]);
        tally.add(&[1]);
        tally.add(&[0]);
        let body = PollBody::new(&quiz, &tally, State::Open, false);
        assert_eq!(body.answer, None);
        assert_eq!(body.options[1].percent, 66.7);
        assert_eq!(
            PollBody::new(&quiz, &tally, State::Open, true).answer,
            Some(1)
        );
    }
}
