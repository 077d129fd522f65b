//! What an update reads again: the files that changed paths stand for, loaded at the
//! present, and what the site will do by itself next ([`Pipeline::next_change`]).
//!
//! Takes changed paths, gives the pipeline's articles, pages and left-out list brought up
//! to date.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Result;

use super::{Due, Pipeline};
use crate::content::{self, Article, Content, LoadOptions, Loaded};
use crate::diagnostics::{Problem, Problems};
use crate::site::Site;

impl Pipeline {
    /// The next time the site changes with no edit: the soonest of a future-dated article
    /// coming due, a pinned article's `pinned_until` passing, and a poll opening or
    /// closing. `None` when nothing is scheduled.
    pub fn next_change(&self) -> Option<Due> {
        let now = self.frame.now;
        let due = |at: jiff::Timestamp, what: String| Due { at, what };
        let future = self
            .left_out
            .future
            .iter()
            .map(|(source, at)| due(*at, format!("{source} comes due")));
        let pins = self.articles.iter().filter(|a| a.pinned).filter_map(|a| {
            let until = a.pinned_until.as_ref()?.timestamp();
            Some(due(until, format!("the pin of {} ends", a.source)))
        });
        let polls = self.frame.polls.iter().filter_map(|p| {
            let change = p.next_change_after(now)?;
            let what = match change.to {
                crate::content::polls::PollState::Open => "opens",
                _ => "closes",
            };
            Some(due(change.at, format!("poll {} {what}", p.id)))
        });
        future.chain(pins).chain(polls).min_by_key(|d| d.at)
    }

    /// How a file is loaded now: the build's options at the present, and the regions and
    /// polls its front matter may name.
    fn load_context(&self) -> (LoadOptions, Content) {
        let options = LoadOptions {
            drafts: self.options.drafts,
            future: self.options.future,
            now: self.frame.now,
        };
        let lookup = Content {
            regions: self.frame.regions.clone(),
            polls: self.frame.polls.clone(),
            ..Content::default()
        };
        (options, lookup)
    }

    /// Reads the changed files again into the pipeline's articles and pages.
    pub(super) fn reload(&mut self, changed: &[PathBuf]) -> Result<()> {
        let root = self.options.root.clone();
        let (load_options, lookup) = self.load_context();
        let mut problems = Problems::default();
        let mut loaded: Vec<(String, Option<Loaded>)> = Vec::new();
        for path in self.markdown_files_of(changed) {
            let source = content::relative(&root, &path);
            // Gone, not merely a link to nowhere (which loads as the problem a full build has).
            if std::fs::symlink_metadata(&path).is_err() {
                loaded.push((source, None));
                continue;
            }
            match content::load_file(&root, &path, &self.frame.config, &lookup, &load_options) {
                Ok(found) => loaded.push((source, found)),
                Err(found) => problems.extend(found),
            }
        }
        if !problems.is_empty() {
            return Err(problems.sorted().into());
        }
        let reloaded: std::collections::HashSet<&String> =
            loaded.iter().map(|(source, _)| source).collect();
        let had_bundle = self
            .articles
            .iter()
            .any(|a| a.bundle_dir.is_some() && reloaded.contains(&a.source));
        let has_bundle = loaded
            .iter()
            .any(|(_, found)| matches!(found, Some(Loaded::Article(a)) if a.bundle_dir.is_some()));
        self.bundles_reloaded |= had_bundle || has_bundle;
        self.articles.retain(|a| !reloaded.contains(&a.source));
        for (source, found) in loaded {
            self.note_left_out(&source, found.as_ref());
            if self.resumed {
                self.reloaded.insert(source.clone());
            }
            self.pages.remove(&source);
            self.derived.remove(&source);
            match found {
                Some(Loaded::Article(article)) => {
                    self.articles.push(*article);
                }
                Some(Loaded::Page(page)) => {
                    self.pages.insert(source, *page);
                }
                Some(Loaded::Draft | Loaded::Scheduled(_)) | None => {}
            }
        }
        Ok(())
    }

    /// The Markdown files that changed paths stand for: a folder that appeared stands for
    /// every file in it (a watcher may report a new folder and miss the files written into it
    /// before it watched it, as `birge new` does in a new month's folder); a folder that went
    /// stands for the articles and pages that were in it; a file of an article's bundle
    /// stands for the article (its images' sizes and its copied files change with it).
    fn markdown_files_of(&self, changed: &[PathBuf]) -> Vec<PathBuf> {
        let root = &self.options.root;
        let mut files = Vec::new();
        for path in changed {
            if path.is_dir() {
                files.extend(
                    walkdir::WalkDir::new(path)
                        .follow_links(true)
                        .into_iter()
                        .filter_map(Result::ok)
                        .filter(|e| e.file_type().is_file())
                        .map(walkdir::DirEntry::into_path),
                );
                continue;
            }
            files.push(path.clone());
            if !path.exists() && path.extension().is_none_or(|e| e != "md") {
                let folder = format!("{}/", content::relative(root, path));
                let known = self
                    .articles
                    .iter()
                    .map(|a| &a.source)
                    .chain(self.pages.keys());
                let drafts = self.left_out.drafts.iter();
                let future = self.left_out.future.iter().map(|(source, _)| source);
                files.extend(
                    known
                        .chain(drafts)
                        .chain(future)
                        .filter(|source| source.starts_with(&folder))
                        .map(|source| root.join(source)),
                );
            }
        }
        let mut markdown: Vec<PathBuf> = Vec::new();
        for file in files {
            if file.extension().is_some_and(|e| e == "md") {
                markdown.push(file);
            } else if let Some(owner) = self.articles.iter().find(|a| {
                a.bundle_dir
                    .as_deref()
                    .is_some_and(|dir| file.starts_with(dir))
            }) {
                markdown.push(root.join(&owner.source));
            }
        }
        markdown.sort();
        markdown.dedup();
        markdown
    }

    /// Records whether the file `source` is left out now, and why.
    fn note_left_out(&mut self, source: &str, found: Option<&Loaded>) {
        self.left_out.drafts.retain(|s| s != source);
        self.left_out.future.retain(|(s, _)| s != source);
        match found {
            Some(Loaded::Draft) => self.left_out.drafts.push(source.to_string()),
            Some(Loaded::Scheduled(at)) => self.left_out.future.push((source.to_string(), *at)),
            _ => {}
        }
        self.left_out.sort();
    }

    /// The Markdown of the articles at `indexes` that were resumed from the build cache
    /// without it, read again from their (unchanged) files.
    pub(super) fn reread_markdown(
        &self,
        site: &Site,
        indexes: &[usize],
        problems: &mut Problems,
    ) -> HashMap<usize, Article> {
        let root = &self.options.root;
        let (options, lookup) = self.load_context();
        let mut reread = HashMap::new();
        for &i in indexes {
            let source = &site.articles[i].source;
            if !self.resumed || self.reloaded.contains(source) {
                continue;
            }
            let path = root.join(source);
            match content::load_file(root, &path, &self.frame.config, &lookup, &options) {
                Ok(Some(Loaded::Article(article))) => {
                    reread.insert(i, *article);
                }
                Ok(_) => problems.push(Problem::new(
                    source.clone(),
                    "changed while birge was reading it; build again".to_string(),
                )),
                Err(found) => problems.extend(found),
            }
        }
        reread
    }
}
