//! Front matter: the YAML between the `---` lines at the top of a Markdown file.
//!
//! Takes a file's text, gives the YAML part, the body and the line the body starts on
//! ([`split`]), then typed front matter ([`parse`]) with unknown keys reported with a hint.
//! Positions within the YAML are shifted to lines of the whole file for problems.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::diagnostics::{Problem, did_you_mean};
use crate::yaml;

/// A Markdown file cut in two: its front matter and its body.
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    /// The YAML text between the fences.
    pub yaml: &'a str,
    /// The Markdown after the closing fence.
    pub body: &'a str,
    /// 1-based line of the whole file on which the body starts.
    pub body_line: usize,
}

/// Separates the front matter from the body; `file` names the file in problems.
pub fn split<'a>(file: &str, text: &'a str) -> Result<Split<'a>, Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_line_end = text.find('\n').unwrap_or(text.len());
    if text[..first_line_end].trim_end() != "---" {
        return Err(Problem::new(file, "the file does not start with front matter")
            .at(1, 1)
            .hint("begin it with a line `---`, then `title: ...` and `date: ...`, then another `---`"));
    }
    let yaml_start = (first_line_end + 1).min(text.len());
    let mut offset = yaml_start;
    for (line, raw_line) in (2..).zip(text[yaml_start..].split_inclusive('\n')) {
        let trimmed = raw_line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let body_start = offset + raw_line.len();
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                body: &text[body_start.min(text.len())..],
                body_line: line + 1,
            });
        }
        offset += raw_line.len();
    }
    Err(Problem::new(file, "the front matter is never closed")
        .at(1, 1)
        .hint("end it with a line `---` between the last key and the article's text"))
}

/// Finds where a value of a front-matter key stands in the file.
pub(super) type ValueAt<'a> = dyn Fn(&str, &str) -> Option<(usize, usize)> + 'a;
/// Finds where a front-matter key stands in the file.
pub(super) type KeyAt<'a> = dyn Fn(&str) -> Option<(usize, usize)> + 'a;

/// Shifts a position within front matter YAML to a line of the whole file.
pub(super) fn in_file(position: Option<(usize, usize)>) -> Option<(usize, usize)> {
    position.map(|(line, column)| (line + 1, column))
}

/// The front matter of an article, as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleFrontMatter {
    /// The headline. Required.
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    pub title: Option<String>,
    /// `YYYY-MM-DD` or RFC 3339. Required.
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    pub date: Option<String>,
    /// One region slug (a list here is reported: several regions go under `regions`).
    #[serde(default, deserialize_with = "yaml::one_or_list")]
    pub region: yaml::OneOrList,
    /// Several region slugs.
    #[serde(default, deserialize_with = "yaml::scalar_strings")]
    pub regions: Vec<String>,
    /// Tag names: a list (one text with commas in it is reported).
    #[serde(default, deserialize_with = "yaml::one_or_list")]
    pub tags: yaml::OneOrList,
    /// A summary for lists and feeds (Markdown).
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    pub summary: Option<String>,
    /// Who wrote it.
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    pub author: Option<String>,
    /// The lead image: a file of the bundle, a site path or a URL.
    #[serde(default)]
    pub image: Option<String>,
    /// The image's text alternative.
    #[serde(default)]
    pub image_alt: Option<String>,
    /// The image's caption.
    #[serde(default)]
    pub image_caption: Option<String>,
    /// Who made the image.
    #[serde(default)]
    pub image_credit: Option<String>,
    /// When the article was last changed.
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    pub updated: Option<String>,
    /// A correction or update notice shown on the article.
    #[serde(default)]
    pub update_note: Option<String>,
    /// The URL slug, instead of the one made from the title.
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    pub slug: Option<String>,
    /// The article's language, when not the site's default.
    #[serde(default)]
    pub lang: Option<String>,
    /// A key shared by the language versions of one article.
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    pub translation: Option<String>,
    /// A poll id from `content/polls/`.
    #[serde(default)]
    pub poll: Option<String>,
    /// Old site-relative URLs that redirect here.
    #[serde(default, deserialize_with = "yaml::scalar_strings")]
    pub aliases: Vec<String>,
    /// Left out of builds unless `--drafts`.
    #[serde(default)]
    pub draft: bool,
    /// Kept on top of the front page.
    #[serde(default)]
    pub pinned: bool,
    /// When pinning ends.
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    pub pinned_until: Option<String>,
    /// A free map for themes.
    #[serde(default)]
    pub extra: Option<serde_json::Value>,
}

/// Keys an article's front matter may have.
pub const ARTICLE_KEYS: &[&str] = &[
    "title",
    "date",
    "region",
    "regions",
    "tags",
    "summary",
    "author",
    "image",
    "image_alt",
    "image_caption",
    "image_credit",
    "updated",
    "update_note",
    "slug",
    "lang",
    "translation",
    "poll",
    "aliases",
    "draft",
    "pinned",
    "pinned_until",
    "extra",
];

/// The front matter of a standalone page, as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageFrontMatter {
    /// The page's title. Required.
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    pub title: Option<String>,
    /// When the page was first published (shown, never part of its URL).
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    pub date: Option<String>,
    /// The URL slug, instead of the file's name.
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    pub slug: Option<String>,
    /// A summary for metadata.
    #[serde(default)]
    pub summary: Option<String>,
    /// The lead image: a site path or a URL.
    #[serde(default)]
    pub image: Option<String>,
    /// The image's text alternative.
    #[serde(default)]
    pub image_alt: Option<String>,
    /// The image's caption.
    #[serde(default)]
    pub image_caption: Option<String>,
    /// Who made the image.
    #[serde(default)]
    pub image_credit: Option<String>,
    /// The page's language, when not the site's default.
    #[serde(default)]
    pub lang: Option<String>,
    /// A key shared by the language versions of one page.
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    pub translation: Option<String>,
    /// When the page was last changed.
    #[serde(default, deserialize_with = "yaml::opt_scalar_string")]
    pub updated: Option<String>,
    /// Old site-relative URLs that redirect here.
    #[serde(default, deserialize_with = "yaml::scalar_strings")]
    pub aliases: Vec<String>,
    /// Left out of builds unless `--drafts`.
    #[serde(default)]
    pub draft: bool,
    /// A free map for themes.
    #[serde(default)]
    pub extra: Option<serde_json::Value>,
}

/// Keys a page's front matter may have.
pub const PAGE_KEYS: &[&str] = &[
    "title",
    "date",
    "slug",
    "summary",
    "image",
    "image_alt",
    "image_caption",
    "image_credit",
    "lang",
    "translation",
    "updated",
    "aliases",
    "draft",
    "extra",
];

/// Where a YAML map of known keys is written, for messages: front matter (whose lines
/// count from the opening `---`) or a whole file such as a poll.
#[derive(Debug, Clone, Copy)]
pub struct Keyed {
    /// What the keys are of, in messages: `front matter`, `poll`.
    pub noun: &'static str,
    /// Put before a YAML parser's own message (`front matter: `), or nothing.
    pub prefix: &'static str,
    /// Lines of the file before the YAML's first line.
    pub lines_before: usize,
}

/// The front matter of an article or page.
pub const FRONT_MATTER: Keyed = Keyed {
    noun: "front matter",
    prefix: "front matter: ",
    lines_before: 1,
};

/// Parses front matter YAML into `T`; problems point at lines of the whole file
/// ([`parse_keyed`]).
pub fn parse<T: DeserializeOwned>(
    file: &str,
    yaml_text: &str,
    keys: &[&str],
) -> Result<(T, Vec<Problem>), Vec<Problem>> {
    parse_keyed(file, yaml_text, keys, FRONT_MATTER)
}

/// Parses a YAML map of `keys` into `T`; problems point at lines of the whole file.
/// Every unknown key is reported, each with a "did you mean" hint when one is close; the
/// other keys are still read (given beside those problems), so that their own mistakes are
/// reported in the same build rather than after the typo is fixed.
pub fn parse_keyed<T: DeserializeOwned>(
    file: &str,
    yaml_text: &str,
    keys: &[&str],
    place: Keyed,
) -> Result<(T, Vec<Problem>), Vec<Problem>> {
    parse_keyed_again(file, yaml_text, keys, place, true)
}

/// [`parse_keyed`]; with `again`, the text without its unknown keys is parsed once more
/// (once only: a key the blanking cannot take out, such as a quoted one, must not loop).
fn parse_keyed_again<T: DeserializeOwned>(
    file: &str,
    yaml_text: &str,
    keys: &[&str],
    place: Keyed,
    again: bool,
) -> Result<(T, Vec<Problem>), Vec<Problem>> {
    let error = match yaml::parse::<T>(yaml_text) {
        Ok(value) => return Ok((value, Vec::new())),
        Err(error) => error,
    };
    if error.unknown_field().is_some()
        && let Ok(found) = yaml::top_level_keys(yaml_text)
    {
        let unknown_keys: Vec<&str> = found
            .iter()
            .map(String::as_str)
            .filter(|key| !keys.contains(key))
            .collect();
        let unknown: Vec<Problem> = unknown_keys
            .iter()
            .map(|key| unknown_key(file, yaml_text, (key, keys), place))
            .collect();
        if !unknown.is_empty() && !again {
            return Err(unknown);
        }
        if !unknown.is_empty() {
            let known_only = yaml::without_top_level_keys(yaml_text, &unknown_keys);
            let rest = parse_keyed_again::<T>(file, &known_only, keys, place, false);
            return match rest {
                Ok((value, more)) => Ok((value, unknown.into_iter().chain(more).collect())),
                Err(more) => {
                    // The keys the blanking could not take out are reported once.
                    let mut all = unknown;
                    all.extend(
                        more.into_iter()
                            .filter(|p| !p.message.starts_with("unknown key")),
                    );
                    Err(all)
                }
            };
        }
    }
    if let Some(problem) = tab_in_indentation(file, yaml_text, &error, place) {
        return Err(vec![problem]);
    }
    if let Some(problem) = duplicate_key(file, yaml_text, &error.message, place) {
        return Err(vec![problem]);
    }
    let position = error
        .line
        .zip(error.column)
        .map(|(l, c)| (l + place.lines_before, c));
    Err(vec![
        Problem::new(file, format!("{}{}", place.prefix, error.message))
            .at_opt(position.or(Some((1, 1))))
            .hint_opt(yaml_hint(&error.message)),
    ])
}

fn unknown_key(file: &str, yaml_text: &str, (key, keys): (&str, &[&str]), place: Keyed) -> Problem {
    let position = yaml::key_position(yaml_text, key).map(|(l, c)| (l + place.lines_before, c));
    let hint = match did_you_mean(key, keys.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None if place.lines_before > 0 => format!(
            "the keys are: {}; put free values under `extra:`",
            keys.join(", ")
        ),
        None => format!("the keys are: {}", keys.join(", ")),
    };
    Problem::new(file, format!("unknown key `{key}` in {}", place.noun))
        .at_opt(position)
        .hint(hint)
}

/// A YAML error caused by a tab in the indentation (the YAML parser's own words for it are
/// "found character that cannot start any token" or "a tab character that violates
/// indentation"), placed at the tab.
fn tab_in_indentation(
    file: &str,
    yaml_text: &str,
    error: &yaml::YamlError,
    place: Keyed,
) -> Option<Problem> {
    let line = yaml_text.lines().nth(error.line?.checked_sub(1)?)?;
    let indentation = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
    let tab = indentation.find('\t')?;
    Some(
        Problem::new(file, format!("{}a tab in the indentation", place.prefix))
            .at(error.line? + place.lines_before, tab + 1)
            .hint(format!("{} is indented with spaces, not tabs", place.noun)),
    )
}

/// A key written twice (`slug:` on two lines), placed at its second line.
fn duplicate_key(file: &str, yaml_text: &str, message: &str, place: Keyed) -> Option<Problem> {
    let key = message
        .split("duplicate field `")
        .nth(1)?
        .split('`')
        .next()?;
    let line = yaml_text
        .lines()
        .enumerate()
        .filter(|(_, text)| {
            text.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|(index, _)| index + 1)
        .nth(1)?;
    Some(
        Problem::new(
            file,
            format!("`{key}` is written twice in the {}", place.noun),
        )
        .at(line + place.lines_before, 1)
        .hint(format!("keep one of the two `{key}:` lines")),
    )
}

fn yaml_hint(message: &str) -> Option<String> {
    if message.contains("mapping values are not allowed") {
        Some(
            "a value that contains `: ` must be quoted, e.g. title: \"Biz Birgemiz: day one\""
                .into(),
        )
    } else if message.starts_with("text after the closing quote") {
        Some(
            "put the whole value inside its quotes: inside '...' a ' is written '', inside \"...\" \
             a \" is written \\\""
                .into(),
        )
    } else if message.starts_with("the quote opened here") {
        Some("end the value with the same quote it starts with, on the same line".into())
    } else if message.contains("invalid type") {
        Some("check the value's type: text, a list like [a, b], true/false".into())
    } else if message.contains("did not find expected") || message.contains("found unexpected") {
        Some("check quotes, brackets and indentation on this line and the one before".into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_counts_lines() {
        let text = "---\ntitle: A\ndate: 2020-03-26\n---\nBody\n";
        let s = split("a.md", text).unwrap();
        assert_eq!(s.yaml, "title: A\ndate: 2020-03-26\n");
        assert_eq!(s.body, "Body\n");
        assert_eq!(s.body_line, 5);
    }

    #[test]
    fn never_closed() {
        let e = split("a.md", "---\ntitle: A\n\nBody\n").unwrap_err();
        assert_eq!(e.message, "the front matter is never closed");
        let e = split("a.md", "title: A\n").unwrap_err();
        assert_eq!(e.message, "the file does not start with front matter");
    }

    #[test]
    fn unknown_keys_all_reported() {
        let yaml = "title: A\ntitel: B\nregoin: x\n";
        let (fm, errs) = parse::<ArticleFrontMatter>("a.md", yaml, ARTICLE_KEYS).unwrap();
        assert_eq!(fm.title.as_deref(), Some("A"), "the known keys are read");
        assert_eq!(errs.len(), 2);
        assert_eq!(
            errs[0].to_string(),
            "error: a.md:3:1: unknown key `titel` in front matter\n  hint: did you mean `title`?"
        );
        assert_eq!(errs[1].hint.as_deref(), Some("did you mean `region`?"));
    }

    #[test]
    fn an_unknown_key_the_blanking_cannot_take_out_is_reported_once() {
        for yaml in ["title: A\n\"sumary\": x\n", "title: A\n? sumary\n: x\n"] {
            let errs = parse::<ArticleFrontMatter>("a.md", yaml, ARTICLE_KEYS).unwrap_err();
            let unknown: Vec<_> = errs
                .iter()
                .filter(|p| p.message == "unknown key `sumary` in front matter")
                .collect();
            assert_eq!(unknown.len(), 1, "{yaml:?}: {errs:?}");
        }
    }

    #[test]
    fn tabs_in_the_indentation_are_pointed_at() {
        for (yaml, line, column) in [
            ("title: A\ntags:\n\t- a\n", 4, 1),
            ("title: A\n\tregion: x\n", 3, 1),
            ("title: A\nextra:\n  a: 1\n  \tb: 2\n", 5, 3),
        ] {
            let errs = parse::<ArticleFrontMatter>("a.md", yaml, ARTICLE_KEYS).unwrap_err();
            assert_eq!(
                (errs[0].message.as_str(), errs[0].line, errs[0].column),
                (
                    "front matter: a tab in the indentation",
                    Some(line),
                    Some(column)
                ),
                "{yaml:?}: {}",
                errs[0]
            );
        }
        // A tab between a key and its value is YAML's own business, and fine.
        assert!(parse::<ArticleFrontMatter>("a.md", "title:\tA\n", ARTICLE_KEYS).is_ok());
    }
}
