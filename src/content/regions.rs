//! `content/regions.yaml`: the regions in display order, their names per language, and the
//! old slugs that redirect to them.
//!
//! Takes the file's text, gives [`Region`]s or the problems found (duplicate slugs, bad slugs,
//! missing names).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::diagnostics::{Problem, Problems};
use crate::yaml;

/// Where regions are defined, relative to the site root.
pub const REGIONS_FILE: &str = "content/regions.yaml";

/// One region (or city) of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The URL slug, as chosen in regions.yaml.
    pub slug: String,
    /// Names per language code.
    pub names: BTreeMap<String, String>,
    /// Markdown shown on the region's page.
    pub description: Option<String>,
    /// Old slugs whose URLs redirect here.
    pub former: Vec<String>,
}

impl Region {
    /// The region's name in `lang`, else in `fallback`, else any name, else its slug.
    pub fn name<'a>(&'a self, lang: &str, fallback: &str) -> &'a str {
        self.names
            .get(lang)
            .or_else(|| self.names.get(fallback))
            .or_else(|| self.names.values().next())
            .map_or(self.slug.as_str(), String::as_str)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegion {
    #[serde(deserialize_with = "yaml::scalar_string")]
    slug: String,
    name: Names,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "yaml::scalar_strings")]
    former: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Names {
    One(String),
    PerLanguage(BTreeMap<String, String>),
}

/// Whether `slug` is made only of `a-z`, `0-9` and inner single `-`.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
}

/// Parses regions.yaml; `default_language` is the one every region must be named in.
pub fn parse(text: &str, default_language: &str) -> Result<Vec<Region>, Problems> {
    let raw: Vec<RawRegion> = if text.trim().is_empty() {
        Vec::new()
    } else {
        yaml::parse(text).map_err(|e| {
            Problems(vec![
                Problem::new(REGIONS_FILE, e.message)
                    .at_opt(e.line.zip(e.column))
                    .hint(
                        "each region is `- slug: atyrau` with `name: {en: ..., kk: ..., ru: ...}`",
                    ),
            ])
        })?
    };
    let mut problems = Problems::default();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut regions = Vec::with_capacity(raw.len());
    for (index, raw) in raw.into_iter().enumerate() {
        let slug_positions = yaml::occurrences(text, &format!("slug: {}", raw.slug));
        let count_before = seen.keys().filter(|s| **s == raw.slug).count();
        let position = slug_positions
            .get(count_before)
            .or(slug_positions.first())
            .copied();
        if !is_valid_slug(&raw.slug) {
            problems.push(
                Problem::new(
                    REGIONS_FILE,
                    format!("region slug `{}` is not a URL slug", raw.slug),
                )
                .at_opt(position)
                .hint("use lowercase a-z, digits and single hyphens, e.g. `east-kazakhstan`"),
            );
        }
        if let Some(first) = seen.get(&raw.slug) {
            let second = slug_positions.get(1).copied().or(position);
            problems.push(
                Problem::new(
                    REGIONS_FILE,
                    format!("region slug `{}` is defined twice", raw.slug),
                )
                .at_opt(second)
                .hint(format!(
                    "the first definition is region #{}; give each region its own slug",
                    first + 1
                )),
            );
        }
        seen.entry(raw.slug.clone()).or_insert(index);
        let names = match raw.name {
            Names::One(name) => BTreeMap::from([(default_language.to_string(), name)]),
            Names::PerLanguage(names) => names,
        };
        if !names.contains_key(default_language) {
            problems.push(
                Problem::new(
                    REGIONS_FILE,
                    format!("region `{}` has no name in `{default_language}`", raw.slug),
                )
                .at_opt(position)
                .hint(format!("add `{default_language}: ...` to its `name`")),
            );
        }
        regions.push(Region {
            slug: raw.slug,
            names,
            description: raw.description,
            former: raw.former,
        });
    }
    check_former_slugs(text, &regions, &mut problems);
    if problems.is_empty() {
        Ok(regions)
    } else {
        Err(problems)
    }
}

fn check_former_slugs(text: &str, regions: &[Region], problems: &mut Problems) {
    let mut owners: BTreeMap<&str, &str> = regions
        .iter()
        .map(|r| (r.slug.as_str(), r.slug.as_str()))
        .collect();
    for region in regions {
        for former in &region.former {
            let position = yaml::occurrences(text, former).first().copied();
            if let Some(owner) = owners.get(former.as_str()) {
                problems.push(
                    Problem::new(
                        REGIONS_FILE,
                        format!(
                            "former slug `{former}` of `{}` is already used by `{owner}`",
                            region.slug
                        ),
                    )
                    .at_opt(position),
                );
            } else if !is_valid_slug(former) {
                problems.push(
                    Problem::new(
                        REGIONS_FILE,
                        format!("former slug `{former}` is not a URL slug"),
                    )
                    .at_opt(position),
                );
            }
            owners.insert(former, &region.slug);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_former_slugs() {
        let text = "- slug: atyrau\n  name: {en: Atyrau Region, kk: Атырау облысы}\n  former: [guryev]\n- slug: astana\n  name: Astana\n";
        let regions = parse(text, "en").unwrap();
        assert_eq!(regions[0].name("kk", "en"), "Атырау облысы");
        assert_eq!(regions[0].name("ru", "en"), "Atyrau Region");
        assert_eq!(regions[0].former, ["guryev"]);
        assert_eq!(regions[1].name("en", "en"), "Astana");
    }

    #[test]
    fn duplicate_slug_points_at_the_second() {
        let text = "- slug: atyrau\n  name: A\n- slug: atyrau\n  name: B\n";
        let err = parse(text, "en").unwrap_err();
        assert_eq!(
            err.0[0].to_string(),
            "error: content/regions.yaml:3:3: region slug `atyrau` is defined twice\n  hint: the first definition is region #1; give each region its own slug"
        );
    }
}
