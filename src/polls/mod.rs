//! The vote service and its store: poll definitions as the service holds them, the JSON
//! bodies of the API, the vote store (SQLite or PostgreSQL) and the service itself.
//!
//! Takes [`Poll`]s of the content model (from `content/polls/` or a file `birge polls
//! definitions` wrote) and a store file, gives [`Definitions`] and [`PollBody`]s;
//! [`service`] serves them over HTTP. [`read_results`] reads a store's or an export's counts
//! for a build.

pub mod limit;
pub mod page;
pub mod policy;
pub mod routes;
pub mod server;
pub mod service;
pub mod store;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::content::polls::{Index, Poll, PollState, Tally};
use crate::diagnostics::{Problem, Problems};

/// All polls the service knows, by id, and the site's languages.
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    polls: HashMap<String, Poll>,
    /// The site's default language; empty when the source did not say.
    pub language: String,
    /// The site's languages; empty when the source did not say.
    pub languages: Vec<String>,
}

impl Definitions {
    /// The polls of a site with these settings.
    pub fn new(config: &Config, polls: Vec<Poll>) -> Self {
        Definitions {
            polls: polls.into_iter().map(|p| (p.id.clone(), p)).collect(),
            language: config.language.clone(),
            languages: config.languages.clone(),
        }
    }

    /// Loads the polls of the site at `root` (`content/polls/*.yaml`, checked as a build
    /// checks them, dates in site.yaml's timezone); the problems of the site's settings or
    /// poll files as [`Problems`].
    pub fn from_root(root: &Path) -> Result<Definitions> {
        let (config, polls) = crate::content::polls::load(root)?;
        Ok(Definitions::new(&config, polls))
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
        Definitions::from_index(index, &path.display().to_string())
    }

    /// The polls of `index`, read from `file`: each checked, none defined twice.
    pub fn from_index(index: Index, file: &str) -> Result<Definitions> {
        let mut problems = Problems::default();
        let mut seen = HashSet::new();
        let mut polls = HashMap::new();
        for definition in index.polls {
            let id = definition.id.clone();
            match definition.into_poll(file) {
                Ok(poll) => {
                    polls.insert(id.clone(), poll);
                }
                Err(found) => problems.extend(found),
            }
            if !seen.insert(id.clone()) {
                problems.push(Problem::new(
                    file,
                    format!("the poll `{id}` is defined twice"),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems.into());
        }
        Ok(Definitions {
            polls,
            language: index.language,
            languages: index.languages,
        })
    }

    /// A poll by id.
    pub fn get(&self, id: &str) -> Option<&Poll> {
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

    /// The language of the site's tree that holds `path` (`/kk/news/...` and `/kk` are in `kk`'s), as
    /// far as the definitions know the site's languages (else a language `poll` has text in).
    pub fn language_of(&self, path: &str, poll: &Poll) -> String {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        let known = if self.languages.is_empty() {
            poll.translations.contains_key(first)
        } else {
            self.languages.iter().any(|l| l == first) && first != self.language
        };
        let in_tree = path == format!("/{first}") || path.starts_with(&format!("/{first}/"));
        if known && in_tree {
            first.to_string()
        } else if !self.language.is_empty() {
            self.language.clone()
        } else {
            poll.lang.clone().unwrap_or_else(|| "en".to_string())
        }
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
    pub fn new(poll: &'a Poll, tally: &Tally, state: PollState, voted: bool, lang: &str) -> Self {
        let text = poll.text(lang);
        PollBody {
            id: &poll.id,
            question: &text.question,
            kind: poll.kind.as_str(),
            state: state.as_str(),
            total: tally.total,
            options: text
                .options
                .iter()
                .enumerate()
                .map(|(i, label)| OptionBody {
                    label,
                    votes: tally.votes(i),
                    percent: tally.percent(i),
                })
                .collect(),
            answer: poll.answer_shown(state, voted),
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
        store::sqlite::read_tallies(path)
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
    use crate::content::polls::Definition;

    /// A quiz with texts in English and Kazakh, open through April 2020 in Almaty.
    fn quiz() -> Poll {
        crate::content::polls::parse(
            "p",
            "content/polls/p.yaml",
            "question: {en: Q?, kk: С?}\noptions: [a, {en: b, kk: ә}, c]\nkind: quiz\nanswer: 1\nopens: 2020-03-01\ncloses: 2020-04-30\n",
            &Config::for_test(),
        )
        .unwrap()
    }

    #[test]
    fn bodies_reveal_a_quiz_answer_once_closed_or_voted() {
        let quiz = quiz();
        let mut tally = Tally::default();
        tally.add(&[1]);
        tally.add(&[1]);
        tally.add(&[0]);
        let body = PollBody::new(&quiz, &tally, PollState::Open, false, "en");
        assert_eq!(body.answer, None);
        assert_eq!(body.options[1].percent, 66.7);
        assert_eq!(
            PollBody::new(&quiz, &tally, PollState::Open, true, "en").answer,
            Some(1)
        );
        assert_eq!(
            PollBody::new(&quiz, &tally, PollState::Closed, false, "en").answer,
            Some(1)
        );
    }

    #[test]
    fn bodies_speak_the_asked_language_or_the_default() {
        let quiz = quiz();
        let tally = Tally::default();
        let kk = PollBody::new(&quiz, &tally, PollState::Open, false, "kk");
        assert_eq!(kk.question, "С?");
        assert_eq!(kk.options[1].label, "ә");
        for other in ["en", "ru", "xx", ""] {
            let body = PollBody::new(&quiz, &tally, PollState::Open, false, other);
            assert_eq!((body.question, body.options[1].label), ("Q?", "b"));
        }
    }

    #[test]
    fn a_tree_is_known_by_its_first_folder() {
        let quiz = quiz();
        let defs = Definitions::new(&Config::for_test(), Vec::new());
        assert_eq!(defs.language_of("/kk/news/2020/03/a/", &quiz), "kk");
        assert_eq!(defs.language_of("/ru/", &quiz), "ru");
        assert_eq!(defs.language_of("/news/2020/03/a/", &quiz), "en");
        assert_eq!(defs.language_of("/en/x/", &quiz), "en");
        assert_eq!(defs.language_of("/kk", &quiz), "kk");
        assert_eq!(defs.language_of("/kkk/", &quiz), "en");
        // Without the site's languages (a hand-written file): the poll's own texts tell.
        let bare = Definitions::default();
        assert_eq!(bare.language_of("/kk/a/", &quiz), "kk");
        assert_eq!(bare.language_of("/ru/a/", &quiz), "en");
    }

    #[test]
    fn a_file_defines_each_poll_once() {
        let definition = |id: &str| Definition {
            id: id.to_string(),
            ..quiz().definition()
        };
        let index = |polls| Index {
            language: String::new(),
            languages: Vec::new(),
            polls,
        };
        let two = Definitions::from_index(index(vec![definition("a"), definition("b")]), "p.json");
        assert_eq!(two.unwrap().len(), 2);
        let twice =
            Definitions::from_index(index(vec![definition("a"), definition("a")]), "p.json");
        assert!(
            format!("{:#}", twice.unwrap_err())
                .starts_with("error: p.json: the poll `a` is defined twice\n"),
        );
    }
}
