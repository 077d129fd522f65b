//! The outputs that are not pages of the theme's layout: Atom and RSS feeds, the sitemap and
//! redirect pages.
//!
//! Takes the [`Renderer`]'s shared views, gives file bytes.

use serde::Serialize;
use tera::{Context, Value};

use std::collections::BTreeMap;

use super::outputs::{SitemapPart, SitemapYear, jobs, sitemap_limit, sitemap_year, split_sitemap};
use super::reads::ListId;
use super::scope::Scope;
use super::views;
use super::{Job, filters};
use crate::diagnostics::Problem;

#[derive(Serialize)]
struct FeedView<'a> {
    title: String,
    url: &'a str,
    permalink: String,
    feed_url: String,
    updated: String,
}

#[derive(Serialize)]
struct SitemapEntry {
    url: String,
    permalink: String,
    lastmod: Option<String>,
}

impl Scope<'_, '_> {
    pub(super) fn feed(
        &self,
        template: &str,
        tree: usize,
        title: String,
        page: &str,
        feed_path: &str,
        list: ListId,
    ) -> Result<Vec<u8>, Problem> {
        let site = self.site;
        let newest = self.newest(list);
        let updated = newest
            .iter()
            .map(|&i| {
                site.articles[i]
                    .updated
                    .as_ref()
                    .unwrap_or(&site.articles[i].date)
            })
            .max()
            .map(crate::dates::rfc3339)
            .unwrap_or_else(|| "1970-01-01T00:00:00+00:00".to_string());
        let mut cx = self.context(tree, feed_path, "feed", &[]);
        cx.insert(
            "feed",
            &FeedView {
                title,
                url: page,
                permalink: views::permalink(site, page),
                feed_url: feed_path.to_string(),
                updated,
            },
        );
        let articles: Vec<Value> = newest
            .iter()
            .map(|&i| {
                let page = &site.articles[i].path;
                let content = urls_made_absolute(&self.body(i).html, site, page);
                self.in_feed(i, &content, |summary| {
                    urls_made_absolute(summary, site, page)
                })
            })
            .collect();
        cx.insert_value("articles", Value::from(articles));
        self.render_template(template, &cx)
    }

    /// Every URL of the sitemap with where it goes, in the order of the jobs.
    fn sitemap_entries(&self) -> Vec<(SitemapYear, SitemapEntry)> {
        self.routing();
        let site = self.site;
        let lastmod = |i: usize| {
            crate::dates::rfc3339(
                site.articles[i]
                    .updated
                    .as_ref()
                    .unwrap_or(&site.articles[i].date),
            )
        };
        let newest = |list: &[usize]| {
            list.iter()
                .filter(|&&i| !site.articles[i].draft)
                .map(|&i| {
                    site.articles[i]
                        .updated
                        .as_ref()
                        .unwrap_or(&site.articles[i].date)
                })
                .max()
                .map(crate::dates::rfc3339)
        };
        // Every page of a paginated list shares the list's date: computed once per list, so
        // the sitemap stays linear in the number of articles.
        let newest_of_tree: Vec<Option<String>> =
            site.trees.iter().map(|t| newest(&t.articles)).collect();
        let newest_of_region: Vec<Vec<Option<String>>> = site
            .trees
            .iter()
            .map(|t| t.regions.iter().map(|list| newest(list)).collect())
            .collect();
        let newest_of_tag: Vec<Vec<Option<String>>> = site
            .trees
            .iter()
            .map(|t| t.tags.iter().map(|g| newest(&g.articles)).collect())
            .collect();
        let mut entries = Vec::new();
        for job in jobs(site) {
            let Some(year) = sitemap_year(site, &job) else {
                continue;
            };
            let (url, lastmod): (String, Option<String>) = match &job {
                Job::Article(i) => (site.articles[*i].path.clone(), Some(lastmod(*i))),
                Job::Page(i) => (
                    site.pages[*i].path.clone(),
                    site.pages[*i].updated.as_ref().map(crate::dates::rfc3339),
                ),
                Job::Front { tree, pager } => (pager.path.clone(), newest_of_tree[*tree].clone()),
                Job::Region {
                    tree,
                    region,
                    pager,
                } => (pager.path.clone(), newest_of_region[*tree][*region].clone()),
                Job::Tag { tree, tag, pager } => {
                    (pager.path.clone(), newest_of_tag[*tree][*tag].clone())
                }
                Job::Regions { tree } => (format!("{}regions/", site.trees[*tree].root), None),
                Job::Tags { tree } => (format!("{}tags/", site.trees[*tree].root), None),
                Job::Polls { tree } => (format!("{}polls/", site.trees[*tree].root), None),
                Job::Poll { tree, poll } => (
                    format!("{}polls/{}/", site.trees[*tree].root, site.polls[*poll].id),
                    None,
                ),
                Job::Archive { tree } => (
                    format!("{}archive/", site.trees[*tree].root),
                    newest_of_tree[*tree].clone(),
                ),
                Job::ArchiveYear { tree, year } => {
                    let y = &site.trees[*tree].years[*year];
                    let all: Vec<usize> = y
                        .months
                        .iter()
                        .flat_map(|m| m.articles.iter().copied())
                        .collect();
                    (
                        format!("{}archive/{}/", site.trees[*tree].root, y.year),
                        newest(&all),
                    )
                }
                Job::ArchiveMonth { tree, year, month } => {
                    let y = &site.trees[*tree].years[*year];
                    let m = &y.months[*month];
                    (
                        format!(
                            "{}archive/{}/{:02}/",
                            site.trees[*tree].root, y.year, m.month
                        ),
                        newest(&m.articles),
                    )
                }
                _ => continue,
            };
            entries.push((
                year,
                SitemapEntry {
                    permalink: views::permalink(site, &url),
                    url,
                    lastmod,
                },
            ));
        }
        entries
    }

    /// `/sitemap.xml`: every URL when they fit in one file, else the index of its parts.
    pub(super) fn sitemap(&self) -> Result<Vec<u8>, Problem> {
        let entries = self.sitemap_entries();
        let limit = sitemap_limit();
        if entries.len() <= limit {
            let all: Vec<SitemapEntry> = entries.into_iter().map(|(_, e)| e).collect();
            return self.urlset(&all);
        }
        let mut per_year: BTreeMap<SitemapYear, usize> = BTreeMap::new();
        for (year, _) in &entries {
            *per_year.entry(*year).or_default() += 1;
        }
        let newest_of = |year: SitemapYear| {
            entries
                .iter()
                .filter(|(y, _)| *y == year)
                .filter_map(|(_, e)| e.lastmod.as_deref())
                .max()
                .map(str::to_string)
        };
        let parts: Vec<SitemapEntry> = split_sitemap(&per_year, limit)
            .iter()
            .map(|part| {
                let url = part.path();
                SitemapEntry {
                    permalink: views::permalink(self.site, &url),
                    url,
                    lastmod: newest_of(part.year),
                }
            })
            .collect();
        let mut out = String::from(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        for part in parts {
            out.push_str("  <sitemap>\n    <loc>");
            out.push_str(&crate::html::escape_html(&part.permalink));
            out.push_str("</loc>\n");
            if let Some(lastmod) = &part.lastmod {
                out.push_str(&format!("    <lastmod>{lastmod}</lastmod>\n"));
            }
            out.push_str("  </sitemap>\n");
        }
        out.push_str("</sitemapindex>\n");
        Ok(out.into_bytes())
    }

    /// One part of a split sitemap: the URLs of its year, [`sitemap_limit`] at most.
    pub(super) fn sitemap_part(&self, part: &SitemapPart) -> Result<Vec<u8>, Problem> {
        let limit = sitemap_limit();
        let chunk: Vec<SitemapEntry> = self
            .sitemap_entries()
            .into_iter()
            .filter(|(year, _)| *year == part.year)
            .skip(part.chunk * limit)
            .take(limit)
            .map(|(_, e)| e)
            .collect();
        self.urlset(&chunk)
    }

    /// A `<urlset>` of entries through the theme's `sitemap.xml` template.
    fn urlset(&self, entries: &[SitemapEntry]) -> Result<Vec<u8>, Problem> {
        let site = self.site;
        let mut cx = Context::new();
        cx.insert_value("site", self.site_view(0));
        cx.insert("lang", &site.config.language);
        cx.insert("entries", &entries);
        self.render_template("sitemap.xml", &cx)
    }

    pub(super) fn redirect(&self, to: &str, lang: &str) -> String {
        let title = self.site.config.title.get(lang);
        let url = filters::absolute_url(&self.site.config.base_url, to);
        let url = crate::html::escape_html(&url);
        let text = self.theme.string(lang, "redirect_notice");
        let text = if text == "redirect_notice" {
            "This page has moved to"
        } else {
            text
        };
        format!(
            "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<link rel=\"canonical\" href=\"{url}\">\n<meta name=\"robots\" content=\"noindex\">\n<meta http-equiv=\"refresh\" content=\"0; url={url}\">\n</head>\n<body>\n<p>{} <a href=\"{url}\">{url}</a>.</p>\n</body>\n</html>\n",
            crate::html::escape_html(title),
            crate::html::escape_html(text),
        )
    }
}

/// `html` of the page at site path `page` with the URLs of its `src`, `href`, `srcset`,
/// `poster` and `action` attributes made absolute: a feed reader shows an entry away from
/// its page, so a bundle's `photo-960w.jpg` or a site path `/logo.png` must carry the site.
pub(super) fn urls_made_absolute(html: &str, site: &crate::site::Site, page: &str) -> String {
    const ATTRIBUTES: [&str; 5] = [" src", " href", " srcset", " poster", " action"];
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut copied = 0;
    for at in memchr::memmem::find_iter(html.as_bytes(), b"=\"") {
        let Some(attribute) = ATTRIBUTES.iter().find(|a| html[..at].ends_with(**a)) else {
            continue;
        };
        let start = at + 2;
        if start < copied {
            continue;
        }
        let Some(len) = html[start..].find('"') else {
            break;
        };
        out.push_str(&html[copied..start]);
        let value = &html[start..start + len];
        if *attribute == " srcset" {
            let candidates: Vec<String> = value
                .split(',')
                .map(|candidate| {
                    let candidate = candidate.trim();
                    let (url, size) = candidate.split_once(' ').unwrap_or((candidate, ""));
                    let url = absolute_from(url, site, page);
                    if size.is_empty() {
                        url
                    } else {
                        format!("{url} {size}")
                    }
                })
                .collect();
            out.push_str(&candidates.join(", "));
        } else {
            out.push_str(&absolute_from(value, site, page));
        }
        copied = start + len;
    }
    out.push_str(&html[copied..]);
    out
}

/// One URL of the page at site path `page`, absolute.
fn absolute_from(url: &str, site: &crate::site::Site, page: &str) -> String {
    if url.is_empty() || url.starts_with("//") || crate::markdown::has_scheme(url) {
        return url.to_string();
    }
    if url.starts_with('#') {
        return format!("{}{url}", views::permalink(site, page));
    }
    if url.starts_with('/') {
        return views::permalink(site, url);
    }
    let folder = &page[..page.rfind('/').map_or(0, |i| i + 1)];
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    let (path, tail) = url.split_at(url.find(['?', '#']).unwrap_or(url.len()));
    let mut last = "";
    for part in path.split('/') {
        match part {
            "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
        last = part;
    }
    let mut resolved = format!("/{}", parts.join("/"));
    if matches!(last, "" | "." | "..") && !resolved.ends_with('/') {
        resolved.push('/');
    }
    views::permalink(site, &format!("{resolved}{tail}"))
}
