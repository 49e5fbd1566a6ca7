//! The `imagelock` binary: everything lives in the library; this only maps its result to an exit code.

/// Parsing allocates many small strings and frees them all at once: mimalloc does both faster than
/// the system allocator and returns memory sooner (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    imagelock::cli::main()
}
