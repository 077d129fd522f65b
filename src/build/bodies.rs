//! The Markdown stage of the build: article and page bodies rendered to HTML in the scope
//! of the site (its `@/` link targets and polls), and the check that the local files they
//! point at are published.
//!
//! Takes the assembled [`Site`], gives [`Rendered`] bodies and the problems found.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use crate::content::references::{self, SiteFiles};
use crate::diagnostics::{Problem, Problems};
use crate::markdown::{self, Reference, Rendered, Withheld};
use crate::site::Site;
use crate::theme::Theme;

/// The drafts and scheduled articles of `site` that were left out, by content path.
fn withheld(site: &Site) -> HashMap<String, Withheld> {
    let content_path = |source: &str| source.strip_prefix("content/").map(str::to_string);
    let drafts = (site.left_out.drafts.iter())
        .filter_map(|source| Some((content_path(source)?, Withheld::Draft)));
    let scheduled = site.left_out.future.iter().filter_map(|(source, at)| {
        let when = at
            .to_zoned_datetime(site.config.timezone.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string();
        Some((content_path(source)?, Withheld::Scheduled(when)))
    });
    drafts.chain(scheduled).collect()
}

/// What Markdown bodies may refer to: the site's link targets and poll ids.
pub struct MarkdownScope<'a> {
    site: &'a Site,
    polls: HashSet<String>,
    /// Content files that exist but are not link targets, by content path.
    withheld: HashMap<String, Withheld>,
    image_widths: Vec<u32>,
    /// The sizes of the static photos, by output path.
    static_photos: Arc<BTreeMap<String, (u32, u32)>>,
}

impl<'a> MarkdownScope<'a> {
    /// The scope of a site.
    pub fn new(site: &'a Site) -> Self {
        MarkdownScope {
            site,
            polls: site.polls.iter().map(|p| p.id.clone()).collect(),
            withheld: withheld(site),
            image_widths: crate::images::DEFAULT_WIDTHS.to_vec(),
            static_photos: Arc::default(),
        }
    }

    /// Photos in bodies (a bundle's, and the theme's and site's static ones) offer their
    /// variants at the theme's `image_widths`.
    pub fn with_images(mut self, theme: &Theme) -> Self {
        self.image_widths = theme.image_widths.clone();
        self.static_photos = Arc::clone(&theme.static_photo_sizes);
        self
    }

    /// The size of the static photo that `src`, written on the page at `page_path`, names.
    fn static_photo_size(&self, page_path: &str, src: &str) -> Option<(u32, u32)> {
        let path = references::site_path_of(page_path, src)?;
        self.static_photos.get(&path).copied()
    }

    fn render(&self, source: &str, body: &str, body_line: usize) -> (Rendered, Vec<Problem>) {
        let cx = markdown::Context {
            source,
            body_line,
            link_targets: &self.site.link_targets,
            withheld: &self.withheld,
            polls: &self.polls,
            base_url: &self.site.config.base_url,
        };
        markdown::render(body, &cx)
    }

    /// Takes the content files of `problems` as files that failed to load: a link to one is
    /// not reported (its own problems are).
    pub fn with_failed_files(mut self, problems: &[Problem]) -> Self {
        for problem in problems {
            if let Some(path) = problem.file.strip_prefix("content/") {
                self.withheld.insert(path.to_string(), Withheld::Failed);
            }
        }
        self
    }

    /// The Markdown problems (broken `@/` links, unknown or misplaced poll shortcodes) of the
    /// articles and pages under `root` that failed to load: their bodies are checked all the
    /// same, so that a build reports them with the front matter's problems, not after those
    /// are fixed. Files whose text or front matter fences cannot be read are skipped.
    pub fn failed_bodies(&self, root: &Path) -> Vec<Problem> {
        let mut failed: Vec<&String> = (self.withheld.iter())
            .filter(|(path, why)| matches!(why, Withheld::Failed) && path.ends_with(".md"))
            .map(|(path, _)| path)
            .filter(|path| !self.site.link_targets.contains_key(path.as_str()))
            .collect();
        failed.sort();
        failed
            .par_iter()
            .flat_map_iter(|path| {
                let source = format!("content/{path}");
                let Ok(text) = std::fs::read_to_string(root.join(&source)) else {
                    return Vec::new();
                };
                match crate::content::front_matter::split(&source, &text) {
                    Ok(split) => self.render(&source, split.body, split.body_line).1,
                    Err(_) => Vec::new(),
                }
            })
            .collect()
    }

    /// Takes these poll ids as known too: files that failed to load, whose own problems are
    /// reported, so that placing one is not reported as a poll that does not exist.
    pub fn with_unloaded_polls(mut self, ids: &[String]) -> Self {
        self.polls.extend(ids.iter().cloned());
        self
    }

    /// With `safe_html: true`, sanitises the finished HTML (after [`markdown::polish`], whose
    /// attributes the sanitiser keeps).
    fn sanitize(&self, rendered: &mut Rendered) {
        if self.site.config.safe_html {
            rendered.html = markdown::sanitize(&rendered.html);
            rendered.summary = markdown::sanitize(&rendered.summary);
        }
    }

    /// An article's body and summary as HTML.
    pub fn article(&self, article: &crate::content::Article) -> (Rendered, Vec<Problem>) {
        let (mut rendered, found) = self.render(&article.source, &article.body, article.body_line);
        if let Some(summary) = &article.summary {
            rendered.summary = markdown::render_snippet(summary);
        }
        let size_of = |src: &str| {
            article
                .bundle_image_size(&references::percent_decode(src))
                .or_else(|| self.static_photo_size(&article.path, src))
        };
        let widths = &self.image_widths;
        rendered.html = markdown::polish(&rendered.html, &article.lang, size_of, widths);
        rendered.summary = markdown::polish(&rendered.summary, &article.lang, size_of, widths);
        self.sanitize(&mut rendered);
        (rendered, found)
    }

    /// A page's body as HTML.
    pub fn page(&self, page: &crate::content::Page) -> (Rendered, Vec<Problem>) {
        let (mut rendered, found) = self.render(&page.source, &page.body, page.body_line);
        let size_of = |src: &str| self.static_photo_size(&page.path, src);
        rendered.html = markdown::polish(&rendered.html, &page.lang, size_of, &self.image_widths);
        self.sanitize(&mut rendered);
        (rendered, found)
    }
}

/// The bodies of the articles at `indexes` (in that order), each with its problems; an
/// article in `reread` is rendered from there (the model's copy came without its Markdown).
pub fn render_bodies(
    scope: &MarkdownScope,
    site: &Site,
    indexes: &[usize],
    reread: &std::collections::HashMap<usize, crate::content::Article>,
) -> Vec<(Rendered, Vec<Problem>)> {
    indexes
        .par_iter()
        .map(|&i| scope.article(reread.get(&i).unwrap_or(&site.articles[i])))
        .collect()
}

/// Every standalone page's body, in model order; problems go to `problems`.
pub fn render_pages(scope: &MarkdownScope, site: &Site, problems: &mut Problems) -> Vec<Rendered> {
    site.pages
        .iter()
        .map(|page| {
            let (rendered, found) = scope.page(page);
            problems.extend(found);
            rendered
        })
        .collect()
}

/// Checks that the local files articles and pages point at (lead images, Markdown images,
/// links to files) are among the files the build publishes.
pub fn check_references(
    root: &Path,
    site: &Site,
    theme: &Theme,
    (references, page_bodies): (&[&[Reference]], &[Rendered]),
    problems: &mut Problems,
) {
    let files = SiteFiles::new(
        theme.static_files.keys().cloned(),
        &site.articles,
        &site.pages,
        &site.config,
        &theme.image_widths,
    );
    let found: Vec<Vec<Problem>> = site
        .articles
        .par_iter()
        .zip(references)
        .map(|(article, found)| references::check_article(root, article, found, &files))
        .collect();
    problems.extend(found.into_iter().flatten());
    for (page, body) in site.pages.iter().zip(page_bodies) {
        problems.extend(references::check_page(root, page, body, &files));
    }
}
