//! The processor time of the current thread: what a plugin call is judged on, so that time the
//! thread spends waiting (for the host, or for a core on a busy machine) never counts.

use std::time::Duration;

/// CPU time consumed by the calling thread so far.
#[cfg(unix)]
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid pointer to a timespec we own.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    if !ok {
        return wall_fallback();
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Elsewhere: wall time since the first call, which over-counts waits but never under-counts.
#[cfg(not(unix))]
pub fn thread_cpu_time() -> Duration {
    wall_fallback()
}

fn wall_fallback() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_costs_no_cpu_time_and_work_does() {
        let before = thread_cpu_time();
        std::thread::sleep(Duration::from_millis(50));
        let slept = thread_cpu_time() - before;
        let before = thread_cpu_time();
        let mut x: u64 = 0;
        while thread_cpu_time() - before < Duration::from_millis(20) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(slept < Duration::from_millis(20), "sleeping used {slept:?}");
        assert!(thread_cpu_time() - before >= Duration::from_millis(20));
    }
}
