//! Polls beyond their files: definitions as the vote service sees them, tallies, the JSON
//! bodies of the API, the SQLite store and the service itself.
//!
//! Takes poll definitions (from `content/polls/` or a file `birge polls definitions` wrote)
//! and a store file, gives [`Definition`]s, [`Tally`]s and [`PollBody`]s; [`service`] serves
//! them over HTTP. [`Index`] is also what a build publishes as `/polls/index.json`, without
//! the answers of quizzes that are still open.

pub mod limit;
pub mod page;
pub mod service;
pub mod store;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, Result};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::content::polls::PollText;
use crate::content::{Poll, PollKind};
use crate::diagnostics::{Problem, Problems};

/// A poll as the service needs it: its texts per language, opening and closing as instants.
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
    /// The full definition of a loaded poll, a quiz's answer included.
    pub fn from_poll(poll: &Poll) -> Definition {
        Definition {
            id: poll.id.clone(),
            question: poll.text.question.clone(),
            options: poll.text.options.clone(),
            translations: poll.translations.clone(),
            kind: poll.kind,
            answer: poll.answer,
            opens: poll.opens.as_ref().map(crate::dates::rfc3339),
            closes: poll.closes.as_ref().map(crate::dates::rfc3339),
            lang: poll.lang.clone(),
            url: Some(format!("/polls/{}/", poll.id)),
        }
    }

    /// The definition a build may publish at `now`: a quiz's answer only once it closed.
    pub fn public(poll: &Poll, now: Timestamp) -> Definition {
        let mut definition = Definition::from_poll(poll);
        if definition.state(now) != State::Closed {
            definition.answer = None;
        }
        definition
    }

    /// The question and labels in `lang`; the default language's for any other language.
    pub fn text(&self, lang: &str) -> (&str, &[String]) {
        match self.translations.get(lang) {
            Some(text) => (&text.question, &text.options),
            None => (&self.question, &self.options),
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

    /// What is wrong with a definition read from a file, for the service's `--polls`.
    fn problems(&self, file: &str) -> Vec<Problem> {
        let id = &self.id;
        let mut problems = Vec::new();
        let mut problem = |message: String| problems.push(Problem::new(file, message));
        if !crate::content::polls::is_valid_id(id) {
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

/// All poll definitions, by id, and the site's languages.
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    polls: HashMap<String, Definition>,
    /// The site's default language; empty when the source did not say.
    pub language: String,
    /// The site's languages; empty when the source did not say.
    pub languages: Vec<String>,
}

impl Definitions {
    /// Definitions from an index of them.
    pub fn new(index: Index) -> Self {
        Definitions {
            polls: index.polls.into_iter().map(|d| (d.id.clone(), d)).collect(),
            language: index.language,
            languages: index.languages,
        }
    }

    /// Loads the polls of the site at `root` (`content/polls/*.yaml`, checked as a build
    /// checks them, dates in site.yaml's timezone).
    pub fn from_root(root: &Path) -> Result<Definitions> {
        Ok(Definitions::new(Index::load(root)?))
    }

    /// Loads a file that `birge polls definitions` wrote. Refuses files that lack what the
    /// service needs, such as a build's `polls/index.json` with an open quiz (no answer).
    pub fn from_file(path: &Path) -> Result<Definitions> {
        let text = crate::fs::read_to_string(path)?;
        let index: Index = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a poll definitions file (write one with `birge polls definitions > polls.json`)",
                path.display()
            )
        })?;
        let file = path.display().to_string();
        let mut problems = Problems::default();
        let mut seen = std::collections::HashSet::new();
        for poll in &index.polls {
            problems.extend(poll.problems(&file));
            if !seen.insert(poll.id.as_str()) {
                problems.push(Problem::new(
                    &file,
                    format!("the poll `{}` is defined twice", poll.id),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems.into());
        }
        Ok(Definitions::new(index))
    }

    /// A poll by id.
    pub fn get(&self, id: &str) -> Option<&Definition> {
        self.polls.get(id)
    }

    /// How many polls there are.
    pub fn len(&self) -> usize {
        self.polls.len()
    }

    /// Whether there are no polls.
    pub fn is_empty(&self) -> bool {
        self.polls.is_empty()
    }

    /// The polls' ids, in no order.
    pub fn ids(&self) -> impl Iterator<Item = &String> {
        self.polls.keys()
    }

    /// The language of the site's tree that holds `path` (`/kk/news/...` is in `kk`'s), as
    /// far as the definitions know the site's languages (else a language `poll` has text in).
    pub fn language_of(&self, path: &str, poll: &Definition) -> String {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        let known = if self.languages.is_empty() {
            poll.translations.contains_key(first)
        } else {
            self.languages.iter().any(|l| l == first) && first != self.language
        };
        if known && path.starts_with(&format!("/{first}/")) {
            first.to_string()
        } else if !self.language.is_empty() {
            self.language.clone()
        } else {
            poll.lang.clone().unwrap_or_else(|| "en".to_string())
        }
    }
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
    /// Every poll of the site at `root`, fully defined (see [`Index::definitions`]); the
    /// problems of the site's settings or poll files as [`Problems`].
    pub fn load(root: &Path) -> Result<Index> {
        let config = Config::load(root)?;
        let mut problems = Problems::default();
        let polls = crate::content::load_polls(root, &config, &mut problems);
        if !problems.is_empty() {
            return Err(problems.sorted().into());
        }
        Ok(Index::definitions(&config, &polls))
    }

    /// Every poll's full definition, quiz answers included: for the vote service only.
    pub fn definitions(config: &Config, polls: &[Poll]) -> Index {
        Index::of(config, polls.iter().map(Definition::from_poll))
    }

    /// What a build running at `now` publishes: no answer of a quiz still open.
    pub fn public(config: &Config, polls: &[Poll], now: Timestamp) -> Index {
        Index::of(config, polls.iter().map(|p| Definition::public(p, now)))
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
    /// The body of `poll` with `tally`, in `lang`; `voted` says whether this reader has voted.
    pub fn new(poll: &'a Definition, tally: &Tally, state: State, voted: bool, lang: &str) -> Self {
        let reveal = poll.kind == PollKind::Quiz && (state == State::Closed || voted);
        let (question, labels) = poll.text(lang);
        PollBody {
            id: &poll.id,
            question,
            kind: poll.kind.as_str(),
            state: state.as_str(),
            total: tally.total,
            options: labels
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
            translations: BTreeMap::from([(
                "kk".to_string(),
                PollText {
                    question: "С?".into(),
                    options: vec!["а".into(), "ә".into(), "б".into()],
                },
            )]),
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
        let body = PollBody::new(&quiz, &tally, State::Open, false, "en");
        assert_eq!(body.answer, None);
        assert_eq!(body.options[1].percent, 66.7);
        assert_eq!(
            PollBody::new(&quiz, &tally, State::Open, true, "en").answer,
            Some(1)
        );
    }

    #[test]
    fn bodies_speak_the_asked_language_or_the_default() {
        let quiz = def(PollKind::Quiz);
        let tally = Tally::default();
        let kk = PollBody::new(&quiz, &tally, State::Open, false, "kk");
        assert_eq!(kk.question, "С?");
        assert_eq!(kk.options[1].label, "ә");
        for other in ["en", "ru", "xx", ""] {
            let body = PollBody::new(&quiz, &tally, State::Open, false, other);
            assert_eq!((body.question, body.options[1].label), ("Q?", "b"));
        }
    }

    #[test]
    fn a_tree_is_known_by_its_first_folder() {
        let quiz = def(PollKind::Quiz);
        let defs = Definitions {
            language: "en".into(),
            languages: vec!["en".into(), "kk".into(), "ru".into()],
            ..Definitions::default()
        };
        assert_eq!(defs.language_of("/kk/news/2020/03/a/", &quiz), "kk");
        assert_eq!(defs.language_of("/ru/", &quiz), "ru");
        assert_eq!(defs.language_of("/news/2020/03/a/", &quiz), "en");
        assert_eq!(defs.language_of("/en/x/", &quiz), "en");
        assert_eq!(defs.language_of("/kk", &quiz), "en");
        assert_eq!(defs.language_of("/kkk/", &quiz), "en");
        // Without the site's languages (a hand-written file): the poll's own texts tell.
        let bare = Definitions::default();
        assert_eq!(bare.language_of("/kk/a/", &quiz), "kk");
        assert_eq!(bare.language_of("/ru/a/", &quiz), "en");
    }
}
