//! The render stage: the site model through Tera templates into pages, feeds and the sitemap.
//!
//! Takes the [`Site`], its rendered Markdown and a [`Theme`], gives one flat list of [`Job`]s
//! (one per output file) and renders any of them, in any order, on any thread.

pub mod filters;
pub mod views;

use std::collections::HashSet;

use serde::Serialize;
use tera::{Context, Tera, Value};

use crate::diagnostics::Problem;
use crate::markdown::{Rendered, poll_marker};
use crate::site::{Pager, Site, paginate};
use crate::theme::Theme;
use views::{Paginators, Views, region_view};

/// What birge says it is in pages' metadata.
pub const GENERATOR: &str = concat!("birge ", env!("CARGO_PKG_VERSION"));

/// How many articles a feed carries.
pub const FEED_SIZE: usize = 20;

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

/// Compiles the theme's templates with birge's filters; syntax errors of every template are
/// reported, each at its file, line and column.
/// With `safe_html`, the `markdown` filter sanitises what it renders, as bodies are.
pub fn compile(theme: &Theme, base_url: &str, safe_html: bool) -> Result<Tera, Vec<Problem>> {
    let mut problems = Vec::new();
    for template in theme.templates.values() {
        let mut scratch = Tera::new();
        if let Err(error) = scratch.add_raw_template(&template.name, &template.text)
            && matches!(error.kind(), tera::ErrorKind::SyntaxError(_))
        {
            problems.push(template_problem(theme, &error));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut tera = Tera::new();
    filters::register(&mut tera, base_url, theme.strings.clone(), safe_html);
    tera.autoescape_on(vec![".html", ".htm", ".xml"]);
    tera.add_raw_templates(
        theme
            .templates
            .values()
            .map(|t| (t.name.as_str(), t.text.as_str())),
    )
    .map_err(|error| vec![template_problem(theme, &error)])?;
    for required in REQUIRED_TEMPLATES {
        if !tera.contains_template(required) {
            problems.push(
                Problem::new(
                    "templates",
                    format!("the theme has no template `{required}`"),
                )
                .hint("add it to the theme's templates/ or to the site's templates/"),
            );
        }
    }
    if problems.is_empty() {
        Ok(tera)
    } else {
        Err(problems)
    }
}

/// The templates every theme must have.
pub const REQUIRED_TEMPLATES: &[&str] = &[
    "base.html",
    "index.html",
    "article.html",
    "page.html",
    "regions.html",
    "region.html",
    "archive.html",
    "archive_year.html",
    "archive_month.html",
    "tags.html",
    "tag.html",
    "polls.html",
    "poll.html",
    "404.html",
    "partials/poll.html",
    "atom.xml",
    "rss.xml",
    "sitemap.xml",
];

/// A Tera error as a problem located in the template's file.
pub fn template_problem(theme: &Theme, error: &tera::Error) -> Problem {
    let report = match error.kind() {
        tera::ErrorKind::SyntaxError(report) | tera::ErrorKind::RenderingError(report) => {
            Some(report)
        }
        _ => None,
    };
    match report {
        Some(report) => {
            let origin = theme.templates.get(report.filename()).map_or_else(
                || format!("templates/{}", report.filename()),
                |t| t.origin.clone(),
            );
            let span = report.span();
            let kind = if matches!(error.kind(), tera::ErrorKind::SyntaxError(_)) {
                "template syntax error"
            } else {
                "template error"
            };
            Problem::new(origin, format!("{kind}: {}", report.message()))
                .at(span.start_line, span.start_col + 1)
        }
        None => {
            let mut message = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(inner) = source {
                message.push_str(": ");
                message.push_str(&inner.to_string());
                source = inner.source();
            }
            Problem::new("templates", format!("template error: {message}"))
        }
    }
}

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

    fn context(&self, tree: usize, page_path: &str, kind: &str, shown_polls: &[&str]) -> Context {
        let lang = &self.site.trees[tree].lang;
        let mut cx = Context::new();
        cx.insert_value("site", self.views.site[tree].clone());
        cx.insert("lang", lang);
        cx.insert("page_path", page_path);
        cx.insert("page_kind", kind);
        cx.insert("generator", GENERATOR);
        cx.insert_value("nav_regions", self.views.nav_regions[tree].clone());
        cx.insert_value("nav_pages", self.views.nav_pages[tree].clone());
        let featured = self
            .featured
            .filter(|&p| !shown_polls.contains(&self.site.polls[p].id.as_str()))
            .map(|p| self.views.polls[tree][p].clone());
        cx.insert_value("featured_poll", featured.unwrap_or_else(Value::none));
        cx
    }

    fn list(&self, indexes: &[usize]) -> Value {
        Value::from(
            indexes
                .iter()
                .map(|&i| self.views.articles[i].clone())
                .collect::<Vec<_>>(),
        )
    }

    /// An article's shared list view with its `content` added, for its page and feeds.
    fn with_content(&self, index: usize, content: &str) -> Value {
        let mut view = self.views.articles[index]
            .as_map()
            .cloned()
            .unwrap_or_default();
        view.insert("content".into(), Value::from(content));
        Value::from(view)
    }

    fn tree_of_lang(&self, lang: &str) -> usize {
        self.site
            .trees
            .iter()
            .position(|t| t.lang == lang)
            .unwrap_or(0)
    }

    fn render_template(&self, name: &str, cx: &Context) -> Result<Vec<u8>, Problem> {
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

    fn article(&self, index: usize) -> Result<Vec<u8>, Problem> {
        let site = self.site;
        let article = &site.articles[index];
        let body = &self.bodies[index];
        let tree = self.tree_of_lang(&article.lang);
        let mut shown: Vec<&str> = body.polls.iter().map(String::as_str).collect();
        shown.extend(article.poll.as_deref());
        let mut cx = self.context(tree, &article.path, "article", &shown);
        let content = self.with_poll_widgets(&body.html, &body.polls, tree, &article.path)?;
        cx.insert_value("article", self.with_content(index, &content));
        let neighbours = site.neighbours[index];
        let pick =
            |i: Option<usize>| i.map_or_else(Value::none, |i| self.views.articles[i].clone());
        cx.insert_value("previous", pick(neighbours.older));
        cx.insert_value("next", pick(neighbours.newer));
        let t = &site.trees[tree];
        let more: Vec<Value> = article
            .regions
            .iter()
            .filter_map(|slug| site.regions.iter().position(|r| &r.slug == slug))
            .filter_map(|r| {
                let others = site.more_from_region(index, r, 3);
                if others.is_empty() {
                    return None;
                }
                let mut entry = tera::Map::new();
                entry.insert(
                    "region".into(),
                    Value::from_serializable(&region_view(
                        site,
                        t,
                        &site.regions[r],
                        t.regions[r].len(),
                        self.theme,
                    )),
                );
                entry.insert("articles".into(), self.list(&others));
                Some(Value::from(entry))
            })
            .collect();
        cx.insert_value("more_from", Value::from(more));
        let poll = article
            .poll
            .as_deref()
            .and_then(|id| site.polls.iter().position(|p| p.id == id));
        cx.insert_value(
            "poll",
            poll.map_or_else(Value::none, |p| self.views.polls[tree][p].clone()),
        );
        self.render_template("article.html", &cx)
    }

    /// Replaces poll shortcode markers in rendered Markdown by the widget partial.
    fn with_poll_widgets(
        &self,
        html: &str,
        polls: &[String],
        tree: usize,
        page_path: &str,
    ) -> Result<String, Problem> {
        let mut out = html.to_string();
        let mut seen = HashSet::new();
        for (n, id) in polls.iter().enumerate() {
            let Some(p) = self.site.polls.iter().position(|p| &p.id == id) else {
                continue;
            };
            if !seen.insert(id) {
                continue;
            }
            let mut cx = self.context(tree, page_path, "partial", &[]);
            cx.insert_value("poll", self.views.polls[tree][p].clone());
            cx.insert("placement", &format!("inline-{}", n + 1));
            let widget = String::from_utf8(self.render_template("partials/poll.html", &cx)?)
                .unwrap_or_default();
            out = out.replace(&poll_marker(id), &widget);
        }
        Ok(out)
    }

    fn page(&self, index: usize) -> Result<Vec<u8>, Problem> {
        let page = &self.site.pages[index];
        let body = &self.page_bodies[index];
        let tree = self.tree_of_lang(&page.lang);
        let shown: Vec<&str> = body.polls.iter().map(String::as_str).collect();
        let mut cx = self.context(tree, &page.path, "page", &shown);
        let content = self.with_poll_widgets(&body.html, &body.polls, tree, &page.path)?;
        #[derive(Serialize)]
        struct PageView<'p> {
            title: &'p str,
            url: &'p str,
            permalink: String,
            content: &'p str,
            summary: &'p str,
            summary_text: String,
            lang: &'p str,
            date: Option<String>,
            updated: Option<String>,
            image: Option<views::ImageView<'p>>,
            draft: bool,
            extra: &'p serde_json::Value,
        }
        let written = page.summary.as_deref().map(crate::markdown::render_snippet);
        let summary = written.as_deref().unwrap_or(&body.summary);
        cx.insert(
            "page",
            &PageView {
                title: &page.title,
                url: &page.path,
                permalink: views::permalink(self.site, &page.path),
                content: &content,
                summary,
                summary_text: crate::html::plain_text(summary),
                lang: &page.lang,
                date: page.date.as_ref().map(crate::dates::rfc3339),
                updated: page.updated.as_ref().map(crate::dates::rfc3339),
                image: page.image.as_ref().map(views::page_image_view),
                draft: page.draft,
                extra: &page.extra,
            },
        );
        self.render_template("page.html", &cx)
    }

    fn year_view(&self, tree: usize, year: &crate::site::Year, with_articles: bool) -> Value {
        let root = &self.site.trees[tree].root;
        let mut map = tera::Map::new();
        map.insert("year".into(), Value::from(year.year as i64));
        let url = format!("{root}archive/{}/", year.year);
        map.insert(
            "permalink".into(),
            Value::from(views::permalink(self.site, &url)),
        );
        map.insert("url".into(), Value::from(url));
        map.insert("count".into(), Value::from(year.count()));
        let months: Vec<Value> = year
            .months
            .iter()
            .map(|m| self.month_view(tree, year.year, m, with_articles))
            .collect();
        map.insert("months".into(), Value::from(months));
        Value::from(map)
    }

    fn month_view(
        &self,
        tree: usize,
        year: i16,
        month: &crate::site::Month,
        with_articles: bool,
    ) -> Value {
        let t = &self.site.trees[tree];
        let mut map = tera::Map::new();
        map.insert("year".into(), Value::from(year as i64));
        map.insert("month".into(), Value::from(month.month as i64));
        map.insert(
            "name".into(),
            Value::from(crate::dates::month_name(month.month, &t.lang)),
        );
        map.insert(
            "title".into(),
            Value::from(crate::dates::month_year(year, month.month, &t.lang)),
        );
        let url = format!("{}archive/{year}/{:02}/", t.root, month.month);
        map.insert(
            "permalink".into(),
            Value::from(views::permalink(self.site, &url)),
        );
        map.insert("url".into(), Value::from(url));
        map.insert("count".into(), Value::from(month.articles.len()));
        if with_articles {
            map.insert("articles".into(), self.list(&month.articles));
        }
        Value::from(map)
    }

    fn tag_view(&self, tree: usize, tag: &crate::site::Tag) -> Value {
        let root = &self.site.trees[tree].root;
        let url = format!("{root}tags/{}/", tag.slug);
        Value::from_serializable(&views::TagView {
            name: &tag.name,
            slug: tag.slug.clone(),
            permalink: views::permalink(self.site, &url),
            url,
            count: tag.articles.len(),
        })
    }

    fn feed(
        &self,
        template: &str,
        tree: usize,
        title: String,
        page: &str,
        feed_path: String,
        list: &[usize],
    ) -> Result<Vec<u8>, Problem> {
        let site = self.site;
        let newest: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&i| !site.articles[i].draft)
            .take(FEED_SIZE)
            .collect();
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
        let mut cx = self.context(tree, &feed_path, "feed", &[]);
        cx.insert(
            "feed",
            &FeedView {
                title,
                url: page,
                permalink: views::permalink(site, page),
                feed_url: feed_path.clone(),
                updated,
            },
        );
        let articles: Vec<Value> = newest
            .iter()
            .map(|&i| self.with_content(i, &self.bodies[i].html))
            .collect();
        cx.insert_value("articles", Value::from(articles));
        self.render_template(template, &cx)
    }

    fn sitemap(&self) -> Result<Vec<u8>, Problem> {
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
            let (url, lastmod): (String, Option<String>) = match &job {
                Job::Article(i) if site.articles[*i].draft => continue,
                Job::Page(i) if site.pages[*i].draft => continue,
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
            entries.push(SitemapEntry {
                permalink: views::permalink(site, &url),
                url,
                lastmod,
            });
        }
        let mut cx = Context::new();
        cx.insert_value("site", self.views.site[0].clone());
        cx.insert("lang", &site.config.language);
        cx.insert("entries", &entries);
        self.render_template("sitemap.xml", &cx)
    }

    fn redirect(&self, to: &str, lang: &str) -> String {
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

    /// The time the build runs at.
    pub fn now(&self) -> jiff::Timestamp {
        self.now
    }
}

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
        Job::Sitemap => {
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
