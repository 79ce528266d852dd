//! Prints the performance figures of `docs/performance.md` in one sitting: our codec and
//! raw AES-CBC timings, `openssl speed` run beside them, the vendor's Go SDK reference
//! figures for this CPU, and the ratios against the targets of issue 12, as a markdown
//! table, with the CPU model on every row.
//!
//! ```text
//! cargo run --release -p ipv-benches --bin figures            # about a minute
//! cargo run --release -p ipv-benches --bin figures -- --quick # a few seconds, rough
//! cargo run --release -p ipv-benches --bin figures -- --reference path/to/README.md
//! ```
//!
//! The Go figures differ by CPU, so they are read at run time from the reference table
//! of the fixtures README: by default `../shared/fixtures/README.md` beside the
//! repository, else the copy embedded in the `ipv-fixtures` crate. The row is picked
//! by the CPU model `/proc/cpuinfo` reports (the same text as `lscpu`'s "Model name"):
//! a row label such as `Intel Xeon with VAES/AVX-512 (2026-11-30)` matches when every
//! word before `with` is a word of the model name and every flag after it is in the
//! CPU's flags. When no row matches, the Go figures and their ratios are not printed:
//! dividing by another machine's reference says nothing.
//!
//! Each operation is timed by itself: a calibration run sizes batches (150 ms each), and
//! the median of 9 batches is reported. Two clocks are read: the wall clock, and this
//! thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`). On a shared machine other processes
//! inflate wall time (2-3x on 2 busy cores here) but not CPU time, so the ratios use
//! CPU time where the system gives it; openssl is then run without `-elapsed`, so that
//! it too divides by its CPU time. Without that clock both sides use the wall clock
//! (`openssl speed -elapsed`).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use ipv_api::codec;
use ipv_benches::{APP_KEY, REQUEST_SECRET, RESPONSE_SECRET, fixture};
use ipv_crypto::Key;
use ipv_types::{ApiCode, OpenInstancesRequest, Product};

/// The Go SDK's figures for one CPU, from a row of the fixtures README's table.
#[derive(Debug, Clone, PartialEq)]
struct GoReference {
    /// The row's label, as written (`AMD EPYC (2026-11-28)`).
    label: String,
    seal_2_params_us: f64,
    open_100_products_us: f64,
    seal_100_products_us: f64,
    /// The Go SDK's raw AES-CBC column, as written (for display only).
    raw: String,
}

/// A time cell such as `6.9 µs` or `2.45 ms`, in microseconds.
fn parse_time_us(cell: &str) -> Option<f64> {
    let cell = cell.trim();
    let (number, scale) = if let Some(n) = cell.strip_suffix("ms") {
        (n, 1000.0)
    } else if let Some(n) = cell.strip_suffix("µs").or_else(|| cell.strip_suffix("us")) {
        (n, 1.0)
    } else {
        return None;
    };
    number.trim().parse::<f64>().ok().map(|n| n * scale)
}

/// The rows of the reference table in the fixtures README: the table whose header
/// starts with `| CPU`, columns CPU, seal 2-param, open 100, seal 100, Go raw, openssl.
fn parse_references(readme: &str) -> Vec<GoReference> {
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in readme.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.first().is_some_and(|c| c.starts_with("CPU")) {
            in_table = true;
            continue;
        }
        if !in_table || cells.iter().all(|c| c.chars().all(|ch| "-: ".contains(ch))) {
            continue;
        }
        let [label, seal2, open100, seal100, raw, ..] = cells[..] else {
            continue;
        };
        if let (Some(seal2), Some(open100), Some(seal100)) = (
            parse_time_us(seal2),
            parse_time_us(open100),
            parse_time_us(seal100),
        ) {
            rows.push(GoReference {
                label: label.to_owned(),
                seal_2_params_us: seal2,
                open_100_products_us: open100,
                seal_100_products_us: seal100,
                raw: raw.to_owned(),
            });
        }
    }
    rows
}

/// The CPU this runs on: its model name and flags, from `/proc/cpuinfo`.
#[derive(Debug, Clone, Default)]
struct Cpu {
    model: String,
    flags: Vec<String>,
}

impl Cpu {
    fn from_cpuinfo(text: &str) -> Self {
        let field = |name: &str| {
            text.lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim() == name)
                .map(|(_, v)| v.trim().to_owned())
        };
        Self {
            model: field("model name").unwrap_or_default(),
            flags: field("flags")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        }
    }

    fn detect() -> Self {
        std::fs::read_to_string("/proc/cpuinfo")
            .map(|t| Self::from_cpuinfo(&t))
            .unwrap_or_default()
    }

    fn shown(&self) -> &str {
        if self.model.is_empty() {
            "unknown CPU"
        } else {
            &self.model
        }
    }
}

/// Lower-case words of a CPU name, without trademarks: `Intel(R) Xeon(R)` -> intel, xeon.
fn words(text: &str) -> Vec<String> {
    text.replace("(R)", " ")
        .replace("(TM)", " ")
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Whether a row label (`Intel Xeon with VAES/AVX-512 (2026-11-30)`) describes `cpu`:
/// its name words are all in the model name, its flags all in the CPU's flags
/// (`AVX-512` stands for any `avx512*` flag).
fn label_matches(label: &str, cpu: &Cpu) -> bool {
    // The date in parentheses says when the row was measured, not which CPU.
    let label = label.split(" (").next().unwrap_or(label);
    let (name, flags) = match label.split_once(" with ") {
        Some((name, flags)) => (name, Some(flags)),
        None => (label, None),
    };
    let model = words(&cpu.model);
    let name = words(name);
    if name.is_empty() || !name.iter().all(|w| model.contains(w)) {
        return false;
    }
    flags.is_none_or(|flags| {
        flags.split('/').all(|flag| {
            let flag: String = flag
                .trim()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            cpu.flags.iter().any(|f| f.starts_with(&flag))
        })
    })
}

/// The most specific row (most name words) that matches `cpu`, if any.
fn reference_for<'a>(rows: &'a [GoReference], cpu: &Cpu) -> Option<&'a GoReference> {
    rows.iter()
        .filter(|r| label_matches(&r.label, cpu))
        .max_by_key(|r| r.label.len())
}

/// Where the reference table is read from: `--reference <path>`, else the shared
/// fixtures beside the repository, else `None`: the copy embedded in `ipv-fixtures`.
fn reference_path() -> Option<PathBuf> {
    let mut args = std::env::args().skip_while(|a| a != "--reference").skip(1);
    if let Some(path) = args.next() {
        return Some(PathBuf::from(path));
    }
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/README.md");
    shared.exists().then_some(shared)
}

/// The payload size of the raw cipher figures (`openssl speed -bytes 16384`).
const AES_LEN: usize = 16 * 1024;

struct Settings {
    batch: Duration,
    batches: usize,
    openssl_seconds: u32,
}

/// Nanoseconds this thread has spent on a CPU (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`),
/// or `None` where there is no such clock.
///
/// Not `/proc/thread-self/schedstat`: on the VMs these figures come from, its run time
/// moves only on the 4 ms scheduler tick (read back to back it steps by 4,000,000 ns),
/// which put up to ±3% into a 150 ms batch. The clock reads the run time to the
/// nanosecond.
#[cfg(unix)]
fn thread_cpu_ns() -> Option<u64> {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    let secs = u64::try_from(now.tv_sec).ok()?;
    let nanos = u64::try_from(now.tv_nsec).ok()?;
    Some(secs * 1_000_000_000 + nanos)
}

/// Nanoseconds this thread has spent on a CPU: no such clock here.
#[cfg(not(unix))]
fn thread_cpu_ns() -> Option<u64> {
    None
}

/// One operation's median time per call, by the wall clock and by this thread's CPU
/// time (which other processes on a shared machine do not inflate).
#[derive(Clone, Copy)]
struct Timing {
    wall: Duration,
    cpu: Option<Duration>,
}

impl Timing {
    /// The figure the ratios use: CPU time where known, else wall time.
    fn best(self) -> Duration {
        self.cpu.unwrap_or(self.wall)
    }

    /// This timing less `part` (work timed alone that each call of this one also did),
    /// clock by clock; `None` when `part` is not clearly smaller, so that no figure is
    /// made out of noise, or when the two were not read on the same clocks.
    fn without(self, part: Self) -> Option<Self> {
        let less = |whole: Duration, part: Duration| {
            (part < whole.mul_f64(0.9)).then(|| whole.saturating_sub(part))
        };
        Some(Self {
            wall: less(self.wall, part.wall)?,
            cpu: match (self.cpu, part.cpu) {
                (Some(whole), Some(part)) => Some(less(whole, part)?),
                (None, None) => None,
                _ => return None,
            },
        })
    }
}

/// Median time of one call of `op`, over `settings.batches` batches.
fn time_op<R>(settings: &Settings, mut op: impl FnMut() -> R) -> Timing {
    // Calibrate: how many calls fill a batch.
    let start = Instant::now();
    let mut calls = 0u32;
    while start.elapsed() < settings.batch / 4 || calls < 3 {
        black_box(op());
        calls += 1;
    }
    let per_call = start.elapsed() / calls;
    let per_batch = u32::try_from(settings.batch.as_nanos() / per_call.as_nanos().max(1))
        .unwrap_or(u32::MAX)
        .max(1);
    let mut walls = Vec::with_capacity(settings.batches);
    let mut cpus = Vec::with_capacity(settings.batches);
    for _ in 0..settings.batches {
        let cpu_start = thread_cpu_ns();
        let start = Instant::now();
        for _ in 0..per_batch {
            black_box(op());
        }
        walls.push(start.elapsed() / per_batch);
        if let (Some(a), Some(b)) = (cpu_start, thread_cpu_ns()) {
            cpus.push(Duration::from_nanos(b.saturating_sub(a)) / per_batch);
        }
    }
    walls.sort();
    cpus.sort();
    Timing {
        wall: walls[walls.len() / 2],
        cpu: (cpus.len() == walls.len()).then(|| cpus[cpus.len() / 2]),
    }
}

/// A duration in microseconds.
fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// MB/s (10^6 bytes per second) for `bytes` done in `took`.
fn mbps(bytes: usize, took: Duration) -> f64 {
    // 16 KiB in f64 is exact.
    #[allow(clippy::cast_precision_loss)]
    let bytes = bytes as f64;
    bytes / took.as_secs_f64() / 1e6
}

/// openssl's MB/s for one cipher and direction, or `None` when openssl is missing or its
/// output cannot be read. With `elapsed` openssl divides by wall-clock time, without it
/// by its user CPU time (matching our figure of each kind).
fn openssl_mbps(cipher: &str, decrypt: bool, seconds: u32, elapsed: bool) -> Option<f64> {
    let mut cmd = Command::new("openssl");
    cmd.arg("speed");
    if elapsed {
        cmd.arg("-elapsed");
    }
    cmd.args(["-evp", cipher]);
    if decrypt {
        cmd.arg("-decrypt");
    }
    cmd.args(["-bytes", "16384", "-seconds", &seconds.to_string()]);
    let output = cmd.output().ok()?;
    if !output.status.success() {
        return None;
    }
    // The result line is "AES-128-CBC   1234567.89k" (thousands of bytes per second).
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.to_ascii_lowercase().starts_with(cipher))?;
    let kbps: f64 = line
        .split_whitespace()
        .last()?
        .trim_end_matches('k')
        .parse()
        .ok()?;
    Some(kbps * 1000.0 / 1e6)
}

/// One ratio against its goal.
struct Check {
    /// What was divided by what (`Go / ours, CPU time`).
    of: &'static str,
    ratio: f64,
    target: f64,
}

impl Check {
    fn passed(&self) -> bool {
        self.ratio >= self.target
    }
}

struct Row {
    what: String,
    ours: String,
    openssl: String,
    go: String,
    /// Empty when there is nothing to divide by (no reference row, no openssl).
    checks: Vec<Check>,
}

impl Row {
    /// `None` when the row has no ratio to judge.
    fn passed(&self) -> Option<bool> {
        (!self.checks.is_empty()).then(|| self.checks.iter().all(Check::passed))
    }
}

/// `us` microseconds, in µs or ms.
fn show_us(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.3} ms", us / 1000.0)
    } else {
        format!("{us:.2} µs")
    }
}

/// A codec row. The ratio is the Go SDK's time over ours, by CPU time (wall time where
/// the kernel gives no CPU time), and also by wall time when `wall_too`; no ratio at all
/// without a reference for this CPU.
fn codec_row(what: &str, ours: Timing, go_us: Option<f64>, target: f64, wall_too: bool) -> Row {
    let us = micros(ours.best());
    let wall_us = micros(ours.wall);
    let mut checks = Vec::new();
    if let Some(go_us) = go_us {
        checks.push(Check {
            of: if ours.cpu.is_some() {
                "Go / ours, CPU time"
            } else {
                "Go / ours, wall time"
            },
            ratio: go_us / us,
            target,
        });
        if wall_too && ours.cpu.is_some() {
            checks.push(Check {
                of: "Go / ours, wall time",
                ratio: go_us / wall_us,
                target,
            });
        }
    }
    Row {
        what: what.to_owned(),
        ours: format!("{} (wall {})", show_us(us), show_us(wall_us)),
        openssl: "—".to_owned(),
        go: go_us.map_or_else(|| "no reference for this CPU".to_owned(), show_us),
        checks,
    }
}

/// The settings for `--quick` (a few seconds, rough) or the full run.
fn settings(quick: bool) -> Settings {
    if quick {
        Settings {
            batch: Duration::from_millis(30),
            batches: 3,
            openssl_seconds: 1,
        }
    } else {
        Settings {
            batch: Duration::from_millis(150),
            batches: 9,
            openssl_seconds: 2,
        }
    }
}

/// The Go SDK's reference rows, read from the fixtures README (none if it is missing),
/// and where they were read from.
fn read_references() -> (String, Vec<GoReference>) {
    let Some(path) = reference_path() else {
        return (
            "the fixtures README embedded in ipv-fixtures".to_owned(),
            parse_references(ipv_fixtures::README),
        );
    };
    let name = path.display().to_string();
    let references = match std::fs::read_to_string(&path) {
        Ok(text) => parse_references(&text),
        Err(e) => {
            eprintln!("cannot read {name}: {e}");
            Vec::new()
        }
    };
    (name, references)
}

/// Says which reference row (if any) the Go ratios use.
fn print_reference(go: Option<&GoReference>, rows: usize, file: &str) {
    match go {
        Some(row) => println!("Go SDK reference: the row \"{}\" of {}", row.label, file),
        None => println!(
            "Go SDK reference: none of the {rows} rows of {} is for this CPU; no Go ratios are \
             printed (another machine's figures would say nothing about this one)",
            file
        ),
    }
    println!();
}

/// The codec rows, on the shared fixtures.
fn codec_rows(
    settings: &Settings,
    go: Option<&GoReference>,
    key128: &Key,
    key256: &Key,
) -> Vec<Row> {
    let mut rows = Vec::new();
    let request: OpenInstancesRequest =
        serde_json::from_slice(&fixture("open-request-2-params.json")).expect("fixture");
    let seal2 = time_op(settings, || {
        codec::seal_request(
            key128,
            APP_KEY,
            black_box("reqId_1732780800000000001"),
            Some(black_box(&request)),
        )
        .expect("seals")
    });
    rows.push(codec_row(
        "seal: 2-param open request (AES-128)",
        seal2,
        go.map(|g| g.seal_2_params_us),
        5.0,
        false,
    ));
    let envelope = fixture("response-products-100.aes256.json");
    let open100 = time_op(settings, || {
        codec::open_response::<Vec<Product>>(key256, black_box(&envelope)).expect("opens")
    });
    rows.push(codec_row(
        "open: 100-product response into Vec<Product> (AES-256)",
        open100,
        go.map(|g| g.open_100_products_us),
        6.0,
        false,
    ));
    let products: Vec<Product> =
        serde_json::from_slice(&fixture("products-100.json")).expect("fixture");
    let seal100 = time_op(settings, || {
        codec::seal_response(key256, "r", ApiCode::Ok, "ok", Some(black_box(&products)))
            .expect("seals")
    });
    rows.push(codec_row(
        "seal: 100 products as a response (AES-256)",
        seal100,
        go.map(|g| g.seal_100_products_us),
        3.5,
        true,
    ));
    rows
}

/// Raw AES-CBC on 16 KiB, in a reused buffer, for one key. Each call first restores its
/// input (the cipher works in place; `openssl speed` instead runs over its buffer again
/// without restoring it). That copy is timed alone in the same sitting and taken out, so
/// the ratio compares the cipher with the cipher; the figure with the copy in is printed
/// beside it. At 12 GB/s a 16 KiB copy is a fifth of a decrypt, so it matters.
fn aes_rows(settings: &Settings, go: Option<&GoReference>, bits: u32, key: &Key) -> Vec<Row> {
    let plaintext: Vec<u8> = (0..AES_LEN).map(|i| (i * 31 % 251) as u8).collect();
    let cipher = format!("aes-{bits}-cbc");
    let mut buf = Vec::with_capacity(Key::ciphertext_len(AES_LEN));
    let ciphertext = key.encrypt(&plaintext);
    let encrypt = time_op(settings, || {
        buf.clear();
        buf.extend_from_slice(&plaintext);
        key.encrypt_in_place(black_box(&mut buf));
        buf.len()
    });
    let decrypt = time_op(settings, || {
        buf.clear();
        buf.extend_from_slice(&ciphertext);
        key.decrypt_in_place(black_box(&mut buf)).expect("decrypts");
        buf.len()
    });
    // The restore alone, of the larger input (the ciphertext): an upper bound on what
    // each call above spent copying.
    let copy = time_op(settings, || {
        buf.clear();
        buf.extend_from_slice(black_box(&ciphertext));
        buf.len()
    });
    let mut rows = Vec::new();
    for (direction, took, target, is_decrypt) in [
        ("encrypt", encrypt, 0.9, false),
        ("decrypt", decrypt, 0.7, true),
    ] {
        let cipher_only = took.without(copy);
        let ours = cipher_only.map(|t| mbps(AES_LEN, t.best()));
        let with_copy = mbps(AES_LEN, took.best());
        let openssl = openssl_mbps(
            &cipher,
            is_decrypt,
            settings.openssl_seconds,
            took.cpu.is_none(),
        );
        rows.push(Row {
            what: format!("raw AES-{bits}-CBC {direction}, 16 KiB (cbc crate)"),
            ours: match ours {
                Some(ours) => format!(
                    "{ours:.0} MB/s ({with_copy:.0} with the {:.2} µs restore copy)",
                    micros(copy.best())
                ),
                None => {
                    format!("{with_copy:.0} MB/s with the restore copy (copy not separable)")
                }
            },
            openssl: openssl.map_or_else(|| "n/a".to_owned(), |m| format!("{m:.0} MB/s")),
            go: go.map_or_else(
                || "no reference for this CPU".to_owned(),
                |g| format!("Go raw column: {}", g.raw),
            ),
            checks: openssl
                .zip(ours)
                .map(|(m, ours)| Check {
                    of: if took.cpu.is_some() {
                        "ours / openssl, CPU time, copy out"
                    } else {
                        "ours / openssl, wall time, copy out"
                    },
                    ratio: ours / m,
                    target,
                })
                .into_iter()
                .collect(),
        });
    }
    rows
}

/// Prints the table, one row per figure with the CPU model on each.
fn print_table(cpu: &Cpu, rows: &[Row]) {
    println!("| CPU | operation | ours | openssl | Go SDK (ref.) | ratio | target | result |");
    println!("|---|---|---:|---:|---:|---:|---:|---|");
    for row in rows {
        let ratios = if row.checks.is_empty() {
            "—".to_owned()
        } else {
            row.checks
                .iter()
                .map(|c| format!("{:.2}x ({})", c.ratio, c.of))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let target = row
            .checks
            .first()
            .map_or_else(|| "—".to_owned(), |c| format!(">= {}x", c.target));
        let result = match row.passed() {
            Some(true) => "pass",
            Some(false) => "FAIL",
            None => "not judged",
        };
        println!(
            "| {} | {} | {} | {} | {} | {ratios} | {target} | {result} |",
            cpu.shown(),
            row.what,
            row.ours,
            row.openssl,
            row.go,
        );
    }
}

fn main() -> ExitCode {
    let quick = std::env::args().any(|a| a == "--quick");
    let strict = std::env::args().any(|a| a == "--strict");
    let settings = settings(quick);

    let cpu = Cpu::detect();
    let (reference_file, references) = read_references();
    let go = reference_for(&references, &cpu);
    println!("CPU: {}", cpu.shown());
    print_reference(go, references.len(), &reference_file);

    let key128 = Key::new(REQUEST_SECRET).expect("fixture key");
    let key256 = Key::new(RESPONSE_SECRET).expect("fixture key");
    let mut rows = codec_rows(&settings, go, &key128, &key256);
    rows.extend(aes_rows(&settings, go, 128, &key128));
    rows.extend(aes_rows(&settings, go, 256, &key256));
    print_table(&cpu, &rows);

    let judged = rows.iter().filter(|r| r.passed().is_some()).count();
    let failed = rows.iter().filter(|r| r.passed() == Some(false)).count();
    println!();
    println!(
        "{} of {judged} judged targets met on {} ({} mode; {} rows not judged)",
        judged - failed,
        cpu.shown(),
        if quick { "quick" } else { "full" },
        rows.len() - judged,
    );
    if strict && (failed > 0 || judged < rows.len()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_timed_alone_is_taken_out_clock_by_clock_or_not_at_all() {
        let t = |wall: u64, cpu: Option<u64>| Timing {
            wall: Duration::from_nanos(wall),
            cpu: cpu.map(Duration::from_nanos),
        };
        let less = t(1_000, Some(900))
            .without(t(200, Some(100)))
            .expect("separable");
        assert_eq!(less.wall, Duration::from_nanos(800));
        assert_eq!(less.cpu, Some(Duration::from_nanos(800)));
        // A part as large as (or within 10% of) the whole is noise, not a figure.
        assert!(t(1_000, Some(900)).without(t(950, Some(100))).is_none());
        assert!(t(1_000, Some(900)).without(t(100, Some(900))).is_none());
        // Without CPU time on both sides, only the wall clock is taken out; on one side
        // only, the two cannot be set against each other.
        assert!(t(1_000, None).without(t(300, Some(10))).is_none());
        assert!(t(1_000, Some(900)).without(t(300, None)).is_none());
        let wall_only = t(1_000, None).without(t(300, None)).expect("separable");
        assert_eq!(
            (wall_only.wall, wall_only.cpu),
            (Duration::from_nanos(700), None)
        );
    }

    const README: &str = "\
Intro text.

| CPU (lscpu model) | seal 2-param request | open 100-product response | seal 100 products | raw Go | openssl |
|---|---:|---:|---:|---|---|
| AMD EPYC (2026-11-28) | 6.9 µs | 2.45 ms | 0.81 ms | 468 / 739; 404 / - MB/s | 1.5 GB/s |
| Intel Xeon with VAES/AVX-512 (2026-11-30) | 4.29 µs | 1.89 ms | 0.64 ms | 709 / 1080; 626 / 974 MB/s | 1.74 GB/s |

| other | table |
|---|---|
| 1 µs | 2 ms |
";

    fn cpu(model: &str, flags: &str) -> Cpu {
        Cpu::from_cpuinfo(&format!(
            "processor\t: 0\nmodel name\t: {model}\nflags\t\t: {flags}\n\nprocessor\t: 1\n"
        ))
    }

    #[test]
    fn the_reference_table_is_read_row_by_row() {
        let rows = parse_references(README);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].label, "AMD EPYC (2026-11-28)");
        assert!((rows[0].seal_2_params_us - 6.9).abs() < 1e-9);
        assert!((rows[0].open_100_products_us - 2450.0).abs() < 1e-9);
        assert!((rows[1].seal_100_products_us - 640.0).abs() < 1e-9);
        assert_eq!(rows[1].raw, "709 / 1080; 626 / 974 MB/s");
    }

    #[test]
    fn each_cpu_gets_its_own_row_or_none() {
        let rows = parse_references(README);
        let amd = cpu("AMD EPYC", "fpu aes avx2 avx512f vaes");
        assert_eq!(reference_for(&rows, &amd).unwrap().label, rows[0].label);
        let xeon = cpu(
            "Intel(R) Xeon(R) Platinum 8488C",
            "fpu aes avx2 avx512f avx512bw vaes",
        );
        assert_eq!(reference_for(&rows, &xeon).unwrap().label, rows[1].label);
        // A Xeon without VAES is not the measured machine.
        let old_xeon = cpu("Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", "fpu aes avx2");
        assert!(reference_for(&rows, &old_xeon).is_none());
        // Neither is another vendor's CPU, nor an unknown one.
        let arm = cpu("Neoverse-N1", "fp asimd aes");
        assert!(reference_for(&rows, &arm).is_none());
        assert!(reference_for(&rows, &Cpu::default()).is_none());
    }

    #[test]
    fn without_a_reference_no_codec_ratio_is_computed() {
        let timing = Timing {
            wall: Duration::from_micros(2),
            cpu: Some(Duration::from_micros(1)),
        };
        let row = codec_row("seal", timing, None, 5.0, true);
        assert!(row.checks.is_empty());
        assert_eq!(row.passed(), None);
        let row = codec_row("seal", timing, Some(6.0), 5.0, true);
        assert_eq!(row.checks.len(), 2, "CPU and wall time");
        assert!((row.checks[0].ratio - 6.0).abs() < 1e-9);
        assert!((row.checks[1].ratio - 3.0).abs() < 1e-9);
        assert_eq!(row.passed(), Some(false), "the wall-time ratio misses 5x");
    }

    #[test]
    fn time_cells_are_read_in_their_unit() {
        assert_eq!(parse_time_us("6.9 µs"), Some(6.9));
        assert_eq!(parse_time_us("0.5 ms"), Some(500.0));
        assert_eq!(parse_time_us("fast"), None);
    }
}
