//! `birge theme eject`: writes the built-in theme out for editing.

use std::path::Path;

use clap::{Args, Subcommand};

/// `birge theme` and its actions.
#[derive(Debug, Args)]
pub struct ThemeArgs {
    #[command(subcommand)]
    action: ThemeAction,
}

#[derive(Debug, Subcommand)]
enum ThemeAction {
    /// Writes the built-in theme to themes/birge/ for editing.
    Eject,
}

/// Runs the theme action.
pub fn run(root: &Path, args: ThemeArgs) -> anyhow::Result<()> {
    match args.action {
        ThemeAction::Eject => {
            let path = crate::theme::eject(root)?;
            println!("wrote the built-in theme to {}", path.display());
            Ok(())
        }
    }
}
