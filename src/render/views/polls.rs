//! The views of polls: a poll as the widget and poll pages of one language's tree show it,
//! with the counts known at build time.
//!
//! Takes a [`Poll`], its tree and its [`Tally`], gives a [`PollView`].

use std::collections::HashMap;

use serde::Serialize;

use super::permalink;
use crate::content::Poll;
use crate::content::polls::Tally;
use crate::site::{Site, Tree};

/// A poll option with its known votes.
#[derive(Serialize)]
pub struct PollOptionView<'a> {
    pub index: usize,
    pub label: &'a str,
    pub votes: u64,
    pub percent: u64,
}

/// A poll as the widget and poll pages of one language's tree show it.
#[derive(Serialize)]
pub struct PollView<'a> {
    pub id: &'a str,
    /// The question in the tree's language (or the text that stands in for it).
    pub question: &'a str,
    pub kind: &'static str,
    pub state: &'static str,
    pub options: Vec<PollOptionView<'a>>,
    pub total: u64,
    /// A quiz's right option, only once the quiz is closed at build time.
    pub answer: Option<usize>,
    /// The poll's page in the tree's language.
    pub url: String,
    pub permalink: String,
    pub action: String,
    pub results_url: String,
}

/// Poll results known at build time, by poll id.
pub type Results = HashMap<String, Tally>;

/// A poll's view in `tree`'s language with the counts known at build time.
pub fn poll_view<'a>(
    site: &'a Site,
    tree: &Tree,
    poll: &'a Poll,
    tally: Option<&Tally>,
    now: jiff::Timestamp,
) -> PollView<'a> {
    let state = poll.state_at(now);
    let endpoint = site.config.polls.endpoint.trim_end_matches('/');
    let empty = Tally::default();
    let tally = tally.unwrap_or(&empty);
    let text = poll.text(&tree.lang);
    let url = format!("{}polls/{}/", tree.root, poll.id);
    PollView {
        id: &poll.id,
        question: &text.question,
        kind: poll.kind.as_str(),
        state: state.as_str(),
        options: text
            .options
            .iter()
            .enumerate()
            .map(|(index, label)| PollOptionView {
                index,
                label,
                votes: tally.votes(index),
                percent: tally.percent(index).round() as u64,
            })
            .collect(),
        total: tally.total,
        answer: poll.answer_shown(state, false),
        permalink: permalink(site, &url),
        url,
        action: format!("{endpoint}/polls/{}/vote", poll.id),
        results_url: format!("{endpoint}/polls/{}/results", poll.id),
    }
}
