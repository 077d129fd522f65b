//! Front-matter mistakes that editors make, each reported with a hint that names the fix:
//! a country code for a language (`kz`), a region's name for its slug, several regions under
//! `region`, tags written as one text, `updated` before `date`, a poll shown twice, an alias
//! that is not a site path.
//!
//! Takes values as front matter wrote them and where they stand, gives [`Problem`]s.

use jiff::ZonedDateTime;

use super::article::Lookup;
use super::front_matter::{KeyAt, Split, ValueAt};
use crate::diagnostics::{Problem, did_you_mean};
use crate::slug::slugify;

/// `region: [atyrau, kostanay]`: `region` takes one slug, `regions` a list. The hint gives the
/// slugs of what was written, so a list of names (`region: [Atyrau Region]`) is corrected too.
pub(super) fn region_given_a_list(
    source: &str,
    list: &[String],
    key_at: &KeyAt,
    lookup: &Lookup,
) -> Problem {
    let problem =
        Problem::new(source, "`region` takes one region, not a list").at_opt(key_at("region"));
    let slugs = corrected_regions(list, lookup);
    match slugs.as_slice() {
        [one] => problem.hint(format!(
            "write `region: {one}`, or use `regions:` for several regions"
        )),
        _ => problem.hint(format!(
            "use `regions:` for several regions: `regions: {}`",
            flow_list(&slugs)
        )),
    }
}

/// What an editor who wrote an unknown region most likely meant: a region's name instead of
/// its slug, a slug in capitals, several regions in one text, or a slug with a typo. `list`
/// is everything written under `key`, so the fix shown for one item of `regions:` is the
/// whole corrected list.
pub(super) fn unknown_region_hint(
    key: &str,
    written: &str,
    list: &[String],
    lookup: &Lookup,
) -> String {
    let parts: Vec<&str> = written
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() > 1 {
        let slugs: Option<Vec<String>> = parts
            .iter()
            .map(|part| region_slug_for(part, lookup).map(str::to_string))
            .collect();
        if let Some(slugs) = slugs {
            let list = flow_list(&slugs);
            return if key == "region" {
                format!("use `regions:` for several regions: `regions: {list}`")
            } else {
                format!("regions is a list: `regions: {list}`")
            };
        }
    }
    // The line that fixes it: this item's slug, among the others' when it is one of a list.
    let fix = |slug: &str| {
        if key == "regions" && list.len() > 1 {
            let fixed: Vec<String> = list
                .iter()
                .map(|item| {
                    if item == written {
                        slug.to_string()
                    } else {
                        corrected_region(item, lookup)
                    }
                })
                .collect();
            format!("`regions: {}`", flow_list(&fixed))
        } else {
            format!("`{key}: {slug}`")
        }
    };
    if let Some(slug) = named_exactly(written, lookup) {
        return format!(
            "`{written}` is the name of the region `{slug}`; front matter names regions by their slug: {}",
            fix(slug)
        );
    }
    let lower = written.to_lowercase();
    if lookup.regions.contains_key(lower.as_str()) {
        return format!(
            "`{written}` is the slug `{lower}` in the wrong case; region slugs are lowercase: {}",
            fix(&lower)
        );
    }
    let by_name = region_slugs_named(written, lookup);
    match by_name.as_slice() {
        [(slug, name)] => {
            return format!(
                "`{written}` is not a region slug; did you mean `{slug}` ({name})? Front matter names regions by their slug: {}",
                fix(slug)
            );
        }
        [(first, _), rest @ ..] if !rest.is_empty() => {
            let others: Vec<String> = rest.iter().map(|(s, _)| format!("`{s}`")).collect();
            return format!(
                "`{written}` names several regions: write the slug of the one you mean, `{first}` or {}",
                others.join(" or ")
            );
        }
        _ => {}
    }
    match did_you_mean(written, lookup.region_slugs.iter().copied()) {
        Some(close) => {
            format!("did you mean `{close}`? Regions are defined in content/regions.yaml")
        }
        None => "regions are defined in content/regions.yaml".to_string(),
    }
}

/// Regions as written, each turned into its slug where it plainly names one region.
fn corrected_regions(list: &[String], lookup: &Lookup) -> Vec<String> {
    list.iter()
        .map(|item| corrected_region(item, lookup))
        .collect()
}

/// A region as written, turned into its slug where it plainly names one region (a slug,
/// former slug, slug in capitals or name), else as written.
fn corrected_region(item: &str, lookup: &Lookup) -> String {
    if lookup.regions.contains_key(item) {
        return item.to_string();
    }
    let lower = item.to_lowercase();
    if let Some(slug) = named_exactly(item, lookup) {
        return slug.to_string();
    }
    if lookup.regions.contains_key(lower.as_str()) {
        return lower;
    }
    region_slug_for(item, lookup).map_or_else(|| item.to_string(), str::to_string)
}

/// The slug of the one region that `written` is the slug, a former slug or a name of.
fn region_slug_for<'a>(written: &str, lookup: &Lookup<'a>) -> Option<&'a str> {
    if let Some(slug) = lookup.regions.get(written) {
        return Some(slug);
    }
    match region_slugs_named(written, lookup).as_slice() {
        [(one, _)] => Some(one),
        _ => None,
    }
}

/// What a region written outside front matter (`birge new --region`) stands for, read as
/// front matter reads it: `Ok` with the current slug of a slug or a former slug; otherwise
/// the slug of the one region it names (a name in any language, with or without its generic
/// words, or a slug in capitals), if there is one.
pub(super) fn region_meant<'a>(
    written: &str,
    lookup: &Lookup<'a>,
) -> Result<&'a str, Option<&'a str>> {
    if let Some(slug) = lookup.regions.get(written) {
        return Ok(slug);
    }
    if let Some(slug) = lookup.regions.get(written.to_lowercase().as_str()) {
        return Err(Some(slug));
    }
    match region_slugs_named(written, lookup).as_slice() {
        [(one, _)] => Err(Some(one)),
        _ => Err(None),
    }
}

/// The slug of the one region whose name `written` is, in some language, case and spacing
/// aside (`Атырау облысы`, `ATYRAU REGION`).
fn named_exactly<'a>(written: &str, lookup: &Lookup<'a>) -> Option<&'a str> {
    let folded = fold_name(written);
    let mut slugs: Vec<&str> = lookup
        .region_names
        .iter()
        .filter(|(name, _)| fold_name(name) == folded)
        .map(|(_, slug)| *slug)
        .collect();
    slugs.sort_unstable();
    slugs.dedup();
    match slugs.as_slice() {
        [one] if !folded.is_empty() => Some(one),
        _ => None,
    }
}

/// Words that region names carry besides the name itself, lowercased: editors often leave
/// them out or put them in (`Atyrau`, `Atyrau Region`, `Атырау облысы`).
const GENERIC_REGION_WORDS: &[&str] = &[
    "region",
    "oblast",
    "city",
    "облысы",
    "облыс",
    "қаласы",
    "қ.",
    "область",
    "обл.",
    "город",
    "г.",
];

/// A region name folded for comparison: lowercase, `ё` as `е`, single spaces.
fn fold_name(name: &str) -> String {
    name.to_lowercase()
        .replace('ё', "е")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A folded name without its generic words.
fn bare_name(folded: &str) -> String {
    folded
        .split(' ')
        .filter(|word| !GENERIC_REGION_WORDS.contains(word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The regions that `written` names, in any language, case aside, each as its slug and the
/// name that matched: an exact name (or slug) first, else a name with its generic words
/// (`Region`, `облысы`) left out on both sides.
fn region_slugs_named<'a>(written: &str, lookup: &Lookup<'a>) -> Vec<(&'a str, &'a str)> {
    let folded = fold_name(written);
    if folded.is_empty() {
        return Vec::new();
    }
    let mut exact: Vec<(&str, &str)> = lookup
        .region_names
        .iter()
        .filter(|(name, _)| fold_name(name) == folded)
        .map(|(name, slug)| (*slug, *name))
        .chain(
            lookup
                .region_slugs
                .iter()
                .filter(|slug| **slug == folded)
                .map(|slug| (*slug, *slug)),
        )
        .collect();
    if !exact.is_empty() {
        return one_per_region(&mut exact);
    }
    let bare = bare_name(&folded);
    if bare.is_empty() {
        return Vec::new();
    }
    let mut loose: Vec<(&str, &str)> = lookup
        .region_names
        .iter()
        .filter(|(name, _)| bare_name(&fold_name(name)) == bare)
        .map(|(name, slug)| (*slug, *name))
        .collect();
    one_per_region(&mut loose)
}

/// Matches sorted by slug, the first match of each region kept.
fn one_per_region<'a>(matches: &mut Vec<(&'a str, &'a str)>) -> Vec<(&'a str, &'a str)> {
    matches.sort_by_key(|(slug, _)| *slug);
    matches.dedup_by_key(|(slug, _)| *slug);
    std::mem::take(matches)
}

/// Values as a YAML flow list, quoted where YAML would read them otherwise.
fn flow_list(values: &[impl AsRef<str>]) -> String {
    let items: Vec<String> = values
        .iter()
        .map(|value| {
            let value = value.as_ref();
            let plain = !value.is_empty()
                && !value.starts_with(|c: char| "-?!&*|>%@`'\"#".contains(c))
                && !value.contains(|c: char| ":#[]{},\"'".contains(c));
            if plain {
                value.to_string()
            } else {
                serde_json::to_string(value).unwrap_or_default()
            }
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// A `slug:` that is not a URL slug, with one that is as the example: the written slug's own
/// letters made into one, else `derived`, the slug the article or page gets without the key
/// (made from `derived_from`, its title or file name).
pub(super) fn bad_slug(
    source: &str,
    slug: &str,
    lang: &str,
    (derived, derived_from): (&str, &str),
    at: Option<(usize, usize)>,
) -> Problem {
    if slug.trim().is_empty() {
        let hint = if derived.is_empty() {
            "write one of lowercase a-z, digits and single hyphens, e.g. `slug: masks-in-atyrau`"
                .to_string()
        } else {
            format!(
                "remove the `slug` line to make it from {derived_from} (`{derived}`), or write one like `slug: {derived}`"
            )
        };
        return Problem::new(source, "`slug` is empty")
            .at_opt(at)
            .hint(hint);
    }
    let own = slugify(slug, lang);
    let example = [own.as_str(), derived]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or("masks-in-atyrau");
    Problem::new(source, format!("slug `{slug}` is not a URL slug"))
        .at_opt(at)
        .hint(format!(
            "use lowercase a-z, digits and single hyphens, e.g. `{example}`"
        ))
}

/// `tags: masks, volunteers`: one text, which would be one tag with a comma in it.
pub(super) fn tags_written_as_text(
    source: &str,
    text: &str,
    value_at: &ValueAt,
    key_at: &KeyAt,
) -> Problem {
    let tags: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    Problem::new(
        source,
        format!("`tags` is one text, `{text}`, so it would be a single tag"),
    )
    .at_opt(value_at("tags", text).or(key_at("tags")))
    .hint(format!("tags is a list: `tags: {}`", flow_list(&tags)))
}

/// Codes and names that editors write for a language instead of its code, lowercased.
const LANGUAGE_ALIASES: &[(&str, &str)] = &[
    ("kz", "kk"),
    ("kaz", "kk"),
    ("qaz", "kk"),
    ("kazakh", "kk"),
    ("qazaq", "kk"),
    ("қаз", "kk"),
    ("қазақ", "kk"),
    ("қазақша", "kk"),
    ("казахский", "kk"),
    ("rus", "ru"),
    ("russian", "ru"),
    ("рус", "ru"),
    ("русский", "ru"),
    ("орысша", "ru"),
    ("eng", "en"),
    ("english", "en"),
    ("ағылшынша", "en"),
    ("английский", "en"),
];

/// The site language an editor most likely meant by `lang` (`kz`, `kaz`, `ru-RU`, `қазақша`).
pub fn meant_language<'a>(lang: &str, languages: &'a [String]) -> Option<&'a String> {
    let folded = lang.trim().to_lowercase().replace('_', "-");
    let primary = folded.split('-').next().unwrap_or_default();
    let code = LANGUAGE_ALIASES
        .iter()
        .find(|(alias, _)| *alias == primary)
        .map_or(primary, |(_, code)| code);
    languages.iter().find(|l| *l == code)
}

/// A `lang` that is not one of the site's languages, with the code the editor most likely
/// meant: `kz` is Kazakhstan's country code, the Kazakh language is `kk`.
pub(super) fn check_language(
    source: &str,
    lang: &str,
    languages: &[String],
    at: Option<(usize, usize)>,
) -> Option<Problem> {
    if languages.iter().any(|l| l == lang) {
        return None;
    }
    let hint = match meant_language(lang, languages) {
        Some(code) => format!("did you mean `{code}`?"),
        None => format!(
            "the site's languages are {}; add it to `languages` in site.yaml",
            languages.join(", ")
        ),
    };
    Some(
        Problem::new(
            source,
            format!("language `{lang}` is not one of the site's languages"),
        )
        .at_opt(at)
        .hint(hint),
    )
}

/// `updated` before `date`. Dates written without a time compare by calendar day, so an
/// article dated `2020-03-26T10:00` may say `updated: 2020-03-26`.
pub(super) fn check_updated(
    source: &str,
    (date_text, updated_text): (Option<&str>, Option<&str>),
    date: &ZonedDateTime,
    updated: &ZonedDateTime,
    at: Option<(usize, usize)>,
) -> Option<Problem> {
    let (date_text, updated_text) = (date_text?.trim(), updated_text?.trim());
    let by_day = date_text.len() == 10 || updated_text.len() == 10;
    let earlier = if by_day {
        updated.date() < date.date()
    } else {
        updated.timestamp() < date.timestamp()
    };
    earlier.then(|| {
        Problem::new(
            source,
            format!("`updated` ({updated_text}) is earlier than `date` ({date_text})"),
        )
        .at_opt(at)
        .hint("`updated` says when it was last changed, so it cannot come before `date`: correct the one that is wrong, or remove `updated`")
    })
}

/// A poll named by `poll:` and also placed in the body would be shown twice.
pub(super) fn check_poll_placed_twice(source: &str, poll: &str, split: &Split) -> Vec<Problem> {
    crate::markdown::poll_placements(split.body)
        .into_iter()
        .filter(|placement| placement.id == poll)
        .map(|placement| {
            Problem::new(
                source,
                format!("poll `{poll}` is placed here and also named by `poll:` in the front matter, so it would be shown twice"),
            )
            .at(split.body_line + placement.line, placement.column)
            .hint("remove this line, or the `poll:` line of the front matter")
        })
        .collect()
}

/// Aliases that are not paths from the site's root: relative, `//host`, with `..` or `\`.
pub(super) fn check_aliases(
    source: &str,
    aliases: &[String],
    value_at: &ValueAt,
    problems: &mut Vec<Problem>,
) {
    for alias in aliases {
        let bad = !alias.starts_with('/')
            || alias.starts_with("//")
            || alias.split('/').any(|s| s == "..")
            || alias.contains('\\');
        if bad {
            problems.push(
                Problem::new(source, format!("alias `{alias}` is not a site path"))
                    .at_opt(value_at("aliases", alias))
                    .hint("write old URLs as paths from the site's root, e.g. `/2020/03/old-url/`"),
            );
        }
    }
}
