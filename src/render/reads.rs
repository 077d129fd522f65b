//! What an output read to be rendered, and the version of each such input now.
//!
//! Takes the accessors of a job's `Scope`, gives the [`Read`]s it made; takes
//! a [`Read`] and the current model, gives its [`Renderer::version`]. Every accessor that hands
//! a template data records the `Read` naming that data, and `version` finds the data through
//! the same lookups ([`Renderer::list_of`] and friends) the accessors use, so an output whose
//! reads all have their old versions would render to its old bytes. Reads name things by
//! what stays the same across edits (sources, slugs, list ids and positions), never by index
//! into the model, which shifts whenever an article comes or goes.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::Range;

use tera::Value;

use super::{FEED_SIZE, Renderer};

/// A list of articles of one language tree (`tree` is the tree's index, which only the
/// settings change).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ListId {
    /// The front page's order: pinned first.
    Front(usize),
    /// Every article of the tree, newest first (feeds).
    All(usize),
    /// One region's articles (region index: only regions.yaml changes it).
    Region(usize, usize),
    /// One tag's articles, by the tag's slug.
    Tag(usize, String),
    /// One month of the archive.
    Month(usize, i16, i8),
}

/// One input of an output, named so that it means the same thing across rebuilds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Read {
    /// The variables every page of a tree gets: `site`, `nav_regions`, `nav_pages`, `urls`.
    Tree(usize),
    /// An article's list view (everything of the article but its body's HTML).
    ArticleView(String),
    /// An article's rendered body.
    Body(String),
    /// A standalone page with its rendered body.
    Page(String),
    /// A poll's view in a tree: (tree, poll id).
    Poll(usize, String),
    /// Which articles a list holds at these positions (clipped to its length).
    Items(ListId, Range<usize>),
    /// How many articles a list holds.
    Count(ListId),
    /// The newest articles of a list that a feed carries.
    Newest(ListId),
    /// An article's older and newer neighbours in its language.
    Neighbours(String),
    /// The other articles an article's page shows from one of its regions.
    MoreFrom(String, usize),
    /// A tree's regions with their counts (the regions index).
    Regions(usize),
    /// A tree's archive: its years and months with their counts.
    Years(usize),
    /// One year of a tree's archive: its months with their counts.
    Year(usize, i16),
    /// A tree's tags with their counts.
    Tags(usize),
    /// One tag of a tree, by slug: its name and count.
    Tag(usize, String),
    /// A variant of a photo that a template asked for with `resize`: the output asks for
    /// the file to be published ([`crate::images::Resized`]); its version is the photo's size.
    Resize(crate::images::Resized),
    /// What decides which pages exist (and so the output files a run plans) and their dates
    /// (the sitemap), and every list: each article's and page's source, path, language,
    /// dates, regions, tags, aliases, draft and pinned flags.
    Routing,
}

impl Read {
    /// Whether what this read names is made from the site's lists alone, so that it cannot
    /// change while [`Read::Routing`] keeps its version (settings aside, which only a full
    /// run reads). Lists are built from the fields `Routing` covers: a list built from
    /// another field must add that field to `Routing`.
    pub fn is_structural(&self) -> bool {
        matches!(
            self,
            Read::Items(..)
                | Read::Count(_)
                | Read::Newest(_)
                | Read::Neighbours(_)
                | Read::MoreFrom(..)
                | Read::Regions(_)
                | Read::Years(_)
                | Read::Year(..)
                | Read::Tags(_)
                | Read::Tag(..)
                | Read::Routing
        )
    }
}

/// The reads of one output, in the order they were made (duplicates kept out).
pub type Reads = Vec<Read>;

/// The version numbers of what the pipeline keeps between rebuilds, by article index: a
/// number changes whenever the article's view or body is made again.
#[derive(Debug, Clone, Default)]
pub struct Versions {
    /// Each article's list view.
    pub views: Vec<u64>,
    /// Each article's body.
    pub bodies: Vec<u64>,
}

/// A hash of anything hashable, stable within one birge binary.
pub fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// A hash of a template value, through its JSON form.
pub fn hash_value(value: &Value) -> u64 {
    hash_of(&serde_json::to_vec(value).unwrap_or_default())
}

/// The version a read has when what it names no longer exists.
const GONE: u64 = 0x9e37_79b9_7f4a_7c15;

impl Renderer<'_> {
    /// The articles of a list, as indexes into the model; empty when the list is gone.
    pub fn list_of(&self, list: &ListId) -> &[usize] {
        let trees = &self.site.trees;
        let Some(tree) = trees.get(list.tree()) else {
            return &[];
        };
        match list {
            ListId::Front(_) => &tree.front,
            ListId::All(_) => &tree.articles,
            ListId::Region(_, region) => tree.regions.get(*region).map_or(&[], |l| l),
            ListId::Tag(_, slug) => tree
                .tags
                .binary_search_by(|t| t.slug.as_str().cmp(slug))
                .map_or(&[], |i| &tree.tags[i].articles),
            ListId::Month(_, year, month) => tree
                .years
                .iter()
                .find(|y| y.year == *year)
                .and_then(|y| y.months.iter().find(|m| m.month == *month))
                .map_or(&[], |m| &m.articles),
        }
    }

    /// The articles of a list at `range`, clipped to the list.
    pub fn items_of(&self, list: &ListId, range: &Range<usize>) -> &[usize] {
        let all = self.list_of(list);
        let end = range.end.min(all.len());
        &all[range.start.min(end)..end]
    }

    /// The newest published articles of a list, as a feed carries them.
    pub fn newest_of(&self, list: &ListId) -> Vec<usize> {
        self.list_of(list)
            .iter()
            .copied()
            .filter(|&i| !self.site.articles[i].draft)
            .take(FEED_SIZE)
            .collect()
    }

    /// The index of the article whose file is `source`.
    pub fn article_index(&self, source: &str) -> Option<usize> {
        self.sources
            .get_or_init(|| {
                self.site
                    .articles
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (a.source.as_str(), i))
                    .collect()
            })
            .get(source)
            .copied()
    }

    /// A hash of which articles these are, by source.
    fn hash_sources(&self, indexes: &[usize]) -> u64 {
        let mut h = DefaultHasher::new();
        indexes.len().hash(&mut h);
        for &i in indexes {
            self.site.articles[i].source.hash(&mut h);
        }
        h.finish()
    }

    /// The version of what `read` names in the current model: equal versions, equal data.
    pub fn version(&self, read: &Read) -> u64 {
        let site = self.site;
        let article = |source: &str| self.article_index(source);
        match read {
            Read::Tree(tree) => self.tree_versions.get_or_init(|| {
                (0..site.trees.len())
                    .map(|t| {
                        hash_of(&[
                            hash_value(&self.views.site[t]),
                            hash_value(&self.views.nav_regions[t]),
                            hash_value(&self.views.nav_pages[t]),
                            hash_value(&self.views.urls[t]),
                        ])
                    })
                    .collect()
            })[*tree],
            Read::ArticleView(source) => article(source)
                .and_then(|i| self.versions.views.get(i).copied())
                .unwrap_or(GONE),
            Read::Body(source) => article(source)
                .and_then(|i| self.versions.bodies.get(i).copied())
                .unwrap_or(GONE),
            Read::Page(source) => {
                site.pages
                    .iter()
                    .position(|p| &p.source == source)
                    .map_or(GONE, |i| {
                        let body = &self.page_bodies[i];
                        hash_of(&(format!("{:?}", site.pages[i]), &body.html, &body.summary))
                    })
            }
            // The model keeps its polls sorted by id (a large site has thousands).
            Read::Poll(tree, id) => site
                .polls
                .binary_search_by(|p| p.id.as_str().cmp(id))
                .map_or(GONE, |p| hash_value(&self.views.polls[*tree][p])),
            Read::Items(list, range) => self.hash_sources(self.items_of(list, range)),
            Read::Count(list) => self.list_of(list).len() as u64,
            Read::Newest(list) => self.hash_sources(&self.newest_of(list)),
            Read::Neighbours(source) => article(source).map_or(GONE, |i| {
                let n = site.neighbours[i];
                let name = |i: Option<usize>| i.map(|i| site.articles[i].source.as_str());
                hash_of(&(name(n.older), name(n.newer)))
            }),
            Read::MoreFrom(source, region) => article(source).map_or(GONE, |i| {
                self.hash_sources(&site.more_from_region(i, *region, 3))
            }),
            Read::Regions(tree) => hash_value(&self.views.regions[*tree]),
            Read::Years(tree) => {
                let years: Vec<(i16, Vec<(i8, usize)>)> = site.trees[*tree]
                    .years
                    .iter()
                    .map(|y| {
                        let months = y.months.iter().map(|m| (m.month, m.articles.len()));
                        (y.year, months.collect())
                    })
                    .collect();
                hash_of(&years)
            }
            Read::Year(tree, year) => {
                let months: Option<Vec<(i8, usize)>> = site.trees[*tree]
                    .years
                    .iter()
                    .find(|y| y.year == *year)
                    .map(|y| {
                        y.months
                            .iter()
                            .map(|m| (m.month, m.articles.len()))
                            .collect()
                    });
                months.map_or(GONE, |m| hash_of(&m))
            }
            Read::Tag(tree, slug) => {
                let tags = &site.trees[*tree].tags;
                tags.binary_search_by(|t| t.slug.as_str().cmp(slug))
                    .map_or(GONE, |i| hash_of(&(&tags[i].name, tags[i].articles.len())))
            }
            Read::Tags(tree) => {
                let tags: Vec<(&str, &str, usize)> = site.trees[*tree]
                    .tags
                    .iter()
                    .map(|t| (t.name.as_str(), t.slug.as_str(), t.articles.len()))
                    .collect();
                hash_of(&tags)
            }
            Read::Resize(resized) => hash_of(&self.photos().size_of(&resized.source).ok_or(GONE)),
            Read::Routing => *self.routing_version.get_or_init(|| {
                let mut h = DefaultHasher::new();
                for a in &site.articles {
                    let listed = (&a.regions, &a.tags, a.draft, a.pinned, &a.aliases);
                    (&a.source, &a.path, &a.lang, listed).hash(&mut h);
                    a.date.timestamp().hash(&mut h);
                    a.updated.as_ref().map(|u| u.timestamp()).hash(&mut h);
                }
                for p in &site.pages {
                    (&p.source, &p.path, &p.lang, p.draft, &p.aliases).hash(&mut h);
                    p.updated.as_ref().map(|u| u.timestamp()).hash(&mut h);
                }
                h.finish()
            }),
        }
    }
}

impl ListId {
    /// The tree the list belongs to.
    pub fn tree(&self) -> usize {
        match self {
            ListId::Front(t)
            | ListId::All(t)
            | ListId::Region(t, _)
            | ListId::Tag(t, _)
            | ListId::Month(t, _, _) => *t,
        }
    }
}
