//! A spinner with the elapsed time on stderr while a long command works (a run over a large
//! portfolio, a big import, a bank file, training). indicatif draws only on a terminal, so piped
//! output and `--json` stay clean; the spinner is cleared before the result is printed.

use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

/// Runs `work` with a spinner saying `what` (none when `json`).
pub fn working<T>(what: &str, json: bool, work: impl FnOnce() -> T) -> T {
    let bar = if json { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    let out = work();
    bar.finish_and_clear();
    out
}
