//! `birge check`: every problem of the site, without writing output.

use std::path::Path;

use clap::Args;

use crate::build::{BuildOptions, check};

/// Options of `birge check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check drafts too.
    #[arg(long)]
    drafts: bool,
    /// Check articles dated in the future too.
    #[arg(long)]
    future: bool,
}

/// Checks and reports.
pub fn run(root: &Path, args: CheckArgs) -> anyhow::Result<()> {
    let options = BuildOptions {
        root: root.to_path_buf(),
        drafts: args.drafts,
        future: args.future,
        ..BuildOptions::default()
    };
    let report = check(&options)?;
    println!("{}", report.summary());
    Ok(())
}
