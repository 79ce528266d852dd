//! One module per group of subcommands.

pub(crate) mod callbacks;
pub(crate) mod codec;
pub(crate) mod completions;
pub(crate) mod demo;
pub(crate) mod dry_run;
pub(crate) mod emulator;
pub(crate) mod endpoints;
pub(crate) mod raw;
pub(crate) mod reseller;
#[cfg(feature = "sync")]
pub(crate) mod sync;
