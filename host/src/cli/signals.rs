//! SIGTERM and SIGINT: a flag that stops the run (or the daemon), which of
//! the two arrived, and when; the grace that follows is the commands'.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGINT, SIGTERM};

/// The stop flag and the signals that set it.
pub struct Signals {
    /// Set by either signal.
    pub stop: Arc<AtomicBool>,
    term: Arc<AtomicBool>,
    seen: Option<Instant>,
}

impl Signals {
    /// Sets `stop` on SIGTERM and SIGINT; with `second_exits`, a second
    /// signal while stopping ends the process at once (exit 1).
    pub fn register(stop: Arc<AtomicBool>, second_exits: bool) -> std::io::Result<Signals> {
        let term = Arc::new(AtomicBool::new(false));
        for sig in [SIGTERM, SIGINT] {
            if second_exits {
                signal_hook::flag::register_conditional_shutdown(sig, 1, stop.clone())?;
            }
            signal_hook::flag::register(sig, stop.clone())?;
        }
        signal_hook::flag::register(SIGTERM, term.clone())?;
        Ok(Signals { stop, term, seen: None })
    }

    /// Whether a signal arrived; the first time it is seen, its time is
    /// kept for [`Signals::since`].
    pub fn arrived(&mut self) -> bool {
        if self.seen.is_none() && self.stop.load(Ordering::Relaxed) {
            self.seen = Some(Instant::now());
        }
        self.seen.is_some()
    }

    /// How long ago the signal was first seen.
    pub fn since(&self) -> Duration {
        self.seen.map(|t| t.elapsed()).unwrap_or_default()
    }

    /// `SIGTERM` or `SIGINT`.
    pub fn name(&self) -> &'static str {
        if self.term.load(Ordering::Relaxed) {
            "SIGTERM"
        } else {
            "SIGINT"
        }
    }
}

/// When, after the signal, calls still running are abandoned: early
/// enough that the stages drain and the sinks close their outputs before
/// the grace ends (up to 3 s, at most half the grace, are kept for that).
pub fn abandon_after(grace: Duration) -> Duration {
    grace - (grace / 2).min(Duration::from_secs(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_abandoned_before_the_grace_ends() {
        assert_eq!(abandon_after(Duration::from_secs(10)), Duration::from_secs(7));
        assert_eq!(abandon_after(Duration::from_secs(2)), Duration::from_secs(1));
        assert_eq!(abandon_after(Duration::ZERO), Duration::ZERO);
    }
}
