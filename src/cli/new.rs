//! `birge new`: a new article with filled-in front matter.

use std::path::Path;

use anyhow::{Context, bail};
use clap::Args;

use crate::config::Config;
use crate::content::regions::{self, REGIONS_FILE};
use crate::diagnostics::did_you_mean;

/// Options of `birge new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The headline.
    title: String,
    /// The region's slug, from content/regions.yaml.
    #[arg(long, value_name = "SLUG")]
    region: Option<String>,
    /// The article's language, when not the site's default.
    #[arg(long, value_name = "LANG")]
    lang: Option<String>,
    /// Make an article bundle (`<slug>/index.md`), a folder for the article and its images.
    #[arg(long)]
    bundle: bool,
    /// Publish it with the next build instead of marking it `draft: true`.
    #[arg(long)]
    publish: bool,
}

/// Writes the article, prints its path on stdout and how to publish it on stderr.
pub fn run(root: &Path, args: NewArgs) -> anyhow::Result<()> {
    let config = Config::load(root)?;
    let lang = args.lang.clone().unwrap_or_else(|| config.language.clone());
    check_language(&config, &lang)?;
    let region = match &args.region {
        Some(region) => Some(region_slug(root, &config, region)?),
        None => None,
    };
    let slug = crate::slug::slugify(&args.title, &lang);
    if slug.is_empty() {
        return Err(usage(format!(
            "cannot make a URL slug from the title {:?}; use a title with letters or digits",
            args.title
        )));
    }
    let now = jiff::Timestamp::now().to_zoned_datetime(config.timezone.clone());
    let folder = format!("content/news/{}/{:02}", now.year(), now.month());
    let rel = if args.bundle {
        format!("{folder}/{slug}/index.md")
    } else {
        format!("{folder}/{slug}.md")
    };
    let root_of_tree = crate::routes::tree_root(&lang, &config.language);
    let url = crate::routes::article(&root_of_tree, now.year(), now.month(), &slug);
    check_url_is_free(root, &config, (&url, &slug), &rel)?;
    let article = NewArticle {
        title: &args.title,
        date: &now,
        slug: &slug,
        region: region.as_deref(),
        lang: (lang != config.language).then_some(lang.as_str()),
        draft: !args.publish,
    };
    crate::fs::write_new(&root.join(&rel), article.text().as_bytes())
        .with_context(|| format!("{rel} already exists; choose another title or edit that file"))?;
    println!("{rel}");
    eprintln!("{}", next_steps(&rel, args.publish, args.bundle));
    Ok(())
}

fn usage(message: String) -> anyhow::Error {
    anyhow::Error::new(super::UsageError(message))
}

/// Refuses a new article whose URL another article (a draft or a scheduled one included)
/// already has: the next build would fail on the two.
fn check_url_is_free(
    root: &Path,
    config: &Config,
    (url, slug): (&str, &str),
    rel: &str,
) -> anyhow::Result<()> {
    let candidates = crate::content::articles_that_may_have_slug(root, config, slug);
    let taken = candidates
        .iter()
        .find(|article| article.path == url && article.source != rel);
    match taken {
        Some(article) => bail!(
            "{} already has the URL {url}; give the new article another title, or edit that one",
            article.source
        ),
        None => Ok(()),
    }
}

/// What the editor does next, for stderr.
fn next_steps(rel: &str, published: bool, bundle: bool) -> String {
    let mut out = if published {
        format!("wrote {rel}; the next `birge build` publishes it")
    } else {
        format!(
            "wrote {rel} as a draft: `birge serve` previews it; to publish it, delete the line \
             `draft: true` and build"
        )
    };
    if bundle {
        out.push_str(
            "\nput its images in the same folder and name them in it, e.g. `image: photo.jpg`",
        );
    }
    out
}

fn check_language(config: &Config, lang: &str) -> anyhow::Result<()> {
    if config.languages.iter().any(|l| l == lang) {
        return Ok(());
    }
    let known = config.languages.join(", ");
    Err(usage(
        match did_you_mean(lang, config.languages.iter().map(String::as_str)).or_else(|| {
            crate::content::checks::meant_language(lang, &config.languages).map(String::as_str)
        }) {
            Some(close) => {
                format!(
                    "`{lang}` is not one of the site's languages ({known}): did you mean `{close}`?"
                )
            }
            None => format!("`{lang}` is not one of the site's languages ({known})"),
        },
    ))
}

/// The slug of the region `--region` names, read as front matter reads a region: its slug,
/// or a former slug (written as the current one); a name or a near miss is refused with the
/// slug meant.
fn region_slug(root: &Path, config: &Config, region: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(root.join(REGIONS_FILE)).unwrap_or_default();
    let known = regions::parse(&text, &config.language)?;
    let message = match crate::content::region_meant(&known, config, region) {
        Ok(slug) => {
            if slug != region {
                eprintln!(
                    "note: `{region}` is a former slug of `{slug}`; the article names `{slug}`"
                );
            }
            return Ok(slug);
        }
        Err(Some(slug)) => {
            let name = known
                .iter()
                .find(|r| r.slug == slug)
                .map_or(slug.as_str(), |r| {
                    r.name(&config.language, &config.language)
                });
            format!(
                "unknown region `{region}`: did you mean `--region {slug}` ({name})? Regions are \
                 named by their slugs in {REGIONS_FILE}"
            )
        }
        Err(None) => match did_you_mean(region, known.iter().map(|r| r.slug.as_str())) {
            Some(close) => format!(
                "unknown region `{region}`: did you mean `{close}`? Regions are defined in \
                 {REGIONS_FILE}"
            ),
            None => format!("unknown region `{region}`: regions are defined in {REGIONS_FILE}"),
        },
    };
    Err(usage(message))
}

/// The front matter `birge new` fills in.
struct NewArticle<'a> {
    title: &'a str,
    date: &'a jiff::ZonedDateTime,
    slug: &'a str,
    region: Option<&'a str>,
    lang: Option<&'a str>,
    draft: bool,
}

impl NewArticle<'_> {
    /// The text of the new file: front matter, then a body to write over.
    fn text(&self) -> String {
        let quoted = serde_json::to_string(self.title).unwrap_or_default();
        let mut out = format!("---\ntitle: {quoted}\n");
        out.push_str(&format!("date: {}\n", crate::dates::rfc3339(self.date)));
        out.push_str(&format!("slug: {}\n", self.slug));
        if let Some(region) = self.region {
            out.push_str(&format!("region: {region}\n"));
        }
        if let Some(lang) = self.lang {
            out.push_str(&format!("lang: {lang}\n"));
        }
        out.push_str("tags: []\nauthor: \"\"\n");
        if self.draft {
            out.push_str("draft: true\n");
        }
        out.push_str("---\n\nThe lead: who, what, where and when, in one or two sentences.\n\nThe rest of the story.\n");
        out
    }
}
