//! SIGINT / SIGTERM for the sweep process. The handler only counts signals (an atomic
//! store is async-signal-safe); the launcher's loop reads the count: the first signal
//! asks running children to checkpoint and stop, a second one kills them.
use std::sync::atomic::{AtomicU32, Ordering};

static RECEIVED: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_signal(_signal: libc::c_int) {
    RECEIVED.fetch_add(1, Ordering::SeqCst);
}

/// Installs the handler for SIGINT and SIGTERM (replacing the default, which would end
/// the sweep without stopping its children cleanly).
pub fn install() {
    // SAFETY: `on_signal` only touches an atomic; the sigaction struct is fully
    // initialised (zeroed, then the handler and an empty mask set).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
        libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
    }
}

/// How many SIGINT/SIGTERM the process has received since [`install`].
pub fn received() -> u32 {
    RECEIVED.load(Ordering::SeqCst)
}

/// Sends `signal` to the process group led by `pid` (children run in their own group,
/// so a terminal's Ctrl-C reaches them only through the sweep).
pub fn signal_group(pid: u32, signal: libc::c_int) {
    // SAFETY: kill(2) with a negative pid addresses a process group; no memory involved.
    unsafe {
        libc::kill(-(pid as libc::pid_t), signal);
    }
}
