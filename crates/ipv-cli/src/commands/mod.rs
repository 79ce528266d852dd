//! One module per group of subcommands.

pub(crate) mod codec;
pub(crate) mod completions;
