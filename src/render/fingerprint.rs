//! What `birge serve` uses to tell which outputs an edit changed: each output's identity
//! across rebuilds and a fingerprint of what it shows.
//!
//! Takes the [`Site`] and the versions of article and page views, gives numbers to compare.

use super::{FEED_SIZE, Job};
use crate::site::Site;

/// A job's identity as a number: the same output file across rebuilds.
pub fn identity_of(site: &Site, job: &Job) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    identity(site, job, &mut h);
    h.finish()
}

/// Hashes what names a job's output independently of article indexes, which shift when
/// articles are added or removed.
fn identity(site: &Site, job: &Job, h: &mut impl std::hash::Hasher) {
    use std::hash::Hash;
    std::mem::discriminant(job).hash(h);
    let lang = |tree: &usize| site.trees[*tree].lang.as_str();
    match job {
        Job::Article(i) => site.articles[*i].path.hash(h),
        Job::Page(i) => site.pages[*i].path.hash(h),
        Job::Front { pager, .. } | Job::Region { pager, .. } | Job::Tag { pager, .. } => {
            (&pager.path, pager.total).hash(h)
        }
        Job::RegionFeed { tree, region } => (lang(tree), &site.regions[*region].slug).hash(h),
        Job::ArchiveYear { tree, year } => {
            (lang(tree), site.trees[*tree].years[*year].year).hash(h)
        }
        Job::ArchiveMonth { tree, year, month } => {
            let y = &site.trees[*tree].years[*year];
            (lang(tree), y.year, y.months[*month].month).hash(h);
        }
        Job::Poll { tree, poll } => (lang(tree), &site.polls[*poll].id).hash(h),
        Job::Regions { tree }
        | Job::Archive { tree }
        | Job::Tags { tree }
        | Job::Atom { tree }
        | Job::Rss { tree }
        | Job::NotFound { tree }
        | Job::Polls { tree } => lang(tree).hash(h),
        Job::Redirect { from, to, lang } => (from, to, lang).hash(h),
        Job::Sitemap | Job::Robots | Job::PollIndex => {}
        Job::SitemapPart(part) => part.hash(h),
    }
}

/// What one output file depends on, hashed: the same fingerprint means the same bytes,
/// as long as `global` covers what every page shows (navigation, featured poll, settings)
/// and `articles[i]` / `pages[i]` change whenever article or page `i`'s view does.
pub fn fingerprint(site: &Site, job: &Job, articles: &[u64], pages: &[u64], global: u64) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    global.hash(&mut h);
    identity(site, job, &mut h);
    let list = |h: &mut std::collections::hash_map::DefaultHasher, items: &[usize]| {
        items.len().hash(h);
        for &i in items {
            articles[i].hash(h);
        }
    };
    match job {
        Job::Article(i) => {
            articles[*i].hash(&mut h);
            let n = site.neighbours[*i];
            n.older.map(|o| articles[o]).hash(&mut h);
            n.newer.map(|o| articles[o]).hash(&mut h);
            for slug in &site.articles[*i].regions {
                if let Some(r) = site.regions.iter().position(|r| &r.slug == slug) {
                    list(&mut h, &site.more_from_region(*i, r, 3));
                    site.tree(&site.articles[*i].lang)
                        .map(|t| t.regions[r].len())
                        .hash(&mut h);
                }
            }
        }
        Job::Page(i) => pages[*i].hash(&mut h),
        Job::Front { tree, pager } => list(&mut h, &site.trees[*tree].front[pager.items.clone()]),
        Job::Region {
            tree,
            region,
            pager,
        } => {
            let all = &site.trees[*tree].regions[*region];
            all.len().hash(&mut h);
            list(&mut h, &all[pager.items.clone()]);
        }
        Job::RegionFeed { tree, region } => {
            let all = &site.trees[*tree].regions[*region];
            list(&mut h, &all[..all.len().min(FEED_SIZE)]);
        }
        Job::Atom { tree } | Job::Rss { tree } => {
            let all = &site.trees[*tree].articles;
            list(&mut h, &all[..all.len().min(FEED_SIZE)]);
        }
        Job::Archive { tree } | Job::Tags { tree } => {
            let t = &site.trees[*tree];
            for year in &t.years {
                (
                    year.year,
                    year.months
                        .iter()
                        .map(|m| (m.month, m.articles.len()))
                        .collect::<Vec<_>>(),
                )
                    .hash(&mut h);
            }
            for tag in &t.tags {
                (&tag.name, &tag.slug, tag.articles.len()).hash(&mut h);
            }
        }
        Job::ArchiveYear { tree, year } => {
            for month in &site.trees[*tree].years[*year].months {
                month.month.hash(&mut h);
                list(&mut h, &month.articles);
            }
        }
        Job::ArchiveMonth { tree, year, month } => list(
            &mut h,
            &site.trees[*tree].years[*year].months[*month].articles,
        ),
        Job::Tag { tree, tag, pager } => {
            let t = &site.trees[*tree].tags[*tag];
            (&t.name, t.articles.len()).hash(&mut h);
            list(&mut h, &t.articles[pager.items.clone()]);
        }
        Job::Sitemap | Job::SitemapPart(_) => {
            // Only paths and dates show in the sitemap: body edits leave it alone.
            for article in &site.articles {
                (
                    &article.path,
                    article.date.timestamp(),
                    article.updated.as_ref().map(|u| u.timestamp()),
                )
                    .hash(&mut h);
            }
            pages.hash(&mut h);
            for tree in &site.trees {
                tree.tags
                    .iter()
                    .map(|t| (&t.slug, t.articles.len()))
                    .collect::<Vec<_>>()
                    .hash(&mut h);
                tree.years
                    .iter()
                    .map(|y| (y.year, y.months.len()))
                    .collect::<Vec<_>>()
                    .hash(&mut h);
            }
        }
        Job::Regions { .. }
        | Job::NotFound { .. }
        | Job::Polls { .. }
        | Job::Poll { .. }
        | Job::PollIndex
        | Job::Redirect { .. }
        | Job::Robots => {}
    }
    h.finish()
}
