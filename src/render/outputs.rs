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
    /// The sitemap of every page.
    Sitemap,
    /// robots.txt.
    Robots,
}

impl Job {
    /// Every kind of job [`Job::kind`] names.
    pub const KINDS: [&'static str; 20] = [
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
        "polls",
        "poll",
        "poll index",
        "redirect",
        "sitemap",
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
            Job::Polls { .. } => "polls",
            Job::Poll { .. } => "poll",
            Job::PollIndex => "poll index",
            Job::Redirect { .. } => "redirect",
            Job::Sitemap => "sitemap",
            Job::Robots => "robots",
        }
    }

    /// Whether this job writes an HTML page that counts as a page of the site.
    pub fn is_page(&self) -> bool {
        !matches!(
            self,
            Job::RegionFeed { .. }
                | Job::Atom { .. }
                | Job::Rss { .. }
                | Job::Sitemap
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
    jobs.extend([Job::Sitemap, Job::Robots]);
    jobs
}

/// The output file for a site path: `/a/b/` -> `a/b/index.html`, `/atom.xml` -> `atom.xml`.
pub fn output_path(site_path: &str) -> String {
    let trimmed = site_path.trim_start_matches('/');
    if trimmed.is_empty() || trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else if trimmed
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
    {
        trimmed.to_string()
    } else {
        format!("{trimmed}/index.html")
    }
}

#[cfg(test)]
mod tests {
    use super::output_path;

    #[test]
    fn output_paths() {
        assert_eq!(output_path("/"), "index.html");
        assert_eq!(output_path("/news/2020/03/a/"), "news/2020/03/a/index.html");
        assert_eq!(output_path("/atom.xml"), "atom.xml");
        assert_eq!(output_path("/kk/404.html"), "kk/404.html");
        assert_eq!(output_path("/old/path"), "old/path/index.html");
    }
}
