//! The command line: parses arguments into options, runs one command, turns the outcome into
//! an exit code (0 success, 1 content/template/I/O errors, 2 usage errors).

mod build;
mod check;
mod init;
mod new;
mod polls;
mod serve;
mod theme;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::diagnostics::Problems;

/// birge: a static news-site generator for the bulletins of the Assembly of People of Kazakhstan.
#[derive(Debug, Parser)]
#[command(name = "birge", version, about, propagate_version = true)]
pub struct Cli {
    /// The site's folder (where site.yaml is).
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    pub root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Creates a new site: site.yaml, regions.yaml, one sample article and one poll.
    Init(init::InitArgs),
    /// Works with the built-in theme.
    Theme(theme::ThemeArgs),
    /// Writes a new article with filled-in front matter and prints its path.
    New(new::NewArgs),
    /// Builds the site into public/ (or --output).
    Build(build::BuildArgs),
    /// Checks all content, templates and internal links without writing output.
    Check(check::CheckArgs),
    /// Serves the site from memory, rebuilding and reloading on every save.
    Serve(serve::ServeArgs),
    /// The vote service and poll results.
    Polls(polls::PollsArgs),
}

/// Runs birge with the process's arguments; gives the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { 2 } else { 0 };
        }
    };
    match run(cli) {
        Ok(()) => 0,
        Err(error) => {
            report(&error);
            if error.downcast_ref::<UsageError>().is_some() {
                2
            } else {
                1
            }
        }
    }
}

/// A command called wrongly in a way only the site can tell (a flag naming a language or a
/// region the site does not have): reported like any error, with exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Runs one parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init(args) => init::run(&cli.root, args),
        Command::Theme(args) => theme::run(&cli.root, args),
        Command::New(args) => new::run(&cli.root, args),
        Command::Build(args) => build::run(&cli.root, args),
        Command::Check(args) => check::run(&cli.root, args),
        Command::Polls(args) => polls::run(&cli.root, args),
        Command::Serve(args) => serve::run(&cli.root, args),
    }
}

/// Prints an error for editors: content problems as a list, anything else as its cause chain.
fn report(error: &anyhow::Error) {
    if let Some(problems) = error.downcast_ref::<Problems>() {
        eprintln!("{problems}");
    } else {
        eprintln!("error: {error:#}");
    }
}
