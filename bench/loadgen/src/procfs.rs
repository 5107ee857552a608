//! Readings from `/proc`: a process's CPU seconds (utime + stime) and memory (VmRSS, VmHWM).
//!
//! The server's own CPU is the figure that matters on a machine where the load generator
//! shares the cores with it, so every mode reads it around its measured phase.

use std::fs;

/// CPU seconds (user + system) a process has used so far, or `None` if it is gone.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    stat_cpu(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// CPU seconds used by this load generator so far.
pub fn own_cpu_seconds() -> f64 {
    fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| stat_cpu(&s))
        .unwrap_or(0.0)
}

fn stat_cpu(stat: &str) -> Option<f64> {
    // The command name (field 2) may hold spaces, so count fields after its closing paren:
    // utime and stime are fields 14 and 15 of the whole line.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / clock_ticks())
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf only reads a constant of the running system.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// Memory figures of a process, in KiB, from `/proc/<pid>/status`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

pub fn memory(pid: u32) -> Option<Memory> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

/// A snapshot of the server (if its pid is known) and of this process, to diff later.
#[derive(Clone, Copy, Debug)]
pub struct Snapshot {
    pub server_cpu: Option<f64>,
    pub server_mem: Option<Memory>,
    pub own_cpu: f64,
}

impl Snapshot {
    pub fn take(server_pid: Option<u32>) -> Self {
        Snapshot {
            server_cpu: server_pid.and_then(cpu_seconds),
            server_mem: server_pid.and_then(memory),
            own_cpu: own_cpu_seconds(),
        }
    }

    /// Server CPU seconds between two snapshots, if both could read it.
    pub fn server_cpu_since(&self, earlier: &Snapshot) -> Option<f64> {
        Some(self.server_cpu? - earlier.server_cpu?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_fields_after_a_command_name_with_spaces() {
        let line = "42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 1 0";
        let secs = stat_cpu(line).unwrap();
        assert!((secs - 400.0 / clock_ticks()).abs() < 1e-9);
    }

    #[test]
    fn reads_this_process() {
        assert!(memory(std::process::id()).unwrap().rss_kib > 0);
        assert!(cpu_seconds(std::process::id()).is_some());
    }
}
