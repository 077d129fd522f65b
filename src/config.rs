//! `site.yaml`: the site's settings, their defaults, and their validation.
//!
//! Takes the file's text, gives a validated [`Config`] (with the timezone resolved) or the
//! problems found in it.

use std::path::Path;

use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::diagnostics::{Problem, Problems, did_you_mean};
use crate::localized::{Invalid, Localized, Written};
use crate::yaml;

/// Where the site's settings live, relative to its root.
pub const CONFIG_FILE: &str = "site.yaml";

/// The settings of `site.yaml` as written; every key but `title` and `base_url` has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawConfig {
    /// The site's name, shown in the header and feeds, once or per language. Required.
    pub title: Option<Written>,
    /// A one-line description for feeds and metadata, once or per language.
    pub description: Option<Written>,
    /// The public URL of the site's root, e.g. `https://assembly.example.kz`. Required.
    pub base_url: Option<String>,
    /// The default language, served at the root. Default `en`.
    pub language: String,
    /// Every language of the site; the others are served under `/<lang>/`. Default `[en, kk, ru]`.
    pub languages: Vec<String>,
    /// IANA name or fixed offset for dates written without one. Default `Asia/Almaty`.
    pub timezone: String,
    /// The theme: a folder under `themes/`, or the built-in `birge`. Default `birge`.
    pub theme: String,
    /// Items per list page. Default 20.
    pub paginate: usize,
    /// Poll settings.
    pub polls: PollsConfig,
    /// Who publishes the site.
    pub publisher: RawPublisher,
    /// Sanitise the HTML of article and page bodies (and summaries) with ammonia: scripts,
    /// event handlers, `javascript:` links and other active content are removed. Default
    /// `false`: editors are trusted and raw HTML in Markdown passes through.
    pub safe_html: bool,
    /// Publish a search page and index per language tree (`search: false` turns search off).
    /// Default `true`.
    pub search: bool,
    /// A free map for themes.
    pub extra: serde_json::Value,
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            title: None,
            description: None,
            base_url: None,
            language: "en".into(),
            languages: vec!["en".into(), "kk".into(), "ru".into()],
            timezone: "Asia/Almaty".into(),
            theme: "birge".into(),
            paginate: 20,
            polls: PollsConfig::default(),
            publisher: RawPublisher::default(),
            safe_html: false,
            search: true,
            extra: serde_json::Value::Object(Default::default()),
        }
    }
}

/// The `polls:` section.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PollsConfig {
    /// The poll shown in the sidebar of pages that do not already show it.
    pub featured: Option<String>,
    /// Results baked in at build time when this file exists (SQLite store or JSON export).
    pub database: String,
    /// Where the widget posts. Default `/api/`.
    pub endpoint: String,
}

impl Default for PollsConfig {
    fn default() -> Self {
        PollsConfig {
            featured: None,
            database: "polls.sqlite".into(),
            endpoint: "/api/".into(),
        }
    }
}

/// The `publisher:` section as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawPublisher {
    /// Defaults to the site's title; once or per language.
    pub name: Option<Written>,
    /// Defaults to `/logo.png`, which the built-in theme ships.
    pub logo: Option<String>,
}

/// Who publishes the site: for the footer, feeds and metadata.
#[derive(Debug, Clone)]
pub struct Publisher {
    /// The publisher's name, per language.
    pub name: Localized,
    /// A site path or URL of its logo.
    pub logo: String,
}

/// Validated settings, ready for the build.
#[derive(Debug, Clone)]
pub struct Config {
    /// The site's name, per language.
    pub title: Localized,
    /// A one-line description, per language.
    pub description: Option<Localized>,
    /// The root URL without a trailing `/`.
    pub base_url: String,
    /// The default language.
    pub language: String,
    /// All languages, the default first.
    pub languages: Vec<String>,
    /// The resolved timezone.
    pub timezone: TimeZone,
    /// The timezone as written.
    pub timezone_name: String,
    /// The theme's name.
    pub theme: String,
    /// Items per list page (at least 1).
    pub paginate: usize,
    /// Poll settings.
    pub polls: PollsConfig,
    /// Who publishes.
    pub publisher: Publisher,
    /// Whether article and page bodies are sanitised (`safe_html: true`).
    pub safe_html: bool,
    /// Whether each language tree gets a search page and index (`search: false` turns it off).
    pub search: bool,
    /// The free map for themes.
    pub extra: serde_json::Value,
}

const KEYS: &[&str] = &[
    "title",
    "description",
    "base_url",
    "language",
    "languages",
    "timezone",
    "theme",
    "paginate",
    "polls",
    "publisher",
    "safe_html",
    "search",
    "extra",
];

impl Config {
    /// Reads and validates `site.yaml` under `root`.
    pub fn load(root: &Path) -> Result<Config, Problems> {
        let path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            let here = std::env::current_dir().is_ok_and(|cwd| {
                std::path::absolute(root).is_ok_and(|root| root == cwd)
            });
            let problem = if e.kind() == std::io::ErrorKind::NotFound && !root.is_dir() {
                Problem::new(CONFIG_FILE, format!("there is no folder {}", root.display()))
                    .hint("--root names the site's folder: check the path")
            } else if e.kind() == std::io::ErrorKind::NotFound && !here {
                Problem::new(CONFIG_FILE, format!("there is no site.yaml in {}", root.display()))
                    .hint("--root names the site's folder, the one with site.yaml; create a site with `birge init DIR`")
            } else if e.kind() == std::io::ErrorKind::NotFound {
                Problem::new(CONFIG_FILE, "there is no site.yaml here")
                    .hint("run birge in a site's folder, pass --root DIR, or create one with `birge init`")
            } else {
                Problem::new(CONFIG_FILE, format!("cannot read it: {e}"))
            };
            Problems(vec![problem])
        })?;
        Config::parse(&text)
    }

    /// Parses and validates the text of `site.yaml`.
    pub fn parse(text: &str) -> Result<Config, Problems> {
        let raw: RawConfig = yaml::parse(text).map_err(|e| {
            let mut problem =
                Problem::new(CONFIG_FILE, e.message.clone()).at_opt(e.line.zip(e.column));
            if let Some(key) = e.unknown_field() {
                problem.message = format!("unknown setting `{key}`");
                problem = problem.hint_opt(
                    did_you_mean(key, KEYS.iter().copied())
                        .map(|k| format!("did you mean `{k}`?"))
                        .or_else(|| Some(format!("the settings are: {}", KEYS.join(", ")))),
                );
            }
            Problems(vec![problem])
        })?;
        raw.validate(text)
    }

    /// Settings for tests: a titled site at `https://example.org`.
    pub fn for_test() -> Config {
        Config::parse("title: Test\nbase_url: https://example.org\n").expect("valid test config")
    }

    /// The site path of the root of a language's tree: `/` or `/kk/`.
    pub fn language_root(&self, lang: &str) -> String {
        crate::routes::tree_root(lang, &self.language)
    }
}

impl RawConfig {
    fn validate(self, text: &str) -> Result<Config, Problems> {
        let mut problems = Problems::default();
        let at = |key: &str| yaml::key_position(text, key);
        let mut languages = vec![self.language.clone()];
        for lang in &self.languages {
            if !languages.contains(lang) {
                languages.push(lang.clone());
            }
        }
        let mut localized = |key: &str, written: Option<Written>| {
            let result = Localized::from_written(written?, &languages);
            result
                .map_err(|invalid| {
                    problems.push(localized_problem(key, invalid, &languages, at(key)))
                })
                .ok()
        };
        let title = localized("title", self.title.clone());
        let description = localized("description", self.description.clone());
        let publisher_name = localized("publisher", self.publisher.name.clone());
        if self.title.is_none() {
            problems.push(
                Problem::new(CONFIG_FILE, "the site has no `title`")
                    .at_opt(at("title"))
                    .hint("add a line like `title: Assembly of People of Kazakhstan`"),
            );
        }
        let base_url = self.base_url.filter(|u| !u.trim().is_empty());
        match &base_url {
            None => problems.push(
                Problem::new(CONFIG_FILE, "the site has no `base_url`")
                    .hint("add a line like `base_url: https://assembly.example.kz`"),
            ),
            Some(url) => {
                if let Some(rule) = base_url_rule_broken(url) {
                    problems.push(
                        Problem::new(CONFIG_FILE, format!("`base_url` {rule}, not `{url}`"))
                            .at_opt(at("base_url"))
                            .hint(
                                "write the site's public address, e.g. `base_url: https://assembly.example.kz`",
                            ),
                    );
                }
            }
        }
        let timezone = match crate::dates::parse_timezone(&self.timezone) {
            Ok(tz) => Some(tz),
            Err(message) => {
                problems.push(
                    Problem::new(CONFIG_FILE, message)
                        .at_opt(at("timezone"))
                        .hint(
                            "use an IANA name like `Asia/Almaty` or a fixed offset like `+05:00`",
                        ),
                );
                None
            }
        };
        if self.paginate == 0 {
            problems.push(
                Problem::new(CONFIG_FILE, "`paginate` must be at least 1").at_opt(at("paginate")),
            );
        }
        let written = std::iter::once(("language", &self.language))
            .chain(self.languages.iter().map(|lang| ("languages", lang)));
        for (key, lang) in written {
            let at = yaml::value_position(text, key, lang)
                .or(at("languages"))
                .or(at("language"));
            if let Some((country, meant)) = country_code(lang) {
                problems.push(
                    Problem::new(
                        CONFIG_FILE,
                        format!("`{lang}` is {country}'s country code, not a language code"),
                    )
                    .at_opt(at)
                    .hint(format!("did you mean `{meant}`?")),
                );
            } else if !is_language_code(lang) {
                problems.push(
                    Problem::new(CONFIG_FILE, format!("`{lang}` is not a language code"))
                        .at_opt(at)
                        .hint("use two- or three-letter codes such as en, kk, ru"),
                );
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let title = title.expect("checked above");
        Ok(Config {
            publisher: Publisher {
                name: publisher_name.unwrap_or_else(|| title.clone()),
                logo: self.publisher.logo.unwrap_or_else(|| "/logo.png".into()),
            },
            title,
            description,
            base_url: base_url
                .expect("checked above")
                .trim_end_matches('/')
                .to_string(),
            language: self.language,
            languages,
            timezone: timezone.expect("checked above"),
            timezone_name: self.timezone,
            theme: self.theme,
            paginate: self.paginate,
            polls: self.polls,
            safe_html: self.safe_html,
            search: self.search,
            extra: self.extra,
        })
    }
}

/// A site.yaml text (title, description, publisher name) that cannot be used.
fn localized_problem(
    key: &str,
    invalid: Invalid,
    languages: &[String],
    at: Option<(usize, usize)>,
) -> Problem {
    let default = &languages[0];
    let list = languages.join(", ");
    let problem = match invalid {
        Invalid::Empty => Problem::new(CONFIG_FILE, format!("`{key}` is empty")),
        Invalid::NoDefault => Problem::new(
            CONFIG_FILE,
            format!("`{key}` has no text in the default language `{default}`"),
        )
        .hint(format!(
            "add `{default}: ...`: languages left out fall back to it"
        )),
        Invalid::UnknownLanguage(lang) => Problem::new(
            CONFIG_FILE,
            format!(
                "`{key}` has text in `{lang}`, which is not one of the site's languages ({list})"
            ),
        )
        .hint(
            // `kz` is no language that could be added: say which one it stands for.
            match country_code(&lang)
                .map(|(_, meant)| meant)
                .filter(|meant| languages.iter().any(|l| l == meant))
                .or_else(|| did_you_mean(&lang, languages.iter().map(String::as_str)))
            {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("use one of {list}, or add `{lang}` to `languages`"),
            },
        ),
    };
    problem.at_opt(at)
}

/// Why `url` cannot be a site's base URL, as the rule it breaks, if it cannot: the one check of
/// site.yaml's `base_url` and of `birge build --base-url`.
pub fn base_url_rule_broken(url: &str) -> Option<&'static str> {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return Some("must start with http:// or https://");
    };
    if rest.is_empty() || rest.starts_with('/') {
        Some("must name a host after http:// or https://")
    } else if url.contains(char::is_whitespace) {
        Some("must not contain spaces")
    } else {
        None
    }
}

/// Countries' codes that editors write for their languages, none of them a language code:
/// the code, the country, and the code of the language meant (`kz` for Kazakh is `kk`).
const COUNTRY_CODES: &[(&str, &str, &str)] = &[
    ("kz", "Kazakhstan", "kk"),
    ("ua", "Ukraine", "uk"),
    ("cn", "China", "zh"),
    ("jp", "Japan", "ja"),
    ("gr", "Greece", "el"),
    ("dk", "Denmark", "da"),
    ("cz", "Czechia", "cs"),
];

/// The country and the language code meant, when `code` is one of [`COUNTRY_CODES`].
fn country_code(code: &str) -> Option<(&'static str, &'static str)> {
    COUNTRY_CODES
        .iter()
        .find(|(country_code, _, _)| *country_code == code)
        .map(|(_, country, lang)| (*country, *lang))
}

fn is_language_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_in() {
        let c = Config::for_test();
        assert_eq!(c.language, "en");
        assert_eq!(c.languages, ["en", "kk", "ru"]);
        assert_eq!(c.paginate, 20);
        assert_eq!(c.polls.endpoint, "/api/");
        assert_eq!(c.publisher.name.get("kk"), "Test");
        assert_eq!(c.language_root("kk"), "/kk/");
        assert!(!c.safe_html);
        assert!(c.search);
        let off = Config::parse("title: T\nbase_url: https://x.kz\nsearch: false\n").unwrap();
        assert!(!off.search);
        let safe = Config::parse("title: T\nbase_url: https://x.kz\nsafe_html: true\n").unwrap();
        assert!(safe.safe_html);
    }

    #[test]
    fn typos_get_a_hint() {
        let err = Config::parse("title: T\nbase_url: https://x.kz\npaginte: 5\n").unwrap_err();
        assert_eq!(
            err.0[0].to_string(),
            "error: site.yaml:3:1: unknown setting `paginte`\n  hint: did you mean `paginate`?"
        );
    }

    #[test]
    fn titles_per_language() {
        let c = Config::parse(
            "title: {en: APK, kk: ҚХА, ru: АНК}\nbase_url: https://x.kz\ndescription: News\n",
        )
        .unwrap();
        assert_eq!(c.title.get("kk"), "ҚХА");
        assert_eq!(c.title.get("en"), "APK");
        assert_eq!(c.publisher.name.get("ru"), "АНК");
        assert_eq!(c.description.unwrap().get("kk"), "News");
        let err = Config::parse("title: {kk: ҚХА, kz: x}\nbase_url: https://x.kz\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "error: site.yaml:1:1: `title` has text in `kz`, which is not one of the site's languages (en, kk, ru)\n  hint: did you mean `kk`?\n1 problem found"
        );
    }

    #[test]
    fn a_country_code_is_not_a_language() {
        let err = Config::parse("title: T\nbase_url: https://x.kz\nlanguages: [en, kz, ru]\n")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "error: site.yaml:3:17: `kz` is Kazakhstan's country code, not a language code\n  hint: did you mean `kk`?\n1 problem found"
        );
        let err = Config::parse("title: T\nbase_url: https://x.kz\nlanguage: kz\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "error: site.yaml:3:11: `kz` is Kazakhstan's country code, not a language code\n  hint: did you mean `kk`?\n1 problem found"
        );
        let de = Config::parse("title: T\nbase_url: https://x.kz\nlanguages: [en, de]\n").unwrap();
        assert_eq!(de.languages, ["en", "de"]);
    }

    #[test]
    fn base_url_must_be_a_web_address() {
        let err = Config::parse("title: T\nbase_url: not a url\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "error: site.yaml:2:1: `base_url` must start with http:// or https://, not `not a url`\n  hint: write the site's public address, e.g. `base_url: https://assembly.example.kz`\n1 problem found"
        );
        assert_eq!(
            base_url_rule_broken("https://"),
            Some("must name a host after http:// or https://")
        );
        assert_eq!(
            base_url_rule_broken("https://assembly example.kz"),
            Some("must not contain spaces")
        );
        assert_eq!(base_url_rule_broken("http://localhost:1111/sub/"), None);
    }

    #[test]
    fn required_keys_are_reported_together() {
        let err = Config::parse("timezone: Mars/Base\n").unwrap_err();
        assert_eq!(err.len(), 3);
    }
}
