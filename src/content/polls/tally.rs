//! A poll's votes: how many readers voted and how many chose each option.
//!
//! Takes ballots or counts read from a store, gives votes and shares per option, rounded as
//! the service's answers and the pages of a build show them.

use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn shares_have_one_decimal() {
        let mut tally = Tally::default();
        tally.add(&[1]);
        tally.add(&[1]);
        tally.add(&[0]);
        assert_eq!((tally.total, tally.votes(1), tally.votes(5)), (3, 2, 0));
        assert_eq!(tally.percent(1), 66.7);
        assert_eq!(Tally::default().percent(0), 0.0);
    }
}
