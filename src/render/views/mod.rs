//! View structs: what templates see. They borrow from the site model and serialise into
//! Tera values once, so one article's view is shared by every list that shows it.
//!
//! Takes the [`Site`] and the rendered Markdown, gives `Serialize` views and [`Views`], the
//! values computed once per build.

mod polls;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use rayon::prelude::*;
use serde::Serialize;
use tera::Value;

use crate::content::{Article, Region};
use crate::dates;
use crate::images;
use crate::markdown::Rendered;
use crate::site::{Pager, Site, Tree};
use crate::slug::slugify;
use crate::theme::Theme;
pub use polls::{PollOptionView, PollView, Results, poll_view};

/// The `site` variable.
#[derive(Serialize)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub base_url: &'a str,
    pub language: &'a str,
    pub languages: &'a [String],
    pub publisher: PublisherView<'a>,
    pub extra: &'a serde_json::Value,
}

/// The `site.publisher` variable, in a tree's language.
#[derive(Serialize)]
pub struct PublisherView<'a> {
    pub name: &'a str,
    pub logo: &'a str,
}

/// A region as lists and navigation show it.
#[derive(Serialize)]
pub struct RegionView<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub url: String,
    /// `url` under the base URL.
    pub permalink: String,
    pub feed_url: String,
    pub count: usize,
    /// "12 articles" in the tree's language (the theme's `articles_count` strings).
    pub count_text: String,
    /// HTML rendered from the Markdown description.
    pub description: Option<String>,
}

/// A region as an article names it.
#[derive(Serialize)]
pub struct RegionRef<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub url: String,
    pub permalink: String,
    pub feed_url: String,
}

/// A tag, with how many articles have it where that is known.
#[derive(Serialize)]
pub struct TagView<'a> {
    pub name: &'a str,
    pub slug: String,
    pub url: String,
    pub permalink: String,
    pub count: usize,
}

/// The lead image of an article.
#[derive(Serialize)]
pub struct ImageView<'a> {
    pub src: String,
    pub alt: &'a str,
    pub caption: Option<&'a str>,
    /// Who made it, without a label the editor wrote before it.
    pub credit: Option<&'a str>,
    /// The label the editor wrote before the credit when it is not a photo label
    /// (`Illustration`); templates show the theme's "Photo" otherwise.
    pub credit_label: Option<&'a str>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// For a photo birge publishes as variants (a JPEG, PNG or WebP of a bundle or of
    /// `static/`): the variants
    /// in the source's format (`a-480w.jpg 480w, ...`), absolute URLs; `src` is the largest.
    pub srcset: Option<String>,
    /// The same in WebP (empty for a WebP source, whose `srcset` is WebP already).
    pub webp_srcset: Option<String>,
    /// Every scaled variant (`src` a site path, `width`, `height`, `format`), narrowest first.
    pub variants: Vec<images::VariantView>,
    /// The 1200x630 crop for link previews (`src` an absolute URL, `width`, `height`).
    pub card: Option<images::VariantView>,
}

impl ImageView<'_> {
    /// Fills in the variants of a photo published as such.
    fn with_set(mut self, set: Option<images::ImageSet>, site: &Site) -> Self {
        let Some(set) = set else { return self };
        let absolute = |srcset: &str| {
            srcset
                .split(", ")
                .filter(|entry| !entry.is_empty())
                .map(|entry| permalink(site, entry))
                .collect::<Vec<_>>()
                .join(", ")
        };
        self.src = set.src;
        self.width = Some(set.width);
        self.height = Some(set.height);
        self.srcset = Some(absolute(&set.srcset));
        self.webp_srcset = Some(absolute(&set.webp_srcset));
        self.variants = set.variants;
        self.card = set.card.map(|card| images::VariantView {
            src: permalink(site, &card.src),
            ..card
        });
        self
    }
}

/// Another language version of an article.
#[derive(Serialize)]
pub struct TranslationRef<'a> {
    pub lang: &'a str,
    pub title: &'a str,
    pub url: &'a str,
    pub permalink: String,
}

/// An article as lists show it; its page and feeds add `content` to this view.
#[derive(Serialize)]
pub struct ArticleView<'a> {
    pub title: &'a str,
    pub url: &'a str,
    pub permalink: String,
    pub date: String,
    pub updated: Option<String>,
    pub summary: &'a str,
    /// The summary as plain text, for meta descriptions.
    pub summary_text: String,
    pub author: Option<&'a str>,
    pub image: Option<ImageView<'a>>,
    pub regions: Vec<RegionRef<'a>>,
    pub tags: Vec<TagView<'a>>,
    pub lang: &'a str,
    pub pinned: bool,
    pub draft: bool,
    pub update_note: Option<&'a str>,
    pub translations: Vec<TranslationRef<'a>>,
    pub poll: Option<&'a str>,
    pub has_code: bool,
    pub extra: &'a serde_json::Value,
}

/// One link of a pager.
#[derive(Serialize)]
pub struct PagerLink {
    pub number: usize,
    pub url: String,
    pub permalink: String,
}

/// A site path as a URL under the site's base URL.
pub fn permalink(site: &Site, path: &str) -> String {
    super::filters::absolute_url(&site.config.base_url, path)
}

/// The `paginator` variables of a build. The pages of one list share one list of page
/// links (which page is current is `paginator.current`), so a list of P pages costs P
/// links once, not P links on each of its P pages.
pub struct Paginators {
    base_url: String,
    links: Mutex<HashMap<String, Value>>,
}

impl Paginators {
    /// The paginators of a site at `base_url`.
    pub fn new(base_url: &str) -> Paginators {
        Paginators {
            base_url: base_url.to_string(),
            links: Mutex::default(),
        }
    }

    fn link(&self, base: &str, number: usize) -> PagerLink {
        let url = crate::site::page_path(base, number);
        PagerLink {
            number,
            permalink: super::filters::absolute_url(&self.base_url, &url),
            url,
        }
    }

    /// The `paginator` variable of one page of the list at `base`.
    pub fn view(&self, pager: &Pager, base: &str) -> Value {
        let url = |n: usize| crate::site::page_path(base, n);
        let mut map = tera::Map::new();
        map.insert("current".into(), Value::from(pager.number));
        map.insert("total".into(), Value::from(pager.total));
        let optional = |n: Option<usize>| n.map_or_else(Value::none, |n| Value::from(url(n)));
        map.insert(
            "prev_url".into(),
            optional((pager.number > 1).then(|| pager.number - 1)),
        );
        map.insert(
            "next_url".into(),
            optional((pager.number < pager.total).then(|| pager.number + 1)),
        );
        map.insert("first_url".into(), Value::from(base));
        map.insert("pages".into(), self.links_of(base, pager.total));
        Value::from(map)
    }

    /// The links to every page of the list at `base` (a shared value: cloning it is cheap).
    fn links_of(&self, base: &str, total: usize) -> Value {
        let mut cache = self.links.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(links) = cache.get(base).filter(|l| l.len() == Some(total)) {
            return links.clone();
        }
        let links = Value::from(
            (1..=total)
                .map(|number| Value::from_serializable(&self.link(base, number)))
                .collect::<Vec<_>>(),
        );
        cache.insert(base.to_string(), links.clone());
        links
    }
}

/// Values computed once per build and shared by every page.
pub struct Views {
    /// Per tree: the `site` variable in its language.
    pub site: Vec<Value>,
    /// Each article's list view, by article index, made when first needed.
    pub articles: Vec<OnceLock<Value>>,
    /// Per tree (same order as [`Site::trees`]): its regions in display order.
    pub regions: Vec<Value>,
    /// Per tree: its `nav_regions`, those with articles first.
    pub nav_regions: Vec<Value>,
    /// Per tree: its `nav_pages`.
    pub nav_pages: Vec<Value>,
    /// Per tree: the `urls` every page links to ([`crate::routes::TreeUrls`]).
    pub urls: Vec<Value>,
    /// Per tree: each poll's view in the tree's language, by poll index.
    pub polls: Vec<Vec<Value>>,
}

impl Views {
    /// Serialises the shared views of the site.
    pub fn new(
        site: &Site,
        bodies: &[super::Body],
        theme: &Theme,
        results: &Results,
        now: jiff::Timestamp,
    ) -> Views {
        let articles = (0..site.articles.len())
            .into_par_iter()
            .map(|i| {
                Some(Value::from_serializable(&article_view(
                    site,
                    i,
                    bodies[i].get(),
                    theme,
                )))
            })
            .collect();
        Views::with_articles(site, articles, theme, results, now)
    }

    /// The shared views around article views computed elsewhere (kept between rebuilds);
    /// those that are `None` are made when first needed.
    pub fn with_articles(
        site: &Site,
        articles: Vec<Option<Value>>,
        theme: &Theme,
        results: &Results,
        now: jiff::Timestamp,
    ) -> Views {
        let per_tree = |view: for<'s> fn(&'s Site, &Tree, &Theme) -> Vec<RegionView<'s>>| {
            site.trees
                .iter()
                .map(|tree| Value::from_serializable(&view(site, tree, theme)))
                .collect()
        };
        let regions = per_tree(region_views);
        let nav_regions = per_tree(nav_region_views);
        // A large site has thousands of polls, each made in every tree's language.
        let polls = site
            .trees
            .iter()
            .map(|tree| {
                site.polls
                    .par_iter()
                    .map(|p| {
                        Value::from_serializable(&poll_view(site, tree, p, results.get(&p.id), now))
                    })
                    .collect()
            })
            .collect();
        let nav_pages = site
            .trees
            .iter()
            .map(|tree| Value::from_serializable(&page_links(site, &tree.lang)))
            .collect();
        Views {
            site: site
                .trees
                .iter()
                .map(|tree| Value::from_serializable(&site_view(site, &tree.lang)))
                .collect(),
            articles: articles
                .into_iter()
                .map(|view| view.map_or_else(OnceLock::new, OnceLock::from))
                .collect(),
            regions,
            nav_regions,
            nav_pages,
            urls: site
                .trees
                .iter()
                .map(|tree| {
                    let urls = crate::routes::TreeUrls::new(&tree.root);
                    let urls = if site.config.search {
                        urls.with_search(&tree.root)
                    } else {
                        urls
                    };
                    Value::from_serializable(&urls)
                })
                .collect(),
            polls,
        }
    }
}

impl Views {
    /// The article views made so far, by article index.
    pub fn into_articles(self) -> Vec<Option<Value>> {
        self.articles
            .into_iter()
            .map(OnceLock::into_inner)
            .collect()
    }
}

/// A standalone page as menus link it.
#[derive(Serialize)]
pub struct PageLink<'a> {
    pub title: &'a str,
    pub url: &'a str,
    pub permalink: String,
    pub lang: &'a str,
}

/// The pages a tree's menus link: those in its language, else those in the default one.
pub fn page_links<'a>(site: &'a Site, lang: &str) -> Vec<PageLink<'a>> {
    let link = |p: &'a crate::content::Page| PageLink {
        title: &p.title,
        url: &p.path,
        permalink: permalink(site, &p.path),
        lang: &p.lang,
    };
    let own: Vec<PageLink> = site
        .pages
        .iter()
        .filter(|p| p.lang == lang)
        .map(link)
        .collect();
    if own.is_empty() {
        site.pages
            .iter()
            .filter(|p| p.lang == site.config.language)
            .map(link)
            .collect()
    } else {
        own
    }
}

/// The `site` variable's view in a tree's language.
pub fn site_view<'a>(site: &'a Site, lang: &str) -> SiteView<'a> {
    let c = &site.config;
    SiteView {
        title: c.title.get(lang),
        description: c.description.as_ref().map(|d| d.get(lang)),
        base_url: &c.base_url,
        language: &c.language,
        languages: &c.languages,
        publisher: PublisherView {
            name: c.publisher.name.get(lang),
            logo: &c.publisher.logo,
        },
        extra: &c.extra,
    }
}

/// All regions of a tree, with counts and rendered descriptions.
pub fn region_views<'a>(site: &'a Site, tree: &Tree, theme: &Theme) -> Vec<RegionView<'a>> {
    site.regions
        .iter()
        .enumerate()
        .map(|(i, region)| {
            let count = tree.regions.get(i).map_or(0, Vec::len);
            region_view(site, tree, region, count, theme)
        })
        .collect()
}

/// A tree's regions as menus list them: those with articles first, then the quiet ones,
/// each group in display order.
pub fn nav_region_views<'a>(site: &'a Site, tree: &Tree, theme: &Theme) -> Vec<RegionView<'a>> {
    let mut regions = region_views(site, tree, theme);
    regions.sort_by_key(|r| r.count == 0);
    regions
}

/// "1 article" or "12 articles" in `lang`, from the theme's `articles_count_one` and
/// `articles_count` strings.
pub fn count_text(theme: &Theme, lang: &str, count: usize) -> String {
    let key = if count == 1 {
        "articles_count_one"
    } else {
        "articles_count"
    };
    theme.string(lang, key).replace("{n}", &count.to_string())
}

/// One region in a tree's language.
pub fn region_view<'a>(
    site: &'a Site,
    tree: &Tree,
    region: &'a Region,
    count: usize,
    theme: &Theme,
) -> RegionView<'a> {
    let url = format!("{}regions/{}/", tree.root, region.slug);
    RegionView {
        slug: &region.slug,
        name: region.name(&tree.lang, &site.config.language),
        permalink: permalink(site, &url),
        url,
        feed_url: format!("{}regions/{}/atom.xml", tree.root, region.slug),
        count,
        count_text: count_text(theme, &tree.lang, count),
        description: region
            .description
            .as_deref()
            .map(crate::markdown::render_snippet),
    }
}

/// An article's view, as lists show it.
pub fn article_view<'a>(
    site: &'a Site,
    index: usize,
    body: &'a Rendered,
    theme: &Theme,
) -> ArticleView<'a> {
    let article: &Article = &site.articles[index];
    let root = site.config.language_root(&article.lang);
    let regions = article
        .regions
        .iter()
        .filter_map(|slug| site.regions.iter().find(|r| &r.slug == slug))
        .map(|region| {
            let url = format!("{root}regions/{}/", region.slug);
            RegionRef {
                slug: &region.slug,
                name: region.name(&article.lang, &site.config.language),
                permalink: permalink(site, &url),
                feed_url: format!("{url}atom.xml"),
                url,
            }
        })
        .collect();
    let tags = article
        .tags
        .iter()
        .map(|name| {
            let slug = slugify(name, &article.lang);
            let url = format!("{root}tags/{slug}/");
            TagView {
                name,
                permalink: permalink(site, &url),
                url,
                slug,
                count: 0,
            }
        })
        .filter(|t| !t.slug.is_empty())
        .collect();
    let translations = site
        .translations_of(index)
        .into_iter()
        .map(|i| {
            let other = &site.articles[i];
            TranslationRef {
                lang: &other.lang,
                title: &other.title,
                url: &other.path,
                permalink: permalink(site, &other.path),
            }
        })
        .collect();
    ArticleView {
        title: &article.title,
        url: &article.path,
        permalink: permalink(site, &article.path),
        date: dates::rfc3339(&article.date),
        updated: article.updated.as_ref().map(dates::rfc3339),
        summary: &body.summary,
        summary_text: crate::html::plain_text(&body.summary),
        author: article.author.as_deref(),
        image: article.image.as_ref().map(|image| {
            let src = resolve_src(&image.src, &article.path);
            // A bundle's photos and static ones are published as variants.
            let set = if article.bundle_dir.is_some() && src != image.src {
                image
                    .size
                    .and_then(|size| images::ImageSet::of(&src, size, &theme.image_widths, true))
            } else {
                static_photo_set(&src, theme)
            };
            plain_image_view(image, src).with_set(set, site)
        }),
        regions,
        tags,
        lang: &article.lang,
        pinned: article.pinned,
        draft: article.draft,
        update_note: article.update_note.as_deref(),
        translations,
        poll: article.poll.as_deref(),
        has_code: body.has_code,
        extra: &article.extra,
    }
}

/// A standalone page's lead image (a site path or URL; pages have no bundles).
pub fn page_image_view<'i>(
    image: &'i crate::content::Image,
    site: &Site,
    theme: &Theme,
) -> ImageView<'i> {
    plain_image_view(image, image.src.clone()).with_set(static_photo_set(&image.src, theme), site)
}

/// The variants of a lead image written as the site path of a static photo, with its
/// link-preview crop.
fn static_photo_set(src: &str, theme: &Theme) -> Option<images::ImageSet> {
    let path = src.strip_prefix('/')?;
    let size = theme.static_photo_sizes.get(path)?;
    images::ImageSet::of(src, *size, &theme.image_widths, true)
}

/// An image's view at `src` with its own size and no variants.
fn plain_image_view(image: &crate::content::Image, src: String) -> ImageView<'_> {
    ImageView {
        src,
        alt: image.alt.as_deref().unwrap_or(""),
        caption: image.caption.as_deref(),
        credit: image.credit.as_deref().map(|c| split_credit(c).1),
        credit_label: image.credit.as_deref().and_then(|c| split_credit(c).0),
        width: image.size.map(|(w, _)| w),
        height: image.size.map(|(_, h)| h),
        srcset: None,
        webp_srcset: None,
        variants: Vec::new(),
        card: None,
    }
}

/// A credit split into the label an editor wrote before it, if any, and the credit itself.
/// Editors often write `image_credit: "Photo: Aigerim Bekova"`, which would show as
/// "Photo: Photo: ..." after the theme's label: a photo label is dropped (the theme says it
/// in the page's language); another label (`Illustration: ...`) replaces the theme's.
pub fn split_credit(credit: &str) -> (Option<&str>, &str) {
    const PHOTO_LABELS: [&str; 4] = ["photo by", "photo", "фото", "сурет"];
    let trimmed = credit.trim();
    for label in PHOTO_LABELS {
        let letters = label.chars().count();
        let cut = trimmed
            .char_indices()
            .nth(letters)
            .map_or(trimmed.len(), |(i, _)| i);
        if trimmed[..cut].to_lowercase() != label {
            continue;
        }
        let rest = trimmed[cut..].trim_start();
        if let Some(after) = rest.strip_prefix([':', '—', '–']) {
            return (None, after.trim_start());
        }
        if label == "photo by" && !rest.is_empty() {
            return (None, rest);
        }
    }
    if let Some((label, rest)) = trimmed.split_once(':') {
        let is_label = label.chars().count() <= 24
            && label.split_whitespace().count() <= 2
            && label.chars().all(|c| c.is_alphabetic() || c == ' ')
            && !rest.trim().is_empty();
        if is_label {
            return (Some(label.trim()), rest.trim_start());
        }
    }
    (None, trimmed)
}

/// A bundle-relative image path resolved against the article's path; others unchanged.
fn resolve_src(src: &str, article_path: &str) -> String {
    if src.starts_with('/') || src.contains("://") || src.starts_with("data:") {
        src.to_string()
    } else {
        format!("{article_path}{}", src.trim_start_matches("./"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn credits_lose_a_written_label() {
        use super::split_credit;
        let cases = [
            ("Photo: Aigerim Bekova", None, "Aigerim Bekova"),
            ("photo by Aigerim Bekova", None, "Aigerim Bekova"),
            ("Фото: пресс-служба АНК", None, "пресс-служба АНК"),
            ("Сурет — ҚХА баспасөз қызметі", None, "ҚХА баспасөз қызметі"),
            (
                "Illustration: APK press service",
                Some("Illustration"),
                "APK press service",
            ),
            ("Photographer's Guild", None, "Photographer's Guild"),
            ("APK press service", None, "APK press service"),
            (
                "APK press service, 2020: archive",
                None,
                "APK press service, 2020: archive",
            ),
        ];
        for (credit, label, rest) in cases {
            assert_eq!(split_credit(credit), (label, rest), "{credit}");
        }
    }
}
