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
}

/// Writes the article and prints its path.
pub fn run(root: &Path, args: NewArgs) -> anyhow::Result<()> {
    let config = Config::load(root)?;
    let lang = args.lang.unwrap_or_else(|| config.language.clone());
    if !config.languages.contains(&lang) {
        bail!(
            "`{lang}` is not one of the site's languages ({})",
            config.languages.join(", ")
        );
    }
    if let Some(region) = &args.region {
        check_region(root, &config, region)?;
    }
    let slug = crate::slug::slugify(&args.title, &lang);
    if slug.is_empty() {
        bail!(
            "cannot make a URL slug from the title {:?}; use a title with letters or digits",
            args.title
        );
    }
    let now = jiff::Timestamp::now().to_zoned_datetime(config.timezone.clone());
    let rel = format!("content/news/{}/{:02}/{slug}.md", now.year(), now.month());
    let text = front_matter(
        &args.title,
        &now,
        args.region.as_deref(),
        (lang != config.language).then_some(lang.as_str()),
    );
    crate::fs::write_new(&root.join(&rel), text.as_bytes())
        .with_context(|| format!("{rel} already exists; choose another title or edit that file"))?;
    println!("{rel}");
    Ok(())
}

fn check_region(root: &Path, config: &Config, region: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(root.join(REGIONS_FILE)).unwrap_or_default();
    let known = regions::parse(&text, &config.language)?;
    if known.iter().any(|r| r.slug == region) {
        return Ok(());
    }
    match did_you_mean(region, known.iter().map(|r| r.slug.as_str())) {
        Some(close) => bail!(
            "unknown region `{region}`: did you mean `{close}`? Regions are defined in {REGIONS_FILE}"
        ),
        None => bail!("unknown region `{region}`: regions are defined in {REGIONS_FILE}"),
    }
}

/// The text of a new article.
fn front_matter(
    title: &str,
    now: &jiff::ZonedDateTime,
    region: Option<&str>,
    lang: Option<&str>,
) -> String {
    let mut out = String::from("---\n");
    out.push_str(&format!(
        "title: {}\n",
        serde_json::to_string(title).unwrap_or_default()
    ));
    out.push_str(&format!("date: {}\n", crate::dates::rfc3339(now)));
    if let Some(region) = region {
        out.push_str(&format!("region: {region}\n"));
    }
    if let Some(lang) = lang {
        out.push_str(&format!("lang: {lang}\n"));
    }
    out.push_str("tags: []\nauthor: \"\"\n---\n\nThe lead: who, what, where and when, in one or two sentences.\n\nThe rest of the story.\n");
    out
}
