//! A bounded, seeded mutation fuzzer for the parsers' tests: inputs made by
//! mutating a seed corpus (bit flips, interesting integers at any offset
//! and width, byte runs inserted, deleted, duplicated or spliced from
//! another seed, truncation), each fed to a target that must return (`Ok`
//! or a clean error are both fine) without panicking or hanging.
//!
//! Input `i` of a campaign is a pure function of the campaign's seed and
//! `i` ([`Campaign::input`]), so a crash is reproduced from its index alone
//! and a child process that dies (a C library's segfault) can be named by
//! the index it was at: campaigns run in child processes
//! ([`Campaign::supervise`]), so an abort or a segfault is a finding too,
//! and so is a hang (the child is killed). A failing input is written to
//! `$PLEXUS_FUZZ_CRASHES` (default `$TMPDIR/plexus-fuzz-crashes`) to be
//! turned into a regression test.
//!
//! The number of executions per campaign is `PLEXUS_FUZZ_EXECS`, else the
//! caller's default (small enough for every `cargo test`); a longer
//! campaign is the same test with a larger count, and another
//! `PLEXUS_FUZZ_SEED`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// An input taking longer than this is a hang.
pub const HANG: Duration = Duration::from_secs(20);

/// splitmix64: small, seedable, good enough to choose mutations.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Integers that parsers get wrong: zero, one, the edges of each width.
const INTERESTING: &[u64] = &[
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX,
];

/// A campaign's target: reads one input, returns whether it refused it
/// (a clean error); must neither panic nor hang.
pub type Target = Box<dyn Fn(&[u8]) -> bool>;

/// One campaign: a named target, its seeds, and how many inputs.
pub struct Campaign {
    /// Names the campaign in messages and crash files.
    pub name: String,
    /// The seed corpus (each non-empty).
    pub seeds: Vec<Vec<u8>>,
    /// Seed of the campaign's generator.
    pub seed: u64,
    /// Inputs to try.
    pub execs: usize,
}

/// What a campaign found.
#[derive(Debug, Default)]
pub struct Findings {
    /// Inputs tried (seeds included).
    pub inputs: usize,
    /// Inputs the target returned `Err` for (clean refusals).
    pub refused: usize,
    /// Failing inputs: index, what happened, where the input was saved.
    pub crashes: Vec<(usize, String, PathBuf)>,
    /// Inputs a child died or hung on that pass when tried again alone in
    /// a fresh process: the failure came from the state earlier inputs
    /// left (a C library's heap corrupted by an earlier file).
    pub history: Vec<(usize, String, PathBuf)>,
}

impl Campaign {
    /// A campaign of `default_execs` inputs (or `PLEXUS_FUZZ_EXECS`), its
    /// generator seeded by `PLEXUS_FUZZ_SEED` when set.
    pub fn new(name: &str, seeds: Vec<Vec<u8>>, default_execs: usize) -> Campaign {
        let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
        let execs = env("PLEXUS_FUZZ_EXECS").map(|n| n as usize).unwrap_or(default_execs);
        let seed = env("PLEXUS_FUZZ_SEED").unwrap_or(0x5EED_F00D);
        let seeds: Vec<Vec<u8>> = seeds.into_iter().filter(|s| !s.is_empty()).collect();
        assert!(!seeds.is_empty(), "campaign `{name}`: no seeds");
        Campaign { name: name.to_string(), seeds, seed, execs }
    }

    /// Input `i`: the seeds first, unchanged, then mutants.
    pub fn input(&self, i: usize) -> Vec<u8> {
        if i < self.seeds.len() {
            return self.seeds[i].clone();
        }
        let mut rng = Rng::new(self.seed ^ (i as u64).wrapping_mul(0xA24B_AED4_963E_E407));
        let mut data = self.seeds[rng.below(self.seeds.len())].clone();
        let rounds = 1 + rng.below(4) + if rng.below(4) == 0 { rng.below(12) } else { 0 };
        for _ in 0..rounds {
            mutate(&mut rng, &mut data, &self.seeds);
        }
        data
    }

    /// Runs the campaign in child processes (re-runs of this test binary's
    /// `child_test`, which calls [`Campaign::child`]), so that a crash no
    /// panic can catch (an abort on a failed allocation, a C library's
    /// segfault) or a hang is a finding too: the child writes the index it
    /// is at before each input; when it dies, or sits on one input for
    /// [`HANG`], that input is the finding and a new child goes on after it.
    pub fn supervise(&self, child_test: &str) -> Findings {
        let dir = std::env::temp_dir().join(format!("plexus-fuzz-{}-{}", self.name, std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        let (progress, found) = (dir.join("progress"), dir.join("found"));
        let mut findings = Findings::default();
        let mut from = 0;
        let mut died = Vec::new();
        let attempt = |from: usize, to: usize| {
            let _ = std::fs::remove_file(&progress);
            let mut child = std::process::Command::new(std::env::current_exe().expect("this test binary"))
                .args([child_test, "--exact", "--ignored", "--nocapture", "--test-threads=1"])
                .env("PLEXUS_FUZZ_CHILD", &self.name)
                .env("PLEXUS_FUZZ_FROM", from.to_string())
                .env("PLEXUS_FUZZ_EXECS", to.to_string())
                .env("PLEXUS_FUZZ_SEED", self.seed.to_string())
                .env("PLEXUS_FUZZ_PROGRESS", &progress)
                .env("PLEXUS_FUZZ_FOUND", &found)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn the fuzz child");
            let at = || std::fs::read_to_string(&progress).ok().and_then(|t| t.trim().parse::<usize>().ok());
            let (mut last, mut since) = (None, Instant::now());
            let status = loop {
                if let Some(s) = child.try_wait().expect("wait for the fuzz child") {
                    break Some(s);
                }
                let now = at();
                if now != last {
                    (last, since) = (now, Instant::now());
                } else if since.elapsed() > HANG {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(5));
            };
            let reached = at().unwrap_or(from);
            match status {
                Some(s) if s.success() => None,
                None => Some((reached, format!("hang: no answer within {HANG:?}"))),
                Some(s) => Some((
                    reached,
                    match std::os::unix::process::ExitStatusExt::signal(&s) {
                        Some(6) => "abort (SIGABRT: a failed allocation or a C library's assertion)".into(),
                        Some(sig) => format!("killed by signal {sig}"),
                        None => format!("the child exited with {s}"),
                    },
                )),
            }
        };
        while from < self.execs {
            match attempt(from, self.execs) {
                None => {
                    findings.inputs += self.execs - from;
                    from = self.execs;
                }
                Some((reached, what)) => {
                    findings.inputs += reached + 1 - from;
                    died.push((reached, what));
                    from = reached + 1;
                }
            }
        }
        // Each input a child died on, again alone in a fresh process.
        for (i, what) in died {
            let saved = self.save(i, &self.input(i));
            match attempt(i, i + 1) {
                Some(_) => findings.crashes.push((i, what, saved)),
                None => findings.history.push((i, what, saved)),
            }
        }
        for line in std::fs::read_to_string(&found).unwrap_or_default().lines() {
            match line.split_once('\t') {
                Some(("refused", n)) => findings.refused += n.parse::<usize>().unwrap_or(0),
                Some((i, message)) => {
                    let i: usize = i.parse().unwrap_or(0);
                    findings.crashes.push((i, format!("panic: {message}"), self.save(i, &self.input(i))));
                }
                None => {}
            }
        }
        findings.crashes.sort_by_key(|c| c.0);
        let _ = std::fs::remove_dir_all(&dir);
        findings
    }

    /// The child's side of [`Campaign::supervise`]: feeds its inputs to
    /// `target` (which returns whether it refused the input), catching
    /// panics, under a 4 GiB address-space limit so an absurd allocation
    /// fails at once. Does nothing unless this process is the child of the
    /// campaign called `name`.
    pub fn child(name: &str, make: impl FnOnce() -> (Campaign, Target)) {
        if std::env::var("PLEXUS_FUZZ_CHILD").ok().as_deref() != Some(name) {
            return;
        }
        let env = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is set by the supervisor"));
        let (campaign, target) = make();
        let from: usize = env("PLEXUS_FUZZ_FROM").parse().expect("a number");
        let progress = std::fs::File::create(env("PLEXUS_FUZZ_PROGRESS")).expect("the progress file");
        let mut found =
            std::fs::OpenOptions::new().create(true).append(true).open(env("PLEXUS_FUZZ_FOUND")).expect("findings");
        limit_address_space(4 << 30);
        quiet_panics();
        let mut refused = 0;
        for i in from..campaign.execs {
            use std::io::Write;
            use std::os::unix::fs::FileExt;
            // Fixed width, so a shorter number never leaves digits behind.
            progress.write_all_at(format!("{i:>20}").as_bytes(), 0).expect("write the progress");
            let data = campaign.input(i);
            match catch_unwind(AssertUnwindSafe(|| target(&data))) {
                Ok(r) => refused += r as usize,
                Err(payload) => {
                    let message = payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "a panic".into());
                    let _ = writeln!(found, "{i}\t{}", message.replace(['\n', '\t'], " "));
                }
            }
        }
        use std::io::Write;
        let _ = writeln!(found, "refused\t{refused}");
    }

    /// Writes input `i` where crashes are kept; returns its path.
    pub fn save(&self, i: usize, data: &[u8]) -> PathBuf {
        let dir = std::env::var_os("PLEXUS_FUZZ_CRASHES")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("plexus-fuzz-crashes"));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("{}-seed{:x}-{i}.bin", self.name, self.seed));
        let _ = std::fs::write(&path, data);
        path
    }
}

/// Panics in a fuzz child are findings, written to the supervisor; not
/// noise on stderr.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}

/// Caps this process's address space (`RLIMIT_AS`), so that an allocation
/// a corrupt header asks for fails at once instead of swapping.
fn limit_address_space(bytes: u64) {
    let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
    // SAFETY: setrlimit reads the struct we pass and touches nothing else;
    // lowering a limit of our own process is always allowed.
    unsafe {
        libc::setrlimit(libc::RLIMIT_AS, &limit);
    }
}

/// One mutation of `data`, in place.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    if data.is_empty() {
        data.push(rng.next_u64() as u8);
        return;
    }
    let at = rng.below(data.len());
    match rng.below(10) {
        // Flip one bit.
        0 | 1 => data[at] ^= 1 << rng.below(8),
        // A random byte.
        2 => data[at] = rng.next_u64() as u8,
        // An interesting integer, 1/2/4/8 bytes, either byte order.
        3 | 4 => {
            let width = [1usize, 2, 4, 8][rng.below(4)];
            let mut v = INTERESTING[rng.below(INTERESTING.len())];
            if rng.below(3) == 0 {
                v = v.wrapping_add(rng.below(17) as u64).wrapping_sub(8);
            }
            let bytes = if rng.below(2) == 0 { v.to_le_bytes() } else { v.to_be_bytes() };
            let bytes = if bytes[0] == 0 && rng.below(2) == 0 { &bytes[8 - width..] } else { &bytes[..width] };
            let end = (at + width).min(data.len());
            data[at..end].copy_from_slice(&bytes[..end - at]);
        }
        // Delete a run.
        5 => {
            let n = 1 + rng.below(16.min(data.len() - at));
            data.drain(at..at + n);
        }
        // Duplicate a run.
        6 => {
            let n = 1 + rng.below(64.min(data.len() - at));
            let run: Vec<u8> = data[at..at + n].to_vec();
            let to = rng.below(data.len() + 1);
            data.splice(to..to, run);
        }
        // Splice a run of another seed over this one.
        7 => {
            let other = &seeds[rng.below(seeds.len())];
            let from = rng.below(other.len());
            let n = 1 + rng.below(64.min(other.len() - from));
            let end = (at + n).min(data.len());
            data[at..end].copy_from_slice(&other[from..from + (end - at)]);
        }
        // Truncate.
        8 => data.truncate(at.max(1)),
        // Insert random bytes.
        _ => {
            let n = 1 + rng.below(8);
            let junk: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
            data.splice(at..at, junk);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_a_function_of_seed_and_index() {
        let c = Campaign { name: "t".into(), seeds: vec![b"hello world".to_vec()], seed: 7, execs: 10 };
        assert_eq!(c.input(0), b"hello world", "seeds come first, unchanged");
        assert_eq!(c.input(5), c.input(5));
        assert!((1..50).any(|i| c.input(i) != c.input(1)), "mutants differ");
    }
}
