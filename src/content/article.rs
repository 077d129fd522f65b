//! One article: its front matter read and checked, its site path decided.
//!
//! Takes an article's file under `content/news/`, the site's [`Config`] and what front matter
//! may name ([`Lookup`]: regions, polls, languages), gives the [`Article`], or why the build
//! leaves it out (a draft, dated in the future), or every problem of its front matter.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::config::Config;
use crate::diagnostics::{Problem, did_you_mean};
use crate::slug::slugify;
use crate::yaml;

use super::checks::{
    bad_slug, check_aliases, check_language, check_poll_placed_twice, check_updated,
    region_given_a_list, tags_written_as_text, unknown_region_hint,
};
use super::front_matter::{self, ARTICLE_KEYS, ArticleFrontMatter, KeyAt, ValueAt, in_file};
use super::{Article, Image, Inclusion, LoadOptions, Poll, Region, read_text, regions, relative};

/// Regions, polls and languages that front matter may name.
pub(super) struct Lookup<'a> {
    pub(super) regions: HashMap<&'a str, &'a str>,
    pub(super) region_slugs: Vec<&'a str>,
    /// Every region's names, for telling an editor who wrote a name which slug it has.
    pub(super) region_names: Vec<(&'a str, &'a str)>,
    polls: Vec<&'a str>,
    /// The same, to look one up (a large site has thousands).
    poll_ids: HashSet<&'a str>,
    /// Polls whose files exist but did not load: their own problems are reported with the
    /// file, so an article that names one is not told that the poll does not exist.
    unloaded_polls: &'a [String],
    /// Whether `content/regions.yaml` exists but did not load: its own problems are reported
    /// with it, so no article is told that its region does not exist.
    regions_unreadable: bool,
    languages: &'a [String],
}

impl<'a> Lookup<'a> {
    pub(super) fn new(
        regions: &'a [Region],
        polls: &'a [Poll],
        unloaded_polls: &'a [String],
        config: &'a Config,
    ) -> Self {
        let mut map = HashMap::new();
        for region in regions {
            map.insert(region.slug.as_str(), region.slug.as_str());
            for former in &region.former {
                map.insert(former.as_str(), region.slug.as_str());
            }
        }
        Lookup {
            regions: map,
            region_slugs: regions.iter().map(|r| r.slug.as_str()).collect(),
            region_names: regions
                .iter()
                .flat_map(|r| {
                    r.names
                        .values()
                        .map(|name| (name.as_str(), r.slug.as_str()))
                })
                .collect(),
            polls: polls.iter().map(|p| p.id.as_str()).collect(),
            poll_ids: polls.iter().map(|p| p.id.as_str()).collect(),
            unloaded_polls,
            regions_unreadable: false,
            languages: &config.languages,
        }
    }

    /// The lookup of a site whose `content/regions.yaml` did (`true`) or did not load.
    pub(super) fn with_regions_unreadable(self, unreadable: bool) -> Self {
        Lookup {
            regions_unreadable: unreadable,
            ..self
        }
    }

    /// Whether a poll file of this id exists, loaded or not.
    fn has_poll(&self, id: &str) -> bool {
        self.poll_ids.contains(id) || self.unloaded_polls.iter().any(|u| u == id)
    }
}

pub(super) fn load_article(
    root: &Path,
    path: &Path,
    config: &Config,
    lookup: &Lookup,
    options: &LoadOptions,
) -> Result<Inclusion<Article>, Vec<Problem>> {
    let source = relative(root, path);
    let text = read_text(root, path).map_err(|p| vec![p])?;
    let split = front_matter::split(&source, &text).map_err(|p| vec![p])?;
    let (fm, mut problems): (ArticleFrontMatter, _) =
        front_matter::parse(&source, split.yaml, ARTICLE_KEYS)?;
    let yaml_text = split.yaml;
    let key_at = |key: &str| in_file(yaml::key_position(yaml_text, key)).or(Some((1, 1)));
    let value_at = |key: &str, value: &str| in_file(yaml::value_position(yaml_text, key, value));
    let tz = &config.timezone;

    let title = fm.title.clone().filter(|t| !t.trim().is_empty());
    if title.is_none() {
        problems.push(
            Problem::new(&source, "the article has no `title`")
                .at_opt(key_at("title"))
                .hint(
                    "add a line like `title: Volunteers of Atyrau sew masks` to the front matter",
                ),
        );
    }
    let date = match fm.date.as_deref() {
        None => {
            problems.push(
                Problem::new(&source, "the article has no `date`")
                    .at(1, 1)
                    .hint("add a line like `date: 2020-03-26` to the front matter"),
            );
            None
        }
        Some(text) => read_date(&source, ("date", text, false), tz, &key_at, &mut problems),
    };
    let updated = fm
        .updated
        .as_deref()
        .and_then(|text| read_date(&source, ("updated", text, true), tz, &key_at, &mut problems));
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
    let pinned_until = fm.pinned_until.as_deref().and_then(|text| {
        read_date(
            &source,
            ("pinned_until", text, true),
            tz,
            &key_at,
            &mut problems,
        )
    });

    let lang = fm.lang.clone().unwrap_or_else(|| config.language.clone());
    problems.extend(check_language(
        &source,
        &lang,
        lookup.languages,
        value_at("lang", &lang).or(key_at("lang")),
    ));

    let regions = resolve_regions(&source, &fm, lookup, &value_at, &key_at, &mut problems);
    if let Some(poll) = &fm.poll
        && !lookup.has_poll(poll)
    {
        problems.push(
            Problem::new(&source, format!("unknown poll `{poll}`"))
                .at_opt(value_at("poll", poll))
                .hint(match did_you_mean(poll, lookup.polls.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`? Polls are the files in content/polls/"),
                    None => format!("polls are the files in content/polls/; there is no content/polls/{poll}.yaml"),
                }),
        );
    }
    if let Some(poll) = &fm.poll {
        problems.extend(check_poll_placed_twice(&source, poll, &split));
    }
    let slug = article_slug(&source, &fm, &lang, &key_at, &mut problems);
    if let yaml::OneOrList::One(text) = &fm.tags
        && text.contains(',')
    {
        problems.push(tags_written_as_text(&source, text, &value_at, &key_at));
    }
    for tag in fm.tags.items().iter().filter(|t| !t.trim().is_empty()) {
        // A tag with no letter or digit the slug tables know would have no page: it would
        // vanish from the site without a word.
        if slugify(tag, &lang).is_empty() {
            problems.push(
                Problem::new(
                    &source,
                    format!("tag `{tag}` cannot be made into a URL slug"),
                )
                .at_opt(value_at("tags", tag).or(key_at("tags")))
                .hint("tags need a Latin, Kazakh or Russian letter or a digit, e.g. `masks`"),
            );
        }
    }
    check_aliases(&source, &fm.aliases, &value_at, &mut problems);

    if !problems.is_empty() {
        return Err(problems);
    }
    let (title, date) = (title.expect("checked"), date.expect("checked"));
    // A draft is left out as a draft whatever its date: its time coming publishes nothing.
    if fm.draft && !options.drafts {
        return Ok(Inclusion::Draft);
    }
    if !options.future && date.timestamp() > options.now {
        return Ok(Inclusion::Scheduled(date.timestamp()));
    }
    let is_bundle = path.file_name().is_some_and(|n| n == "index.md");
    let content_path = source
        .strip_prefix("content/")
        .unwrap_or(&source)
        .to_string();
    let lang_prefix = if lang == config.language {
        String::new()
    } else {
        format!("/{lang}")
    };
    let path_in_site = format!(
        "{lang_prefix}/news/{}/{:02}/{slug}/",
        date.year(),
        date.month()
    );
    let pinned = fm.pinned
        && pinned_until
            .as_ref()
            .is_none_or(|until| until.timestamp() > options.now);
    let mut article = Article {
        bundle_dir: is_bundle
            .then(|| path.parent().map(Path::to_path_buf))
            .flatten(),
        bundle_images: BTreeMap::new(),
        source,
        content_path,
        image: fm.image.map(|src| Image {
            src,
            alt: fm.image_alt,
            caption: fm.image_caption,
            credit: fm.image_credit,
            size: None,
        }),
        title,
        date,
        updated,
        regions,
        tags: fm
            .tags
            .items()
            .iter()
            .filter(|t| !t.trim().is_empty())
            .cloned()
            .collect(),
        summary: fm.summary,
        author: fm.author,
        update_note: fm.update_note,
        slug,
        lang,
        translation: fm.translation,
        poll: fm.poll,
        aliases: fm.aliases,
        draft: fm.draft,
        pinned,
        pinned_until,
        extra: fm
            .extra
            .unwrap_or_else(|| serde_json::Value::Object(Default::default())),
        body: split.body.to_string(),
        body_line: split.body_line,
        path: path_in_site,
    };
    article.read_image_sizes();
    Ok(Inclusion::Published(article))
}

/// The date under a front-matter key, `(key, text, optional)`, or a problem at the key.
pub(super) fn read_date(
    source: &str,
    (key, text, optional): (&str, &str, bool),
    tz: &jiff::tz::TimeZone,
    key_at: &KeyAt,
    problems: &mut Vec<Problem>,
) -> Option<jiff::ZonedDateTime> {
    crate::dates::read_date(key, text, tz, optional)
        .map_err(|(message, hint)| {
            problems.push(Problem::new(source, message).at_opt(key_at(key)).hint(hint));
        })
        .ok()
}

fn resolve_regions(
    source: &str,
    fm: &ArticleFrontMatter,
    lookup: &Lookup,
    value_at: &ValueAt,
    key_at: &KeyAt,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    if let yaml::OneOrList::List(list) = &fm.region
        && !list.is_empty()
    {
        problems.push(region_given_a_list(source, list, key_at, lookup));
    }
    let written = fm
        .region
        .items()
        .iter()
        .map(|r| ("region", r, fm.region.items()))
        .chain(
            fm.regions
                .iter()
                .map(|r| ("regions", r, fm.regions.as_slice())),
        );
    let mut regions: Vec<String> = Vec::new();
    for (key, slug, list) in written {
        match lookup.regions.get(slug.as_str()) {
            Some(current) => {
                if !regions.iter().any(|r| r == current) {
                    regions.push(current.to_string());
                }
            }
            None if lookup.regions_unreadable => {}
            None => problems.push(
                Problem::new(source, format!("unknown region `{slug}`"))
                    .at_opt(value_at(key, slug))
                    .hint(unknown_region_hint(key, slug, list, lookup)),
            ),
        }
    }
    regions
}

fn article_slug(
    source: &str,
    fm: &ArticleFrontMatter,
    lang: &str,
    key_at: &KeyAt,
    problems: &mut Vec<Problem>,
) -> String {
    match &fm.slug {
        Some(slug) if !regions::is_valid_slug(slug) => {
            let derived = slugify(fm.title.as_deref().unwrap_or_default(), lang);
            problems.push(bad_slug(
                source,
                slug,
                lang,
                (&derived, "the title"),
                key_at("slug"),
            ));
            String::new()
        }
        Some(slug) => slug.clone(),
        None => {
            let slug = slugify(fm.title.as_deref().unwrap_or_default(), lang);
            if slug.is_empty() && fm.title.as_deref().is_some_and(|t| !t.trim().is_empty()) {
                problems.push(
                    Problem::new(source, "cannot make a URL slug from this title")
                        .at_opt(key_at("title"))
                        .hint("add a line like `slug: masks-in-atyrau`"),
                );
            }
            slug
        }
    }
}
