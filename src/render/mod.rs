//! The render stage: the site model through Tera templates into pages, feeds and the sitemap.
//!
//! Takes the [`Site`], its rendered Markdown and a [`Theme`], gives one flat list of [`Job`]s
//! (one per output file, [`outputs`]) and renders any of them, in any order, on any thread,
//! with the inputs each read ([`reads`]) when asked. A job is rendered in a `scope`, whose
//! accessors are the only way job code gets data for a template, and each records what it
//! gave. Pages are in `pages`, feeds, the sitemap and redirects in `feeds`, template
//! compiling in [`templates`], the views templates see in [`views`].

mod feeds;
pub mod filters;
pub mod inputs;
pub mod outputs;
mod pages;
pub mod reads;
pub mod resize;
mod scope;
pub mod templates;
pub mod views;

use std::sync::OnceLock;

use tera::Tera;

use crate::diagnostics::Problem;
use crate::markdown::Rendered;
use crate::site::Site;
use crate::theme::Theme;
pub use inputs::{Body, Failure};
pub use outputs::{Job, jobs, output_path};
pub use reads::{ListId, Read, Reads, Versions};
use scope::Scope;
pub use templates::{REQUIRED_TEMPLATES, compile, template_problem};
use views::{Paginators, Views};

/// What birge says it is in pages' metadata.
pub const GENERATOR: &str = concat!("birge ", env!("CARGO_PKG_VERSION"));

/// How many articles a feed carries.
pub const FEED_SIZE: usize = 20;

/// Renders jobs; shared by every thread of the build.
pub struct Renderer<'a> {
    site: &'a Site,
    bodies: &'a [Body],
    page_bodies: &'a [Rendered],
    theme: &'a Theme,
    tera: &'a Tera,
    views: Views,
    paginators: Paginators,
    featured: Option<usize>,
    now: jiff::Timestamp,
    versions: Versions,
    sources: OnceLock<rustc_hash::FxHashMap<&'a str, usize>>,
    tree_versions: OnceLock<Vec<u64>>,
    routing_version: OnceLock<u64>,
    /// The photos templates may ask `resize` for, found when first asked.
    photos: OnceLock<std::sync::Arc<resize::Photos>>,
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
        bodies: &'a [Body],
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
        bodies: &'a [Body],
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
            versions: Versions::default(),
            sources: OnceLock::new(),
            tree_versions: OnceLock::new(),
            routing_version: OnceLock::new(),
            photos: OnceLock::new(),
        }
    }

    /// The articles' list views made so far, by article index, for the next run to keep.
    pub fn into_article_views(self) -> Vec<Option<tera::Value>> {
        self.views.into_articles()
    }

    /// Gives the versions of the articles' views and bodies, for [`Renderer::version`].
    pub fn with_versions(mut self, versions: Versions) -> Self {
        self.versions = versions;
        self
    }

    /// Renders one job into its output file.
    pub fn render(&self, job: &Job) -> Result<OutputFile, Problem> {
        self.render_resized(job).map(|(file, _)| file)
    }

    /// Renders one job into its output file, with the variants of photos its templates
    /// asked for through `resize` ([`Read::Resize`]) and no other read.
    pub fn render_resized(&self, job: &Job) -> Result<(OutputFile, Reads), Problem> {
        let (file, resized) =
            resize::collect(self.photos(), || Scope::new(self, false).render(job));
        Ok((file?, resized))
    }

    /// Renders one job into its output file, with every input it read ([`reads`]).
    pub fn render_recorded(&self, job: &Job) -> Result<(OutputFile, Reads), Problem> {
        let scope = Scope::new(self, true);
        let (file, resized) = resize::collect(self.photos(), || scope.render(job));
        let file = file?;
        let mut reads = scope.into_reads();
        for read in resized {
            if !reads.contains(&read) {
                reads.push(read);
            }
        }
        Ok((file, reads))
    }

    /// The photos templates may ask `resize` for.
    pub fn photos(&self) -> &std::sync::Arc<resize::Photos> {
        self.photos
            .get_or_init(|| std::sync::Arc::new(resize::Photos::of(self.site, self.theme)))
    }

    /// The time the build runs at.
    pub fn now(&self) -> jiff::Timestamp {
        self.now
    }
}
