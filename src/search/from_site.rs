//! The search documents of a site: what the build hands to [`super::build_indexes`].
//!
//! Takes the assembled [`Site`] and the rendered Markdown of its articles and pages (the
//! build's `bodies` and `page_bodies`, in the order of `site.articles` and `site.pages`),
//! gives one [`Document`] per published article and page: drafts stay out even in a preview
//! that shows them, the date is written out in the page's language, regions by their names in
//! it, and bodies and summaries are reduced to their text (a poll's marker leaves nothing).

use rayon::prelude::*;

use crate::dates::long_date;
use crate::html::plain_text;
use crate::markdown::Rendered;
use crate::site::Site;

use super::records::{Document, Wanted};

/// The documents of `site`'s published articles and pages, articles first, in the site's
/// order (the index sorts them by URL itself).
pub fn documents(site: &Site, bodies: &[Rendered], page_bodies: &[Rendered]) -> Vec<Document> {
    let articles = (site.articles.iter().enumerate())
        .filter(|(_, a)| !a.draft)
        .map(|(i, _)| Source::Article(i));
    let pages = (site.pages.iter().enumerate())
        .filter(|(_, p)| !p.draft)
        .map(|(i, _)| Source::Page(i));
    let sources: Vec<Source> = articles.chain(pages).collect();
    let html = |i: usize| bodies[i].html.as_str();
    documents_from(site, &sources, &html, page_bodies, Wanted::Whole)
}

/// What a search document is made from: an article or a standalone page of the site, by its
/// index in `site.articles` or `site.pages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Article(usize),
    Page(usize),
}

/// The documents of `sources`, in their order (drafts too, if listed); with
/// [`Wanted::Fields`], without their text (no body is asked for).
pub fn documents_from<'b>(
    site: &Site,
    sources: &[Source],
    article_html: &(dyn Fn(usize) -> &'b str + Sync),
    page_bodies: &[Rendered],
    wanted: Wanted,
) -> Vec<Document> {
    let whole = wanted == Wanted::Whole;
    sources
        .par_iter()
        .map(|source| match *source {
            Source::Article(i) => article_document(site, i, whole.then(|| article_html(i))),
            Source::Page(i) => page_document(site, i, whole.then(|| &*page_bodies[i].html)),
        })
        .collect()
}

/// The names of regions `slugs` in `lang`, as a document lists them.
pub fn region_names(site: &Site, slugs: &[String], lang: &str) -> Vec<String> {
    slugs
        .iter()
        .filter_map(|slug| site.regions.iter().find(|r| &r.slug == slug))
        .map(|r| r.name(lang, &site.config.language).to_string())
        .collect()
}

/// The plain text of a summary, when the document's text is wanted (`whole`).
fn summary_text(text: &Option<String>, whole: bool) -> String {
    match text {
        Some(text) if whole => plain_text(text),
        _ => String::new(),
    }
}

/// An article's document; `html` is its body, or `None` for the document without its text.
fn article_document(site: &Site, i: usize, html: Option<&str>) -> Document {
    let a = &site.articles[i];
    Document {
        url: a.path.clone(),
        lang: a.lang.clone(),
        title: a.title.clone(),
        date: Some(long_date(a.date.date(), &a.lang)),
        regions: region_names(site, &a.regions, &a.lang),
        tags: a.tags.clone(),
        summary: summary_text(&a.summary, html.is_some()),
        body_text: html.map(plain_text).unwrap_or_default(),
    }
}

/// A page's document; `html` is its body, or `None` for the document without its text.
fn page_document(site: &Site, i: usize, html: Option<&str>) -> Document {
    let p = &site.pages[i];
    Document {
        url: p.path.clone(),
        lang: p.lang.clone(),
        title: p.title.clone(),
        date: p.date.as_ref().map(|d| long_date(d.date(), &p.lang)),
        regions: Vec::new(),
        tags: Vec::new(),
        summary: summary_text(&p.summary, html.is_some()),
        body_text: html.map(plain_text).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::documents;
    use crate::config::Config;
    use crate::content::{self, LoadOptions};
    use crate::markdown::Rendered;
    use crate::site::Site;

    fn body(html: &str) -> Rendered {
        Rendered {
            html: html.to_string(),
            summary: String::new(),
            has_code: false,
            polls: Vec::new(),
            references: Vec::new(),
            links: Vec::new(),
        }
    }

    /// The repository's sample site, with drafts loaded as a preview would: every published
    /// article and page is a document in its language, no draft is.
    #[test]
    fn the_sample_sites_documents() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = Config::load(root).unwrap();
        let options = LoadOptions {
            drafts: true,
            future: true,
            ..LoadOptions::default()
        };
        let (content, _) = content::load(root, &config, &options);
        let site = Site::assemble(config, content).unwrap();
        let bodies: Vec<Rendered> = site
            .articles
            .iter()
            .map(|a| body(&format!("<p>{} &amp; more</p><!-- poll -->", a.slug)))
            .collect();
        let page_bodies: Vec<Rendered> = site.pages.iter().map(|_| body("<p>Page</p>")).collect();
        let docs = documents(&site, &bodies, &page_bodies);
        let published = site.articles.iter().filter(|a| !a.draft).count()
            + site.pages.iter().filter(|p| !p.draft).count();
        assert!(
            site.articles.iter().any(|a| a.draft),
            "the sample has a draft"
        );
        assert_eq!(docs.len(), published);
        let article = site
            .articles
            .iter()
            .find(|a| !a.draft && a.lang == "kk")
            .unwrap();
        let doc = docs.iter().find(|d| d.url == article.path).unwrap();
        assert_eq!(doc.lang, "kk");
        assert_eq!(doc.body_text, format!("{} & more", article.slug));
        assert!(
            doc.date.as_deref().unwrap().contains("жылғы"),
            "{:?}",
            doc.date
        );
        for (slug, name) in article.regions.iter().zip(&doc.regions) {
            let region = site.regions.iter().find(|r| &r.slug == slug).unwrap();
            assert_eq!(name, region.name("kk", "en"));
        }
    }
}
