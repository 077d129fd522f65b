//! `birge serve`: the development server.

use std::path::Path;

use clap::Args;

use crate::serve::{ServeOptions, run as serve};

/// Options of `birge serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on; 0.0.0.0 lets other machines on the network open the preview.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    bind: String,
    /// The port to listen on (0 picks a free one).
    #[arg(long, short, default_value_t = 1111, value_name = "N")]
    port: u16,
    /// Leave out articles and pages marked `draft: true` (they are previewed by default).
    #[arg(long, overrides_with = "drafts")]
    no_drafts: bool,
    /// Preview drafts: the default, accepted for older scripts.
    #[arg(long, hide = true, overrides_with = "no_drafts")]
    drafts: bool,
    /// Include articles dated in the future (otherwise each appears when its time comes).
    #[arg(long)]
    future: bool,
    /// Open the site in a browser.
    #[arg(long)]
    open: bool,
}

/// Serves until stopped.
pub fn run(root: &Path, args: ServeArgs) -> anyhow::Result<()> {
    serve(ServeOptions {
        root: root.to_path_buf(),
        bind: args.bind,
        port: args.port,
        drafts: !args.no_drafts,
        future: args.future,
        open: args.open,
    })
}
