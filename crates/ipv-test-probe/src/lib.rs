//! Which of the services the workspace's tests start are installed on this machine
//! (PostgreSQL, Redis, headless Chromium with its WebDriver), found the one way both the
//! tests' launchers (`ipv-test-services`) and the build scripts look for them.
//!
//! A crate whose tests need a service calls [`declare`] from its `build.rs`; it sets the cfg
//! of each service that is installed ([`Service::cfg`]), and a test that needs one says:
//!
//! ```text
//! // needs: postgres
//! #[cfg_attr(not(ipv_postgres), ignore = "needs PostgreSQL: not installed (bash .ci/services)")]
//! #[test]
//! fn mirrors_into_postgres() { /* starts a throwaway server */ }
//! ```
//!
//! so `cargo test` on a machine without it reports the test as ignored, by name and with
//! the reason, and runs everything else. With `IPV_REQUIRE_SERVICES=1` in the build's
//! environment every cfg is set whatever is installed, so the tests run and fail when a
//! service is missing: `.ci/run` sets it, which makes them mandatory there.
//!
//! ```
//! use ipv_test_probe::Service;
//! assert_eq!(Service::Postgres.cfg(), "ipv_postgres");
//! // `installed` looks on PATH and in Debian's places; the answer depends on the machine.
//! let _ = Service::Redis.installed();
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

/// The environment variable that makes every service mandatory (see the crate docs).
pub const REQUIRE_ENV: &str = "IPV_REQUIRE_SERVICES";

/// A service the tests start for themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// PostgreSQL's `initdb` and `postgres` (Debian's `postgresql`).
    Postgres,
    /// `redis-server` (Debian's `redis-server`).
    Redis,
    /// `chromium` and `chromedriver` (Debian's `chromium` and `chromium-driver`).
    Chromium,
}

impl Service {
    /// Every service, in a fixed order.
    pub const ALL: [Service; 3] = [Service::Postgres, Service::Redis, Service::Chromium];

    /// The cfg a build script sets when the service is there: `ipv_postgres`,
    /// `ipv_redis`, `ipv_chromium`.
    #[must_use]
    pub const fn cfg(self) -> &'static str {
        match self {
            Self::Postgres => "ipv_postgres",
            Self::Redis => "ipv_redis",
            Self::Chromium => "ipv_chromium",
        }
    }

    /// What to install, for messages.
    #[must_use]
    pub const fn install_hint(self) -> &'static str {
        match self {
            Self::Postgres | Self::Redis => {
                "bash .ci/services installs PostgreSQL and Redis (Debian packages, as root)"
            }
            Self::Chromium => "apt-get install chromium chromium-driver (Debian packages)",
        }
    }

    /// Whether the service's programs are installed here.
    #[must_use]
    pub fn installed(self) -> bool {
        !self.programs().is_empty()
    }

    /// The service's programs as found here; empty when any of them is missing.
    #[must_use]
    pub fn programs(self) -> Vec<PathBuf> {
        match self {
            Self::Postgres => postgres_bin_dir()
                .map(|dir| vec![dir.join("initdb"), dir.join("postgres")])
                .unwrap_or_default(),
            Self::Redis => redis_server().into_iter().collect(),
            Self::Chromium => chromium()
                .map(|(browser, driver)| vec![browser, driver])
                .unwrap_or_default(),
        }
    }
}

/// The first file called `name` in the `extra` directories, then on PATH.
#[must_use]
pub fn find_binary(name: &str, extra: &[PathBuf]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    extra
        .iter()
        .cloned()
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Where `initdb` and `postgres` live: `IPV_PG_BIN`, Debian's newest
/// `/usr/lib/postgresql/<version>/bin`, or the directory of an `initdb` on PATH that also
/// holds `postgres` and `pg_isready`.
#[must_use]
pub fn postgres_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("IPV_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("postgres").is_file() && bin.join("initdb").is_file())
                .then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    find_binary("initdb", &[])
        .and_then(|initdb| initdb.parent().map(Path::to_path_buf))
        .filter(|dir| dir.join("postgres").is_file() && dir.join("pg_isready").is_file())
}

/// `redis-server` on PATH.
#[must_use]
pub fn redis_server() -> Option<PathBuf> {
    find_binary("redis-server", &[])
}

/// `chromium` and `chromedriver`: `IPV_CHROMIUM` and `IPV_CHROMEDRIVER` when set, else on
/// PATH.
#[must_use]
pub fn chromium() -> Option<(PathBuf, PathBuf)> {
    let named = |var: &str, name: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_file())
            .or_else(|| find_binary(name, &[]))
    };
    Some((
        named("IPV_CHROMIUM", "chromium")?,
        named("IPV_CHROMEDRIVER", "chromedriver")?,
    ))
}

/// For a `build.rs`: declares the cfgs of `services` and sets each one whose programs are
/// installed (or all of them under [`REQUIRE_ENV`]).
///
/// Cargo runs the script again when PATH or the variables above change, and when a
/// program it found goes away (hidden, removed). While a service is missing, the script
/// watches a file in `OUT_DIR` that is never made, so cargo runs it again on every build
/// and an install is noticed by the next `cargo test` (at the cost of rebuilding the crate
/// until then; a program's own modification time says nothing, as packages install theirs
/// with the packaging date).
pub fn declare(services: &[Service]) {
    for var in [
        REQUIRE_ENV,
        "PATH",
        "IPV_PG_BIN",
        "IPV_CHROMIUM",
        "IPV_CHROMEDRIVER",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let required = std::env::var_os(REQUIRE_ENV).is_some_and(|v| !v.is_empty() && v != "0");
    for service in Service::ALL {
        println!("cargo::rustc-check-cfg=cfg({})", service.cfg());
    }
    for &service in services {
        let programs = service.programs();
        for program in &programs {
            println!("cargo::rerun-if-changed={}", program.display());
        }
        if programs.is_empty() {
            let out_dir = std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .unwrap_or_default();
            let never_made = out_dir.join(format!("recheck-{}", service.cfg()));
            println!("cargo::rerun-if-changed={}", never_made.display());
        }
        if required || !programs.is_empty() {
            println!("cargo::rustc-cfg={}", service.cfg());
        } else {
            println!(
                "cargo::warning=tests that need {service:?} are ignored: it is not installed ({})",
                service.install_hint()
            );
        }
    }
}
