//! One job being rendered: the accessors through which its code gets every piece of data it
//! hands a template, each recording the [`Read`] that names that piece.
//!
//! Takes a [`Renderer`] and a [`Job`], gives the output file and, when recording, its reads.
//! Job code in `pages` and `feeds` runs on a [`Scope`] too; it may look at the model to find
//! its way (indexes, languages, paths), but what ends up in a page comes through here.

use std::cell::RefCell;
use std::collections::HashSet;
use std::ops::{Deref, Range};

use tera::{Context, Value};

use super::outputs::output_path;
use super::reads::{ListId, Read, Reads};
use super::views::{article_view, region_view};
use super::{GENERATOR, Job, OutputFile, Renderer, template_problem};
use crate::diagnostics::Problem;
use crate::markdown::Rendered;
use crate::site::{Neighbours, Tag, Year};

/// A job's view of the renderer.
pub(super) struct Scope<'r, 'a> {
    renderer: &'r Renderer<'a>,
    reads: Option<RefCell<Reads>>,
}

impl<'a> Deref for Scope<'_, 'a> {
    type Target = Renderer<'a>;

    fn deref(&self) -> &Renderer<'a> {
        self.renderer
    }
}

impl<'r, 'a> Scope<'r, 'a> {
    pub(super) fn new(renderer: &'r Renderer<'a>, record: bool) -> Self {
        Scope {
            renderer,
            reads: record.then(RefCell::default),
        }
    }

    /// The reads made, each once, in the order first made.
    pub(super) fn into_reads(self) -> Reads {
        let mut reads = self.reads.map(RefCell::into_inner).unwrap_or_default();
        let mut seen = HashSet::new();
        reads.retain(|r| seen.insert(r.clone()));
        reads
    }

    fn read(&self, read: Read) {
        if let Some(reads) = &self.reads {
            reads.borrow_mut().push(read);
        }
    }

    fn source(&self, index: usize) -> String {
        self.site.articles[index].source.clone()
    }

    /// The variables every page of a tree gets, and the featured poll unless the page
    /// already shows it.
    pub(super) fn context(
        &self,
        tree: usize,
        page_path: &str,
        kind: &str,
        shown_polls: &[&str],
    ) -> Context {
        self.read(Read::Tree(tree));
        let lang = &self.site.trees[tree].lang;
        let views = &self.views;
        let mut cx = Context::new();
        cx.insert_value("site", views.site[tree].clone());
        cx.insert("lang", lang);
        cx.insert("page_path", page_path);
        cx.insert("page_kind", kind);
        cx.insert("generator", GENERATOR);
        cx.insert_value("nav_regions", views.nav_regions[tree].clone());
        cx.insert_value("nav_pages", views.nav_pages[tree].clone());
        cx.insert_value("urls", views.urls[tree].clone());
        let featured = self
            .featured
            .filter(|&p| !shown_polls.contains(&self.site.polls[p].id.as_str()))
            .map(|p| self.poll_view(tree, p));
        cx.insert_value("featured_poll", featured.unwrap_or_else(Value::none));
        cx
    }

    /// The list views of these articles.
    pub(super) fn article_views(&self, indexes: &[usize]) -> Value {
        make_views(self.renderer, indexes);
        Value::from(
            indexes
                .iter()
                .map(|&i| self.article_view(i))
                .collect::<Vec<_>>(),
        )
    }

    /// One article's list view (made now if no job made it yet).
    pub(super) fn article_view(&self, index: usize) -> Value {
        self.read(Read::ArticleView(self.source(index)));
        made_view(self.renderer, index).clone()
    }

    /// The list views of a list's articles at `range`.
    pub(super) fn items(&self, list: ListId, range: Range<usize>) -> Value {
        let items = self.renderer.items_of(&list, &range);
        self.read(Read::Items(list, range));
        self.article_views(items)
    }

    /// How many articles a list holds.
    pub(super) fn count(&self, list: ListId) -> usize {
        let count = self.renderer.list_of(&list).len();
        self.read(Read::Count(list));
        count
    }

    /// The newest published articles of a list, as feeds carry them.
    pub(super) fn newest(&self, list: ListId) -> Vec<usize> {
        let newest = self.renderer.newest_of(&list);
        self.read(Read::Newest(list));
        newest
    }

    /// An article's rendered body.
    pub(super) fn body(&self, index: usize) -> &'a Rendered {
        self.read(Read::Body(self.source(index)));
        self.renderer.bodies[index].get()
    }

    /// An article's list view with its `content` added, for its page.
    pub(super) fn with_content(&self, index: usize, content: &str) -> Value {
        Value::from(self.view_with_content(index, content))
    }

    /// An article's view with its whole body as `content`, as a feed entry: its `summary`
    /// passed through `summary` too (feeds make their URLs absolute).
    pub(super) fn in_feed(
        &self,
        index: usize,
        content: &str,
        summary: impl Fn(&str) -> String,
    ) -> Value {
        let mut view = self.view_with_content(index, content);
        if let Some(text) = view
            .get(&tera::value::Key::from("summary"))
            .and_then(Value::as_str)
        {
            let text = summary(text);
            view.insert("summary".into(), Value::from(text));
        }
        Value::from(view)
    }

    fn view_with_content(&self, index: usize, content: &str) -> tera::Map {
        let mut view = self
            .article_view(index)
            .as_map()
            .cloned()
            .unwrap_or_default();
        view.insert("content".into(), Value::from(content));
        view
    }

    /// An article's older and newer neighbours.
    pub(super) fn neighbours(&self, index: usize) -> Neighbours {
        self.read(Read::Neighbours(self.source(index)));
        self.site.neighbours[index]
    }

    /// Up to three other articles of a region in the article's language.
    pub(super) fn more_from(&self, index: usize, region: usize) -> Vec<usize> {
        self.read(Read::MoreFrom(self.source(index), region));
        self.site.more_from_region(index, region, 3)
    }

    /// A poll's view in a tree's language.
    pub(super) fn poll_view(&self, tree: usize, poll: usize) -> Value {
        self.read(Read::Poll(tree, self.site.polls[poll].id.clone()));
        self.views.polls[tree][poll].clone()
    }

    /// A standalone page's rendered body (the page itself comes with it).
    pub(super) fn page_body(&self, index: usize) -> &'a Rendered {
        self.read(Read::Page(self.site.pages[index].source.clone()));
        &self.renderer.page_bodies[index]
    }

    /// A tree's years, for the archive.
    pub(super) fn years(&self, tree: usize) -> &'a [Year] {
        self.read(Read::Years(tree));
        &self.renderer.site.trees[tree].years
    }

    /// One year of a tree's archive, by its index.
    pub(super) fn year(&self, tree: usize, index: usize) -> &'a Year {
        let year = &self.renderer.site.trees[tree].years[index];
        self.read(Read::Year(tree, year.year));
        year
    }

    /// One tag of a tree, by its index.
    pub(super) fn tag(&self, tree: usize, index: usize) -> &'a Tag {
        let tag = &self.renderer.site.trees[tree].tags[index];
        self.read(Read::Tag(tree, tag.slug.clone()));
        tag
    }

    /// The `site` variable in a tree's language.
    pub(super) fn site_view(&self, tree: usize) -> Value {
        self.read(Read::Tree(tree));
        self.views.site[tree].clone()
    }

    /// A tree's tags with their articles.
    pub(super) fn tags(&self, tree: usize) -> &'a [Tag] {
        self.read(Read::Tags(tree));
        &self.renderer.site.trees[tree].tags
    }

    /// The regions of a tree with their counts, for the regions index.
    pub(super) fn regions_view(&self, tree: usize) -> Value {
        self.read(Read::Regions(tree));
        self.views.regions[tree].clone()
    }

    /// One region's view in a tree, with its count.
    pub(super) fn region(&self, tree: usize, region: usize) -> Value {
        let site = self.site;
        let t = &site.trees[tree];
        let count = self.count(ListId::Region(tree, region));
        Value::from_serializable(&region_view(
            site,
            t,
            &site.regions[region],
            count,
            self.theme,
        ))
    }

    /// Marks that the output shows which pages exist and their dates (the sitemap).
    pub(super) fn routing(&self) {
        self.read(Read::Routing);
    }

    pub(super) fn render_template(&self, name: &str, cx: &Context) -> Result<Vec<u8>, Problem> {
        self.tera
            .render(name, cx)
            .map(String::into_bytes)
            .map_err(|e| template_problem(self.theme, &e))
    }

    pub(super) fn tree_of_lang(&self, lang: &str) -> usize {
        self.site
            .trees
            .iter()
            .position(|t| t.lang == lang)
            .unwrap_or(0)
    }

    /// A paginated list page: its articles and its `paginator`.
    fn list_page(&self, cx: &mut Context, list: ListId, pager: &crate::site::Pager, base: &str) {
        cx.insert_value("articles", self.items(list, pager.items.clone()));
        cx.insert_value("paginator", self.paginators.view(pager, base));
    }

    /// Renders one job into its output file.
    pub(super) fn render(&self, job: &Job) -> Result<OutputFile, Problem> {
        let site = self.site;
        let path = job.site_path(site);
        let root = |tree: &usize| site.trees[*tree].root.as_str();
        let bytes = match job {
            Job::Article(i) => self.article(*i)?,
            Job::Page(i) => self.page(*i)?,
            Job::Front { tree, pager } => {
                let mut cx = self.context(*tree, &path, "index", &[]);
                self.list_page(&mut cx, ListId::Front(*tree), pager, root(tree));
                self.render_template("index.html", &cx)?
            }
            Job::Regions { tree } => {
                let mut cx = self.context(*tree, &path, "regions", &[]);
                cx.insert_value("regions", self.regions_view(*tree));
                self.render_template("regions.html", &cx)?
            }
            Job::Region {
                tree,
                region,
                pager,
            } => {
                let base = crate::routes::region(root(tree), &site.regions[*region].slug);
                let mut cx = self.context(*tree, &path, "region", &[]);
                cx.insert_value("region", self.region(*tree, *region));
                self.list_page(&mut cx, ListId::Region(*tree, *region), pager, &base);
                self.render_template("region.html", &cx)?
            }
            Job::RegionFeed { tree, region } => {
                let t = &site.trees[*tree];
                let r = &site.regions[*region];
                let page = crate::routes::region(&t.root, &r.slug);
                let title = format!(
                    "{} — {}",
                    site.config.title.get(&t.lang),
                    r.name(&t.lang, &site.config.language)
                );
                let list = ListId::Region(*tree, *region);
                self.feed("atom.xml", *tree, title, &page, &path, list)?
            }
            Job::Archive { tree } => {
                let mut cx = self.context(*tree, &path, "archive", &[]);
                let years: Vec<_> = self
                    .years(*tree)
                    .iter()
                    .map(|y| self.year_view(*tree, y, false))
                    .collect();
                cx.insert_value("years", Value::from(years));
                self.render_template("archive.html", &cx)?
            }
            Job::ArchiveYear { tree, year } => {
                let y = self.year(*tree, *year);
                let mut cx = self.context(*tree, &path, "archive_year", &[]);
                cx.insert_value("year", self.year_view(*tree, y, true));
                self.render_template("archive_year.html", &cx)?
            }
            Job::ArchiveMonth { tree, year, month } => {
                let y = self.year(*tree, *year);
                let m = &y.months[*month];
                let mut cx = self.context(*tree, &path, "archive_month", &[]);
                cx.insert_value("month", self.month_view(*tree, y.year, m, false));
                let list = ListId::Month(*tree, y.year, m.month);
                cx.insert_value("articles", self.items(list, 0..usize::MAX));
                self.render_template("archive_month.html", &cx)?
            }
            Job::Tags { tree } => {
                let mut cx = self.context(*tree, &path, "tags", &[]);
                let tags: Vec<_> = self
                    .tags(*tree)
                    .iter()
                    .map(|g| self.tag_view(*tree, g))
                    .collect();
                cx.insert_value("tags", Value::from(tags));
                self.render_template("tags.html", &cx)?
            }
            Job::Tag { tree, tag, pager } => {
                let g = self.tag(*tree, *tag);
                let base = crate::routes::tag(root(tree), &g.slug);
                let mut cx = self.context(*tree, &path, "tag", &[]);
                cx.insert_value("tag", self.tag_view(*tree, g));
                self.list_page(&mut cx, ListId::Tag(*tree, g.slug.clone()), pager, &base);
                self.render_template("tag.html", &cx)?
            }
            Job::Atom { tree } | Job::Rss { tree } => {
                let t = &site.trees[*tree];
                let template = if matches!(job, Job::Atom { .. }) {
                    "atom.xml"
                } else {
                    "rss.xml"
                };
                let title = site.config.title.get(&t.lang).to_string();
                let list = ListId::All(*tree);
                self.feed(template, *tree, title, &t.root, &path, list)?
            }
            Job::NotFound { tree } => {
                let cx = self.context(*tree, &path, "404", &[]);
                self.render_template("404.html", &cx)?
            }
            Job::Search { tree } => {
                let cx = self.context(*tree, &path, "search", &[]);
                self.render_template("search.html", &cx)?
            }
            Job::Polls { tree } => {
                let mut cx = self.context(*tree, &path, "polls", &[]);
                let polls: Vec<Value> = (0..site.polls.len())
                    .map(|p| self.poll_view(*tree, p))
                    .collect();
                cx.insert_value("polls", Value::from(polls));
                self.render_template("polls.html", &cx)?
            }
            Job::Poll { tree, poll } => {
                let id = site.polls[*poll].id.as_str();
                let mut cx = self.context(*tree, &path, "poll", &[id]);
                cx.insert_value("poll", self.poll_view(*tree, *poll));
                self.render_template("poll.html", &cx)?
            }
            Job::PollIndex => {
                // Public: a quiz's answer only once it closed (the service has them all).
                let index =
                    crate::content::polls::Index::public(&site.config, &site.polls, self.now);
                serde_json::to_vec_pretty(&index)
                    .map_err(|e| Problem::new("polls/index.json", e.to_string()))?
            }
            Job::Redirect { to, lang, .. } => self.redirect(to, lang).into_bytes(),
            Job::Sitemap => self.sitemap()?,
            Job::SitemapPart(part) => self.sitemap_part(part)?,
            Job::Robots => format!(
                "User-agent: *\nAllow: /\n\nSitemap: {}/sitemap.xml\n",
                site.config.base_url
            )
            .into_bytes(),
        };
        Ok(OutputFile {
            path: output_path(&path),
            bytes,
        })
    }
}

/// Lists at least this long have the views no job made yet made in parallel first.
const MANY_VIEWS: usize = 64;

/// An article's list view, made now if no job made it yet.
fn made_view<'v>(renderer: &'v Renderer, index: usize) -> &'v Value {
    renderer.views.articles[index].get_or_init(|| {
        let body = renderer.bodies[index].get();
        Value::from_serializable(&article_view(renderer.site, index, body, renderer.theme))
    })
}

/// Makes the list views of these articles that no job made yet, in parallel when they are
/// many: a year of a large site's archive lists thousands, each made from its body.
fn make_views(renderer: &Renderer, indexes: &[usize]) {
    use rayon::prelude::*;
    if indexes.len() >= MANY_VIEWS {
        indexes.par_iter().for_each(|&i| {
            made_view(renderer, i);
        });
    }
}
