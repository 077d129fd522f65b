//! `birge build`: builds the site and prints the summary line.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::build::{BuildOptions, build};

/// Options of `birge build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Where to write the site (default: public/ in the site's folder).
    #[arg(long, short, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Include articles and pages marked `draft: true`.
    #[arg(long)]
    drafts: bool,
    /// Include articles dated in the future.
    #[arg(long)]
    future: bool,
    /// Use this base URL instead of site.yaml's `base_url`.
    #[arg(long, value_name = "URL", value_parser = base_url)]
    base_url: Option<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Build everything without the build cache (.birge-cache/), and keep none.
    #[arg(long)]
    no_cache: bool,
}

/// `--base-url` as site.yaml's `base_url` is checked: a usage error when it is no web address.
fn base_url(url: &str) -> Result<String, String> {
    match crate::config::base_url_rule_broken(url) {
        Some(rule) => Err(format!(
            "a base URL {rule}, e.g. `--base-url https://assembly.example.kz`"
        )),
        None => Ok(url.to_string()),
    }
}

/// Builds and reports.
pub fn run(root: &Path, args: BuildArgs) -> anyhow::Result<()> {
    let options = BuildOptions {
        root: root.to_path_buf(),
        output: args.output,
        drafts: args.drafts,
        future: args.future,
        base_url: args.base_url,
        progress: !args.quiet,
        now: None,
        cache: !args.no_cache,
        image_cache: !args.no_cache,
    };
    let mut report = build(&options)?;
    if !args.quiet {
        println!("{}", report.summary());
    }
    report.cleanup()
}
