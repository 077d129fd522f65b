//! The render stage: the site model through Tera templates into pages, feeds and the sitemap.
//!
//! Takes the [`Site`], its rendered Markdown and a [`Theme`], gives one flat list of [`Job`]s
//! (one per output file, [`outputs`]) and renders any of them, in any order, on any thread.
//! Pages are in `pages`, feeds, the sitemap and redirects in `feeds`, template compiling
//! in [`templates`], the views templates see in [`views`].

mod feeds;
pub mod filters;
mod fingerprint;
pub mod outputs;
mod pages;
pub mod templates;
pub mod views;

use tera::{Context, Tera, Value};

use crate::diagnostics::Problem;
use crate::markdown::Rendered;
use crate::site::Site;
use crate::theme::Theme;
pub use fingerprint::{fingerprint, identity_of};
pub use outputs::{Job, jobs, output_path};
pub use templates::{REQUIRED_TEMPLATES, compile, template_problem};
use views::{Paginators, Views, region_view};

/// What birge says it is in pages' metadata.
pub const GENERATOR: &str = concat!("birge ", env!("CARGO_PKG_VERSION"));

/// How many articles a feed carries.
pub const FEED_SIZE: usize = 20;

/// Renders jobs; shared by every thread of the build.
pub struct Renderer<'a> {
    site: &'a Site,
    bodies: &'a [Rendered],
    page_bodies: &'a [Rendered],
    theme: &'a Theme,
    tera: &'a Tera,
    views: Views,
    paginators: Paginators,
    featured: Option<usize>,
    now: jiff::Timestamp,
}

/// One rendered output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path under the output folder, `/`-separated.
    pub path: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl<'a> Renderer<'a> {
    /// Prepares the views shared by all pages.
    pub fn new(
        site: &'a Site,
        bodies: &'a [Rendered],
        page_bodies: &'a [Rendered],
        theme: &'a Theme,
        tera: &'a Tera,
        results: &views::Results,
        now: jiff::Timestamp,
    ) -> Self {
        let views = Views::new(site, bodies, theme, results, now);
        Renderer::with_views(site, bodies, page_bodies, theme, tera, views, now)
    }

    /// Prepares rendering with views computed elsewhere (kept between rebuilds).
    pub fn with_views(
        site: &'a Site,
        bodies: &'a [Rendered],
        page_bodies: &'a [Rendered],
        theme: &'a Theme,
        tera: &'a Tera,
        views: Views,
        now: jiff::Timestamp,
    ) -> Self {
        let featured = site
            .config
            .polls
            .featured
            .as_deref()
            .and_then(|id| site.polls.iter().position(|p| p.id == id));
        Renderer {
            site,
            bodies,
            page_bodies,
            theme,
            tera,
            views,
            paginators: Paginators::new(&site.config.base_url),
            featured,
            now,
        }
    }

    pub(super) fn context(
        &self,
        tree: usize,
        page_path: &str,
        kind: &str,
        shown_polls: &[&str],
    ) -> Context {
        let lang = &self.site.trees[tree].lang;
        let mut cx = Context::new();
        cx.insert_value("site", self.views.site[tree].clone());
        cx.insert("lang", lang);
        cx.insert("page_path", page_path);
        cx.insert("page_kind", kind);
        cx.insert("generator", GENERATOR);
        cx.insert_value("nav_regions", self.views.nav_regions[tree].clone());
        cx.insert_value("nav_pages", self.views.nav_pages[tree].clone());
        cx.insert_value("urls", self.views.urls[tree].clone());
        let featured = self
            .featured
            .filter(|&p| !shown_polls.contains(&self.site.polls[p].id.as_str()))
            .map(|p| self.views.polls[tree][p].clone());
        cx.insert_value("featured_poll", featured.unwrap_or_else(Value::none));
        cx
    }

    pub(super) fn list(&self, indexes: &[usize]) -> Value {
        Value::from(
            indexes
                .iter()
                .map(|&i| self.views.articles[i].clone())
                .collect::<Vec<_>>(),
        )
    }

    /// An article's shared list view with its `content` added, for its page and feeds.
    pub(super) fn with_content(&self, index: usize, content: &str) -> Value {
        let mut view = self.views.articles[index]
            .as_map()
            .cloned()
            .unwrap_or_default();
        view.insert("content".into(), Value::from(content));
        Value::from(view)
    }

    pub(super) fn tree_of_lang(&self, lang: &str) -> usize {
        self.site
            .trees
            .iter()
            .position(|t| t.lang == lang)
            .unwrap_or(0)
    }

    pub(super) fn render_template(&self, name: &str, cx: &Context) -> Result<Vec<u8>, Problem> {
        self.tera
            .render(name, cx)
            .map(String::into_bytes)
            .map_err(|e| template_problem(self.theme, &e))
    }

    /// Renders one job into its output file.
    pub fn render(&self, job: &Job) -> Result<OutputFile, Problem> {
        let site = self.site;
        let (path, bytes) = match job {
            Job::Article(i) => (site.articles[*i].path.clone(), self.article(*i)?),
            Job::Page(i) => (site.pages[*i].path.clone(), self.page(*i)?),
            Job::Front { tree, pager } => {
                let t = &site.trees[*tree];
                let mut cx = self.context(*tree, &pager.path, "index", &[]);
                cx.insert_value("articles", self.list(&t.front[pager.items.clone()]));
                cx.insert_value("paginator", self.paginators.view(pager, &t.root));
                (pager.path.clone(), self.render_template("index.html", &cx)?)
            }
            Job::Regions { tree } => {
                let path = format!("{}regions/", site.trees[*tree].root);
                let mut cx = self.context(*tree, &path, "regions", &[]);
                cx.insert_value("regions", self.views.regions[*tree].clone());
                (path, self.render_template("regions.html", &cx)?)
            }
            Job::Region {
                tree,
                region,
                pager,
            } => {
                let t = &site.trees[*tree];
                let base = format!("{}regions/{}/", t.root, site.regions[*region].slug);
                let list = &t.regions[*region];
                let mut cx = self.context(*tree, &pager.path, "region", &[]);
                cx.insert(
                    "region",
                    &region_view(site, t, &site.regions[*region], list.len(), self.theme),
                );
                cx.insert_value("articles", self.list(&list[pager.items.clone()]));
                cx.insert_value("paginator", self.paginators.view(pager, &base));
                (
                    pager.path.clone(),
                    self.render_template("region.html", &cx)?,
                )
            }
            Job::RegionFeed { tree, region } => {
                let t = &site.trees[*tree];
                let r = &site.regions[*region];
                let page = format!("{}regions/{}/", t.root, r.slug);
                let title = format!(
                    "{} — {}",
                    site.config.title.get(&t.lang),
                    r.name(&t.lang, &site.config.language)
                );
                let feed_path = format!("{page}atom.xml");
                (
                    feed_path.clone(),
                    self.feed(
                        "atom.xml",
                        *tree,
                        title,
                        &page,
                        feed_path,
                        &t.regions[*region],
                    )?,
                )
            }
            Job::Archive { tree } => {
                let t = &site.trees[*tree];
                let path = format!("{}archive/", t.root);
                let mut cx = self.context(*tree, &path, "archive", &[]);
                let years: Vec<_> = t
                    .years
                    .iter()
                    .map(|y| self.year_view(*tree, y, false))
                    .collect();
                cx.insert_value("years", Value::from(years));
                (path, self.render_template("archive.html", &cx)?)
            }
            Job::ArchiveYear { tree, year } => {
                let t = &site.trees[*tree];
                let y = &t.years[*year];
                let path = format!("{}archive/{}/", t.root, y.year);
                let mut cx = self.context(*tree, &path, "archive_year", &[]);
                cx.insert_value("year", self.year_view(*tree, y, true));
                (path, self.render_template("archive_year.html", &cx)?)
            }
            Job::ArchiveMonth { tree, year, month } => {
                let t = &site.trees[*tree];
                let y = &t.years[*year];
                let m = &y.months[*month];
                let path = format!("{}archive/{}/{:02}/", t.root, y.year, m.month);
                let mut cx = self.context(*tree, &path, "archive_month", &[]);
                cx.insert_value("month", self.month_view(*tree, y.year, m, false));
                cx.insert_value("articles", self.list(&m.articles));
                (path, self.render_template("archive_month.html", &cx)?)
            }
            Job::Tags { tree } => {
                let t = &site.trees[*tree];
                let path = format!("{}tags/", t.root);
                let mut cx = self.context(*tree, &path, "tags", &[]);
                let tags: Vec<_> = t.tags.iter().map(|g| self.tag_view(*tree, g)).collect();
                cx.insert_value("tags", Value::from(tags));
                (path, self.render_template("tags.html", &cx)?)
            }
            Job::Tag { tree, tag, pager } => {
                let t = &site.trees[*tree];
                let g = &t.tags[*tag];
                let base = format!("{}tags/{}/", t.root, g.slug);
                let mut cx = self.context(*tree, &pager.path, "tag", &[]);
                cx.insert_value("tag", self.tag_view(*tree, g));
                cx.insert_value("articles", self.list(&g.articles[pager.items.clone()]));
                cx.insert_value("paginator", self.paginators.view(pager, &base));
                (pager.path.clone(), self.render_template("tag.html", &cx)?)
            }
            Job::Atom { tree } | Job::Rss { tree } => {
                let t = &site.trees[*tree];
                let (template, file) = if matches!(job, Job::Atom { .. }) {
                    ("atom.xml", "atom.xml")
                } else {
                    ("rss.xml", "rss.xml")
                };
                let feed_path = format!("{}{file}", t.root);
                (
                    feed_path.clone(),
                    self.feed(
                        template,
                        *tree,
                        site.config.title.get(&t.lang).to_string(),
                        &t.root,
                        feed_path,
                        &t.articles,
                    )?,
                )
            }
            Job::NotFound { tree } => {
                let path = format!("{}404.html", site.trees[*tree].root);
                let cx = self.context(*tree, &path, "404", &[]);
                (path, self.render_template("404.html", &cx)?)
            }
            Job::Polls { tree } => {
                let path = format!("{}polls/", site.trees[*tree].root);
                let mut cx = self.context(*tree, &path, "polls", &[]);
                cx.insert_value("polls", Value::from(self.views.polls[*tree].clone()));
                (path, self.render_template("polls.html", &cx)?)
            }
            Job::Poll { tree, poll } => {
                let id = site.polls[*poll].id.as_str();
                let path = format!("{}polls/{id}/", site.trees[*tree].root);
                let mut cx = self.context(*tree, &path, "poll", &[id]);
                cx.insert_value("poll", self.views.polls[*tree][*poll].clone());
                (path, self.render_template("poll.html", &cx)?)
            }
            Job::PollIndex => {
                // Public: a quiz's answer only once it closed (the service has them all).
                let index =
                    crate::content::polls::Index::public(&site.config, &site.polls, self.now);
                let json = serde_json::to_vec_pretty(&index)
                    .map_err(|e| Problem::new("polls/index.json", e.to_string()))?;
                ("/polls/index.json".to_string(), json)
            }
            Job::Redirect { from, to, lang } => {
                (from.clone(), self.redirect(to, lang).into_bytes())
            }
            Job::Sitemap => ("/sitemap.xml".to_string(), self.sitemap()?),
            Job::SitemapPart(part) => (part.path(), self.sitemap_part(part)?),
            Job::Robots => (
                "/robots.txt".to_string(),
                format!(
                    "User-agent: *\nAllow: /\n\nSitemap: {}/sitemap.xml\n",
                    site.config.base_url
                )
                .into_bytes(),
            ),
        };
        Ok(OutputFile {
            path: output_path(&path),
            bytes,
        })
    }

    /// The time the build runs at.
    pub fn now(&self) -> jiff::Timestamp {
        self.now
    }
}
