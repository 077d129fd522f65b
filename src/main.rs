//! The `birge` binary: parses arguments, runs the command, turns its outcome into an exit code.

/// mimalloc: templates allocate and free many small values on every thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Long-running servers give memory back to the system; one-shot commands keep it.
    if !std::env::args().any(|arg| arg == "serve") {
        keep_freed_memory();
    }
    std::process::exit(birge::cli::main());
}

/// Tells mimalloc never to hand freed memory back to the system. A build frees at one stage
/// much of what it allocated at the one before (the build cache's bytes once decoded, the
/// model once rendered) and allocates as much again at the next: memory given back after
/// mimalloc's delay comes back one page fault per 4 KiB page, a tenth of the CPU time of a
/// one-edit build of a 100k-article site.
fn keep_freed_memory() {
    // `mi_option_purge_delay` in mimalloc's `mi_option_e` (whose order mimalloc keeps: options
    // it drops stay as deprecated placeholders); -1 means never.
    const PURGE_DELAY: std::ffi::c_int = 15;
    unsafe extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    // SAFETY: mimalloc's own function, linked in with the allocator; it only stores a number.
    unsafe { mi_option_set(PURGE_DELAY, -1) };
}
