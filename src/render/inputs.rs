//! The per-article inputs of rendering that may come late: an article's rendered body, there
//! from the start or read from the build cache when a job first asks for it.
//!
//! Takes a [`Rendered`] body or a loader, gives the body to the jobs that read it. A body that
//! cannot be loaded stands empty and marks the run failed ([`Failure`]): the caller must not
//! keep a run whose failure is set.

use std::sync::{Arc, OnceLock};

use crate::markdown::Rendered;

/// Loads a body from where it was kept; an error says what was wrong.
pub type Loader = Box<dyn Fn() -> Result<Rendered, String> + Send + Sync>;

/// The first load that failed in a run, shared by its bodies.
#[derive(Debug, Clone, Default)]
pub struct Failure(Arc<OnceLock<String>>);

impl Failure {
    /// What went wrong first, if anything did.
    pub fn get(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }

    /// Records a failure (the first one stays).
    pub fn set(&self, error: String) {
        let _ = self.0.set(error);
    }
}

/// An article's rendered body.
pub struct Body {
    cell: OnceLock<Rendered>,
    loader: Option<(Loader, Failure)>,
}

impl Body {
    /// A body already in memory.
    pub fn ready(body: Rendered) -> Body {
        Body {
            cell: OnceLock::from(body),
            loader: None,
        }
    }

    /// A body read by `loader` when first asked for; a failure is recorded in `failure`.
    pub fn later(loader: Loader, failure: Failure) -> Body {
        Body {
            cell: OnceLock::new(),
            loader: Some((loader, failure)),
        }
    }

    /// The body, loaded now if need be (empty if loading failed, the failure recorded).
    pub fn get(&self) -> &Rendered {
        self.cell.get_or_init(|| match &self.loader {
            Some((load, failure)) => load().unwrap_or_else(|error| {
                failure.set(error);
                Rendered::default()
            }),
            None => Rendered::default(),
        })
    }

    /// The body if it is in memory.
    pub fn into_loaded(self) -> Option<Rendered> {
        self.cell.into_inner()
    }
}

impl From<Rendered> for Body {
    fn from(body: Rendered) -> Body {
        Body::ready(body)
    }
}
