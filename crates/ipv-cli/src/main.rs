//! The `ipv` binary: everything lives in the `ipv_cli` library so it can be documented
//! and tested.

fn main() -> std::process::ExitCode {
    ipv_cli::run(std::env::args_os())
}
