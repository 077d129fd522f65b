//! The outputs of a build: one [`Job`] per file, each knowing its kind, planned in a stable
//! order from the site model ([`jobs`]).
//!
//! Takes the [`Site`], gives every output file it has, and the file each site path is
//! served from ([`output_path`]).

use crate::site::{Pager, Site, paginate};

/// One file of the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// A page of the front page list.
    Front { tree: usize, pager: Pager },
    /// An article's page.
    Article(usize),
    /// A standalone page.
    Page(usize),
    /// The regions index.
    Regions { tree: usize },
    /// A page of one region's list.
    Region {
        tree: usize,
        region: usize,
        pager: Pager,
    },
    /// One region's Atom feed.
    RegionFeed { tree: usize, region: usize },
    /// The archive index.
    Archive { tree: usize },
    /// One year of the archive.
    ArchiveYear { tree: usize, year: usize },
    /// One month of the archive.
    ArchiveMonth {
        tree: usize,
        year: usize,
        month: usize,
    },
    /// The tags index.
    Tags { tree: usize },
    /// A page of one tag's list.
    Tag {
        tree: usize,
        tag: usize,
        pager: Pager,
    },
    /// A tree's Atom feed.
    Atom { tree: usize },
    /// A tree's RSS feed.
    Rss { tree: usize },
    /// A tree's not-found page.
    NotFound { tree: usize },
    /// A tree's search page (its index is the pipeline's search stage's).
    Search { tree: usize },
    /// The polls index of a tree.
    Polls { tree: usize },
    /// One poll's page.
    Poll { tree: usize, poll: usize },
    /// `/polls/index.json`: every poll's definition.
    PollIndex,
    /// A redirect from an old path to a page's path.
    Redirect {
        from: String,
        to: String,
        lang: String,
    },
    /// `/sitemap.xml`: every page's URL, or, above [`sitemap_limit`] URLs, an index of
    /// the [`Job::SitemapPart`]s.
    Sitemap,
    /// One part of a large site's sitemap: the pages of one year (`/sitemap-2020.xml`,
    /// `/sitemap-2020-2.xml` when a year alone has too many) or the undated ones
    /// (`/sitemap-pages.xml`).
    SitemapPart(SitemapPart),
    /// robots.txt.
    Robots,
}

impl Job {
    /// Every kind of job [`Job::kind`] names.
    pub const KINDS: [&'static str; 22] = [
        "front",
        "article",
        "page",
        "regions",
        "region",
        "region feed",
        "archive",
        "year",
        "month",
        "tags",
        "tag",
        "atom",
        "rss",
        "not found",
        "search",
        "polls",
        "poll",
        "poll index",
        "redirect",
        "sitemap",
        "sitemap part",
        "robots",
    ];

    /// The job's kind, one of [`Job::KINDS`].
    pub fn kind(&self) -> &'static str {
        match self {
            Job::Front { .. } => "front",
            Job::Article(_) => "article",
            Job::Page(_) => "page",
            Job::Regions { .. } => "regions",
            Job::Region { .. } => "region",
            Job::RegionFeed { .. } => "region feed",
            Job::Archive { .. } => "archive",
            Job::ArchiveYear { .. } => "year",
            Job::ArchiveMonth { .. } => "month",
            Job::Tags { .. } => "tags",
            Job::Tag { .. } => "tag",
            Job::Atom { .. } => "atom",
            Job::Rss { .. } => "rss",
            Job::NotFound { .. } => "not found",
            Job::Search { .. } => "search",
            Job::Polls { .. } => "polls",
            Job::Poll { .. } => "poll",
            Job::PollIndex => "poll index",
            Job::Redirect { .. } => "redirect",
            Job::Sitemap => "sitemap",
            Job::SitemapPart(_) => "sitemap part",
            Job::Robots => "robots",
        }
    }

    /// The site path the job's output is served at (`/news/2020/03/masks/`, `/atom.xml`);
    /// [`output_path`] gives the file.
    pub fn site_path(&self, site: &Site) -> String {
        use crate::routes;
        let root = |tree: &usize| site.trees[*tree].root.as_str();
        match self {
            Job::Article(i) => site.articles[*i].path.clone(),
            Job::Page(i) => site.pages[*i].path.clone(),
            Job::Front { pager, .. } | Job::Region { pager, .. } | Job::Tag { pager, .. } => {
                pager.path.clone()
            }
            Job::Regions { tree } => routes::regions(root(tree)),
            Job::RegionFeed { tree, region } => {
                routes::region_feed(root(tree), &site.regions[*region].slug)
            }
            Job::Archive { tree } => routes::archive(root(tree)),
            Job::ArchiveYear { tree, year } => {
                routes::archive_year(root(tree), site.trees[*tree].years[*year].year)
            }
            Job::ArchiveMonth { tree, year, month } => {
                let y = &site.trees[*tree].years[*year];
                routes::archive_month(root(tree), y.year, y.months[*month].month)
            }
            Job::Tags { tree } => routes::tags(root(tree)),
            Job::Atom { tree } => routes::atom(root(tree)),
            Job::Rss { tree } => routes::rss(root(tree)),
            Job::NotFound { tree } => routes::not_found(root(tree)),
            Job::Search { tree } => routes::search(root(tree)),
            Job::Polls { tree } => routes::polls(root(tree)),
            Job::Poll { tree, poll } => routes::poll(root(tree), &site.polls[*poll].id),
            Job::PollIndex => "/polls/index.json".to_string(),
            Job::Redirect { from, .. } => from.clone(),
            Job::Sitemap => "/sitemap.xml".to_string(),
            Job::SitemapPart(part) => part.path(),
            Job::Robots => "/robots.txt".to_string(),
        }
    }

    /// What the job itself contributes to its output beyond the inputs it reads (its kind,
    /// its page of a list, a redirect's target), as a number that stays the same across
    /// rebuilds while those do: an index into the model is not part of it.
    pub fn key(&self) -> u64 {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut h = DefaultHasher::new();
        self.kind().hash(&mut h);
        match self {
            Job::Front { pager, .. } | Job::Region { pager, .. } | Job::Tag { pager, .. } => {
                pager.hash(&mut h)
            }
            Job::Redirect { from, to, lang } => (from, to, lang).hash(&mut h),
            Job::SitemapPart(part) => part.hash(&mut h),
            _ => {}
        }
        h.finish()
    }

    /// Whether this job writes an HTML page that counts as a page of the site.
    pub fn is_page(&self) -> bool {
        !matches!(
            self,
            Job::RegionFeed { .. }
                | Job::Atom { .. }
                | Job::Rss { .. }
                | Job::Sitemap
                | Job::SitemapPart(_)
                | Job::Robots
                | Job::Redirect { .. }
                | Job::PollIndex
        )
    }
}

/// Every output file of the site, in a stable order.
pub fn jobs(site: &Site) -> Vec<Job> {
    let per_page = site.config.paginate;
    let mut jobs: Vec<Job> = (0..site.articles.len()).map(Job::Article).collect();
    jobs.extend((0..site.pages.len()).map(Job::Page));
    for (t, tree) in site.trees.iter().enumerate() {
        let pagers = |len: usize, base: String| paginate(len, per_page, &base);
        jobs.extend(
            pagers(tree.front.len(), tree.root.clone())
                .into_iter()
                .map(|pager| Job::Front { tree: t, pager }),
        );
        jobs.push(Job::Regions { tree: t });
        for (r, list) in tree.regions.iter().enumerate() {
            let base = format!("{}regions/{}/", tree.root, site.regions[r].slug);
            jobs.extend(
                pagers(list.len(), base)
                    .into_iter()
                    .map(|pager| Job::Region {
                        tree: t,
                        region: r,
                        pager,
                    }),
            );
            jobs.push(Job::RegionFeed { tree: t, region: r });
            for former in &site.regions[r].former {
                jobs.push(Job::Redirect {
                    from: format!("{}regions/{former}/", tree.root),
                    to: format!("{}regions/{}/", tree.root, site.regions[r].slug),
                    lang: tree.lang.clone(),
                });
            }
        }
        jobs.push(Job::Archive { tree: t });
        for (y, year) in tree.years.iter().enumerate() {
            jobs.push(Job::ArchiveYear { tree: t, year: y });
            jobs.extend((0..year.months.len()).map(|m| Job::ArchiveMonth {
                tree: t,
                year: y,
                month: m,
            }));
        }
        jobs.push(Job::Tags { tree: t });
        for (g, tag) in tree.tags.iter().enumerate() {
            let base = format!("{}tags/{}/", tree.root, tag.slug);
            jobs.extend(
                pagers(tag.articles.len(), base)
                    .into_iter()
                    .map(|pager| Job::Tag {
                        tree: t,
                        tag: g,
                        pager,
                    }),
            );
        }
        jobs.extend([
            Job::Atom { tree: t },
            Job::Rss { tree: t },
            Job::NotFound { tree: t },
            Job::Polls { tree: t },
        ]);
        if site.config.search {
            jobs.push(Job::Search { tree: t });
        }
        jobs.extend((0..site.polls.len()).map(|p| Job::Poll { tree: t, poll: p }));
    }
    jobs.push(Job::PollIndex);
    let aliases = site
        .articles
        .iter()
        .map(|a| (&a.aliases, &a.path, &a.lang))
        .chain(site.pages.iter().map(|p| (&p.aliases, &p.path, &p.lang)));
    for (list, to, lang) in aliases {
        jobs.extend(list.iter().map(|from| Job::Redirect {
            from: from.clone(),
            to: to.clone(),
            lang: lang.clone(),
        }));
    }
    let parts = sitemap_parts(site, &jobs, sitemap_limit());
    jobs.push(Job::Sitemap);
    jobs.extend(parts.into_iter().map(Job::SitemapPart));
    jobs.push(Job::Robots);
    jobs
}

/// How many URLs one sitemap file may hold (the sitemaps protocol's limit), unless
/// `BIRGE_SITEMAP_LIMIT` sets a smaller number (for tests of large sites on small ones).
pub fn sitemap_limit() -> usize {
    std::env::var("BIRGE_SITEMAP_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(50_000)
}

/// Where a page's URL goes in a split sitemap: the part of its year, or of undated pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SitemapYear {
    /// Pages of one year: articles by their date, archive pages by theirs.
    Year(i16),
    /// Every other page: front pages, lists, indexes, polls, standalone pages.
    Undated,
}

/// One file of a split sitemap: the `chunk`-th (from 0) group of a year's URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SitemapPart {
    /// Whose URLs it holds.
    pub year: SitemapYear,
    /// Which group of [`sitemap_limit`] URLs of that year.
    pub chunk: usize,
}

impl SitemapPart {
    /// The part's site path: `/sitemap-2020.xml`, `/sitemap-2020-2.xml`, `/sitemap-pages.xml`.
    pub fn path(&self) -> String {
        let name = match self.year {
            SitemapYear::Year(year) => year.to_string(),
            SitemapYear::Undated => "pages".to_string(),
        };
        match self.chunk {
            0 => format!("/sitemap-{name}.xml"),
            n => format!("/sitemap-{name}-{}.xml", n + 1),
        }
    }
}

/// Where a job's page goes in the sitemap; `None` for outputs that are not listed (feeds,
/// redirects, not-found pages, drafts).
pub fn sitemap_year(site: &Site, job: &Job) -> Option<SitemapYear> {
    match job {
        Job::Article(i) if site.articles[*i].draft => None,
        Job::Page(i) if site.pages[*i].draft => None,
        Job::Article(i) => Some(SitemapYear::Year(site.articles[*i].date.year())),
        Job::ArchiveYear { tree, year } | Job::ArchiveMonth { tree, year, .. } => {
            Some(SitemapYear::Year(site.trees[*tree].years[*year].year))
        }
        Job::Page(_)
        | Job::Front { .. }
        | Job::Region { .. }
        | Job::Tag { .. }
        | Job::Regions { .. }
        | Job::Tags { .. }
        | Job::Polls { .. }
        | Job::Poll { .. }
        | Job::Archive { .. } => Some(SitemapYear::Undated),
        _ => None,
    }
}

/// The parts of the sitemap when it has more URLs than `limit`, in order; none otherwise.
pub fn sitemap_parts(site: &Site, jobs: &[Job], limit: usize) -> Vec<SitemapPart> {
    let mut per_year: std::collections::BTreeMap<SitemapYear, usize> = Default::default();
    for job in jobs {
        if let Some(year) = sitemap_year(site, job) {
            *per_year.entry(year).or_default() += 1;
        }
    }
    split_sitemap(&per_year, limit)
}

/// Splits URL counts per year into parts of at most `limit` URLs; one part (no split) when
/// they fit in one file.
pub fn split_sitemap(
    per_year: &std::collections::BTreeMap<SitemapYear, usize>,
    limit: usize,
) -> Vec<SitemapPart> {
    if per_year.values().sum::<usize>() <= limit {
        return Vec::new();
    }
    per_year
        .iter()
        .flat_map(|(&year, &count)| {
            (0..count.div_ceil(limit.max(1))).map(move |chunk| SitemapPart { year, chunk })
        })
        .collect()
}

/// The output file for a site path: `/a/b/` -> `a/b/index.html` ([`crate::routes::output_file`]).
pub fn output_path(site_path: &str) -> String {
    crate::routes::output_file(site_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_sitemaps_split_by_year() {
        let counts = std::collections::BTreeMap::from([
            (SitemapYear::Year(2020), 5),
            (SitemapYear::Year(2021), 2),
            (SitemapYear::Undated, 1),
        ]);
        assert!(
            split_sitemap(&counts, 8).is_empty(),
            "8 URLs fit in one file"
        );
        let paths: Vec<String> = split_sitemap(&counts, 3)
            .iter()
            .map(SitemapPart::path)
            .collect();
        assert_eq!(
            paths,
            [
                "/sitemap-2020.xml",
                "/sitemap-2020-2.xml",
                "/sitemap-2021.xml",
                "/sitemap-pages.xml"
            ]
        );
    }

    #[test]
    fn output_paths() {
        assert_eq!(output_path("/"), "index.html");
        assert_eq!(output_path("/news/2020/03/a/"), "news/2020/03/a/index.html");
        assert_eq!(output_path("/atom.xml"), "atom.xml");
        assert_eq!(output_path("/kk/404.html"), "kk/404.html");
        assert_eq!(output_path("/old/path"), "old/path/index.html");
    }
}
