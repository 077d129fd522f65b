//! The `birge` binary: parses arguments, runs the command, turns its outcome into an exit code.

/// mimalloc: templates allocate and free many small values on every thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(birge::cli::main());
}
