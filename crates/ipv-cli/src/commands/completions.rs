//! `ipv completions SHELL`: a completion script generated from the command tree.

use clap_complete::Shell;

use crate::failure::CmdResult;

/// Writes the completion script for `shell` to stdout.
pub(crate) fn run(shell: Shell) -> CmdResult {
    let mut command = crate::cli::command();
    let mut stdout = std::io::stdout().lock();
    clap_complete::generate(shell, &mut command, "ipv", &mut stdout);
    Ok(())
}
