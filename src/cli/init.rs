//! `birge init`: a new site with settings, regions, one sample article and one poll.

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;

/// Options of `birge init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder of the new site (default: --root, else the current folder).
    dir: Option<PathBuf>,
}

const REGIONS: &str = include_str!("../../content/regions.yaml");
const POLL: &str = include_str!("../../content/polls/mothers-forum.yaml");

/// Writes the new site's files, refusing to touch an existing site.
pub fn run(root: &Path, args: InitArgs) -> anyhow::Result<()> {
    let dir = args.dir.unwrap_or_else(|| root.to_path_buf());
    if dir.join("site.yaml").exists() {
        bail!(
            "{} already has a site.yaml; birge init only creates new sites",
            dir.display()
        );
    }
    let today = jiff::ZonedDateTime::now()
        .with_time_zone(crate::dates::parse_timezone("Asia/Almaty").expect("known zone"));
    let article = format!(
        "---\ntitle: Welcome to the bulletin\ndate: {}\nregion: astana\ntags: [announcements]\npoll: mothers-forum\n---\n\nThis is the first news item of the bulletin. Edit it, or write another with `birge new \"Title\" --region atyrau`.\n\nPreview the site with `birge serve` and open the address it prints: every save shows up at once. When it looks right, `birge build` writes the site into `public/`, ready to copy to your web server.\n",
        today.date()
    );
    let files: [(&str, &str); 4] = [
        ("site.yaml", SITE),
        ("content/regions.yaml", REGIONS),
        ("content/polls/mothers-forum.yaml", POLL),
        (
            &format!("content/news/{}/welcome.md", today.year()),
            &article,
        ),
    ];
    for (rel, text) in files {
        crate::fs::write_new(&dir.join(rel), text.as_bytes())?;
    }
    std::fs::write(
        dir.join(".gitignore"),
        "/public/\n/.birge-build-*\n/.birge-old-*\n/.birge-cache/\n/polls.sqlite*\n",
    )?;
    println!("created a new site in {}", dir.display());
    println!(
        "next: cd {} && birge serve   (preview it while you write; `birge new \"Title\"` starts an article, `birge build` publishes into public/)",
        dir.display()
    );
    Ok(())
}

const SITE: &str = "title:
  en: Assembly of People of Kazakhstan
  kk: Қазақстан халқы Ассамблеясы
  ru: Ассамблея народа Казахстана
base_url: https://assembly.example.kz
language: en
languages: [en, kk, ru]
timezone: Asia/Almaty
theme: birge
paginate: 20
polls:
  featured: mothers-forum
  database: polls.sqlite
  endpoint: /api/
publisher:
  logo: /logo.png
";
