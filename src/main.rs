//! The `birge` binary: parses arguments, runs the command, turns its outcome into an exit code.

fn main() {
    std::process::exit(birge::cli::main());
}
