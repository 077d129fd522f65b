//! The site model: articles in order and the lists built from them, per language.
//!
//! Takes loaded [`Content`] and the [`Config`], gives a [`Site`]: articles sorted newest first
//! (ties by source path), and for each language a [`Tree`] with its front page (pinned on top),
//! regions, tags and archive as index lists, plus neighbours and a map for `@/` links. No I/O,
//! no templates: every rule here is unit-tested with plain values.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use rayon::prelude::*;

use crate::config::Config;
use crate::content::{Article, Content, LeftOut, Page, Poll, Region};
use crate::diagnostics::{Problem, Problems};
use crate::slug::slugify;

/// The assembled site.
#[derive(Debug)]
pub struct Site {
    /// The settings.
    pub config: Config,
    /// Regions in display order.
    pub regions: Vec<Region>,
    /// Polls, sorted by id.
    pub polls: Vec<Poll>,
    /// Published articles, newest first, ties broken by source path.
    pub articles: Vec<Article>,
    /// Standalone pages, sorted by path.
    pub pages: Vec<Page>,
    /// One tree of lists per language, the default language first.
    pub trees: Vec<Tree>,
    /// For each article (by index): the older and the newer article of its language.
    pub neighbours: Vec<Neighbours>,
    /// Where `@/` links may point: content paths (`news/2020/03/a.md`) to site paths.
    pub link_targets: HashMap<String, String>,
    /// Language versions of one article, keyed by `translation`.
    pub translations: HashMap<String, Vec<usize>>,
    /// What the build left out (drafts, articles dated in the future), and why.
    pub left_out: LeftOut,
}

/// The older and newer article next to one article in its language's list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Neighbours {
    /// The next older article.
    pub older: Option<usize>,
    /// The next newer article.
    pub newer: Option<usize>,
}

/// The lists of one language, as indexes into [`Site::articles`].
#[derive(Debug, Default)]
pub struct Tree {
    /// The language code.
    pub lang: String,
    /// `/` for the default language, `/kk/` for others.
    pub root: String,
    /// All articles of this language, newest first.
    pub articles: Vec<usize>,
    /// The front page's order: pinned articles first, then the rest.
    pub front: Vec<usize>,
    /// For each region (same order as [`Site::regions`]): its articles.
    pub regions: Vec<Vec<usize>>,
    /// Tags, sorted by slug.
    pub tags: Vec<Tag>,
    /// Years, newest first.
    pub years: Vec<Year>,
}

/// A tag and its articles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The name as first written (in the newest article that has it).
    pub name: String,
    /// The URL slug.
    pub slug: String,
    /// Its articles, newest first.
    pub articles: Vec<usize>,
}

/// A year of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Year {
    /// The year.
    pub year: i16,
    /// Its months with articles, newest first.
    pub months: Vec<Month>,
}

impl Year {
    /// How many articles the year has.
    pub fn count(&self) -> usize {
        self.months.iter().map(|m| m.articles.len()).sum()
    }
}

/// A month of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month {
    /// 1-12.
    pub month: i8,
    /// Its articles, newest first.
    pub articles: Vec<usize>,
}

/// One page of a paginated list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pager {
    /// 1-based page number.
    pub number: usize,
    /// How many pages the list has (at least 1).
    pub total: usize,
    /// Which items of the list this page shows.
    pub items: Range<usize>,
    /// The page's site path: the list's own path for page 1, `<list>page/N/` after.
    pub path: String,
}

/// Cuts a list of `len` items at `base` into pages of `per_page`; an empty list has one page.
pub fn paginate(len: usize, per_page: usize, base: &str) -> Vec<Pager> {
    let per_page = per_page.max(1);
    let total = len.div_ceil(per_page).max(1);
    (1..=total)
        .map(|number| Pager {
            number,
            total,
            items: (number - 1) * per_page..(number * per_page).min(len),
            path: page_path(base, number),
        })
        .collect()
}

/// The site path of page `number` of the list at `base`.
pub fn page_path(base: &str, number: usize) -> String {
    crate::routes::list_page(base, number)
}

impl Site {
    /// Assembles the model from loaded content; reports articles that share a URL.
    pub fn assemble(config: Config, content: Content) -> Result<Site, Problems> {
        let (site, clashes) = Site::assemble_with_clashes(config, content);
        if clashes.is_empty() {
            Ok(site)
        } else {
            Err(clashes)
        }
    }

    /// [`Site::assemble`], giving the model even when articles or pages share a URL (or an
    /// alias is one), beside those problems: a build then goes on checking the rest.
    pub fn assemble_with_clashes(config: Config, content: Content) -> (Site, Problems) {
        let Content {
            regions,
            mut polls,
            mut articles,
            mut pages,
            left_out,
        } = content;
        // Newest first, then by file: compared in place (the articles come mostly in this
        // order already, from the last run's model), no key copied.
        articles.sort_by(|a, b| {
            (b.date.timestamp().cmp(&a.date.timestamp())).then_with(|| a.source.cmp(&b.source))
        });
        pages.sort_by(|a, b| a.path.cmp(&b.path));
        polls.sort_by(|a, b| a.id.cmp(&b.id));
        let (unique, (trees, link_targets)) = rayon::join(
            || check_unique_paths(&articles, &pages),
            || {
                rayon::join(
                    || {
                        config
                            .languages
                            .par_iter()
                            .map(|lang| {
                                Tree::build(lang, config.language_root(lang), &articles, &regions)
                            })
                            .collect::<Vec<Tree>>()
                    },
                    || link_targets_of(&articles, &pages),
                )
            },
        );
        let clashes = unique.err().unwrap_or_default();
        let mut neighbours = vec![Neighbours::default(); articles.len()];
        for tree in &trees {
            for (position, &index) in tree.articles.iter().enumerate() {
                neighbours[index] = Neighbours {
                    newer: position.checked_sub(1).map(|p| tree.articles[p]),
                    older: tree.articles.get(position + 1).copied(),
                };
            }
        }
        let mut translations: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, article) in articles.iter().enumerate() {
            if let Some(key) = &article.translation {
                translations.entry(key.clone()).or_default().push(index);
            }
        }
        let site = Site {
            config,
            regions,
            polls,
            articles,
            pages,
            trees,
            neighbours,
            link_targets,
            translations,
            left_out,
        };
        (site, clashes)
    }

    /// The tree of a language.
    pub fn tree(&self, lang: &str) -> Option<&Tree> {
        self.trees.iter().find(|t| t.lang == lang)
    }

    /// A poll by id.
    pub fn poll(&self, id: &str) -> Option<&Poll> {
        self.polls.iter().find(|p| p.id == id)
    }

    /// Up to `n` other articles of region `region` (by index) in the article's language.
    pub fn more_from_region(&self, article: usize, region: usize, n: usize) -> Vec<usize> {
        let lang = &self.articles[article].lang;
        self.tree(lang)
            .and_then(|tree| tree.regions.get(region))
            .map(|list| {
                list.iter()
                    .copied()
                    .filter(|&i| i != article)
                    .take(n)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The other language versions of an article.
    pub fn translations_of(&self, article: usize) -> Vec<usize> {
        self.articles[article]
            .translation
            .as_ref()
            .and_then(|key| self.translations.get(key))
            .map(|list| list.iter().copied().filter(|&i| i != article).collect())
            .unwrap_or_default()
    }
}

impl Tree {
    fn build(lang: &str, root: String, articles: &[Article], regions: &[Region]) -> Tree {
        let mine: Vec<usize> = (0..articles.len())
            .filter(|&i| articles[i].lang == lang)
            .collect();
        let (pinned, rest): (Vec<usize>, Vec<usize>) =
            mine.iter().partition(|&&i| articles[i].pinned);
        let front = pinned.into_iter().chain(rest).collect();

        let region_index: HashMap<&str, usize> = regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.slug.as_str(), i))
            .collect();
        let mut by_region = vec![Vec::new(); regions.len()];
        let mut tags: BTreeMap<String, Tag> = BTreeMap::new();
        // Each tag name slugified once: a large site names its few tags many times.
        let mut slugs: HashMap<&str, String> = HashMap::new();
        let mut years: BTreeMap<i16, BTreeMap<i8, Vec<usize>>> = BTreeMap::new();
        for &i in &mine {
            let article = &articles[i];
            for slug in &article.regions {
                if let Some(&r) = region_index.get(slug.as_str()) {
                    by_region[r].push(i);
                }
            }
            for name in &article.tags {
                let slug = slugs
                    .entry(name.as_str())
                    .or_insert_with(|| slugify(name, lang));
                if slug.is_empty() {
                    continue;
                }
                if !tags.contains_key(slug.as_str()) {
                    let tag = Tag {
                        name: name.clone(),
                        slug: slug.clone(),
                        articles: Vec::new(),
                    };
                    tags.insert(slug.clone(), tag);
                }
                let Some(tag) = tags.get_mut(slug.as_str()) else {
                    continue;
                };
                if tag.articles.last() != Some(&i) {
                    tag.articles.push(i);
                }
            }
            years
                .entry(article.date.year())
                .or_default()
                .entry(article.date.month())
                .or_default()
                .push(i);
        }
        let years = years
            .into_iter()
            .rev()
            .map(|(year, months)| Year {
                year,
                months: months
                    .into_iter()
                    .rev()
                    .map(|(month, articles)| Month { month, articles })
                    .collect(),
            })
            .collect();
        Tree {
            lang: lang.to_string(),
            root,
            articles: mine,
            front,
            regions: by_region,
            tags: tags.into_values().collect(),
            years,
        }
    }
}

/// Where `@/` links may point: the content paths of articles and pages to their site paths.
fn link_targets_of(articles: &[Article], pages: &[Page]) -> HashMap<String, String> {
    let mut link_targets = HashMap::with_capacity(articles.len() + pages.len());
    for article in articles {
        link_targets.insert(article.content_path.clone(), article.path.clone());
    }
    for page in pages {
        link_targets.insert(page.content_path.clone(), page.path.clone());
    }
    link_targets
}

fn check_unique_paths(articles: &[Article], pages: &[Page]) -> Result<(), Problems> {
    let mut owners: rustc_hash::FxHashMap<&str, &str> = rustc_hash::FxHashMap::default();
    owners.reserve(articles.len() + pages.len());
    let mut problems = Problems::default();
    let sources = articles
        .iter()
        .map(|a| (a.path.as_str(), a.source.as_str()))
        .chain(pages.iter().map(|p| (p.path.as_str(), p.source.as_str())));
    for (path, source) in sources {
        if let Some(first) = owners.get(path) {
            problems.push(
                Problem::new(
                    source,
                    format!("two articles have the URL {path}: {first} and {source}"),
                )
                .hint("give one of them another `slug:` in its front matter"),
            );
        } else {
            owners.insert(path, source);
        }
    }
    let aliases = articles
        .iter()
        .map(|a| (&a.aliases, a.source.as_str()))
        .chain(pages.iter().map(|p| (&p.aliases, p.source.as_str())));
    for (list, source) in aliases {
        for alias in list {
            let normalized = if alias.ends_with('/') || alias.ends_with(".html") {
                alias.clone()
            } else {
                format!("{alias}/")
            };
            if let Some(owner) = owners.get(normalized.as_str()) {
                problems.push(
                    Problem::new(source, format!("alias {alias} is the URL of {owner}"))
                        .hint("an alias must be an old URL that no page uses now"),
                );
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_edges() {
        assert_eq!(paginate(0, 20, "/").len(), 1);
        let pages = paginate(20, 20, "/");
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].items, 0..20);
        let pages = paginate(21, 20, "/regions/atyrau/");
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[1].items, 20..21);
        assert_eq!(pages[0].path, "/regions/atyrau/");
        assert_eq!(pages[1].path, "/regions/atyrau/page/2/");
    }
}
