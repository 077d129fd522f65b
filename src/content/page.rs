//! One standalone page (`content/pages/about.md` -> `/about/`): its front matter read and
//! checked, its site path decided.
//!
//! Takes a page's file and the site's [`Config`], gives the [`Page`], or [`Inclusion::Draft`]
//! for a draft the build leaves out, or every problem of its front matter.

use std::path::Path;

use crate::config::Config;
use crate::diagnostics::Problem;
use crate::slug::slugify;
use crate::yaml;

use super::article::read_date;
use super::checks::{bad_slug, check_aliases, check_language, check_updated};
use super::front_matter::{self, PAGE_KEYS, PageFrontMatter, in_file};
use super::{Image, Inclusion, LoadOptions, Page, read_text, regions, relative};

pub(super) fn load_page(
    root: &Path,
    path: &Path,
    config: &Config,
    options: &LoadOptions,
) -> Result<Inclusion<Page>, Vec<Problem>> {
    let source = relative(root, path);
    let text = read_text(root, path).map_err(|p| vec![p])?;
    let split = front_matter::split(&source, &text).map_err(|p| vec![p])?;
    let (fm, mut problems): (PageFrontMatter, _) =
        front_matter::parse(&source, split.yaml, PAGE_KEYS)?;
    let key_at = |key: &str| in_file(yaml::key_position(split.yaml, key)).or(Some((1, 1)));
    let title = fm.title.clone().filter(|t| !t.trim().is_empty());
    if title.is_none() {
        problems.push(
            Problem::new(&source, "the page has no `title`")
                .at_opt(key_at("title"))
                .hint("add a line like `title: About the Assembly`"),
        );
    }
    let lang = fm.lang.clone().unwrap_or_else(|| config.language.clone());
    let lang_at = in_file(yaml::value_position(split.yaml, "lang", &lang)).or(key_at("lang"));
    problems.extend(check_language(&source, &lang, &config.languages, lang_at));
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let derived = slugify(stem, &lang);
    let slug = fm.slug.clone().unwrap_or_else(|| derived.clone());
    if !regions::is_valid_slug(&slug) {
        problems.push(match &fm.slug {
            Some(_) => bad_slug(
                &source,
                &slug,
                &lang,
                (&derived, "the file name"),
                key_at("slug"),
            ),
            None => Problem::new(
                &source,
                format!("cannot make a URL slug from the file name `{stem}`"),
            )
            .at(1, 1)
            .hint("add a line like `slug: about` to the front matter, or rename the file"),
        });
    } else if RESERVED_PATHS.contains(&slug.as_str()) || config.languages.contains(&slug) {
        problems.push(
            Problem::new(
                &source,
                format!("a page cannot take the URL /{slug}/: birge builds its own pages there"),
            )
            .at_opt(key_at("slug"))
            .hint("give it another `slug:`"),
        );
    }
    let mut date_of = |key: &str, text: Option<&str>| {
        text.and_then(|text| {
            read_date(
                &source,
                (key, text, true),
                &config.timezone,
                &key_at,
                &mut problems,
            )
        })
    };
    let date = date_of("date", fm.date.as_deref());
    let updated = date_of("updated", fm.updated.as_deref());
    if let (Some(date), Some(updated)) = (&date, &updated) {
        let texts = (fm.date.as_deref(), fm.updated.as_deref());
        problems.extend(check_updated(
            &source,
            texts,
            date,
            updated,
            key_at("updated"),
        ));
    }
    let value_at = |key: &str, value: &str| in_file(yaml::value_position(split.yaml, key, value));
    check_aliases(&source, &fm.aliases, &value_at, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    if fm.draft && !options.drafts {
        return Ok(Inclusion::Draft);
    }
    let lang_prefix = if lang == config.language {
        String::new()
    } else {
        format!("/{lang}")
    };
    Ok(Inclusion::Published(Page {
        content_path: source
            .strip_prefix("content/")
            .unwrap_or(&source)
            .to_string(),
        source,
        title: title.expect("checked"),
        path: format!("{lang_prefix}/{slug}/"),
        slug,
        summary: fm.summary,
        lang,
        translation: fm.translation,
        date,
        updated,
        image: fm.image.map(|src| Image {
            src,
            alt: fm.image_alt,
            caption: fm.image_caption,
            credit: fm.image_credit,
            // Pages have no bundle: their images are site paths or URLs.
            size: None,
        }),
        aliases: fm.aliases,
        draft: fm.draft,
        extra: fm
            .extra
            .unwrap_or_else(|| serde_json::Value::Object(Default::default())),
        body: split.body.to_string(),
        body_line: split.body_line,
    }))
}

/// First path segments that birge's own pages use.
pub const RESERVED_PATHS: &[&str] = &[
    "news", "regions", "archive", "tags", "polls", "page", "api", "search",
];
