//! Live logs of running children: each line of a child's stdout and stderr is appended
//! to the run's log file and echoed to the sweep's stderr with a `[run]` prefix —
//! coloured per run on a terminal, plain otherwise.
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::Path;
use std::thread::JoinHandle;

/// ANSI colours cycled over runs (red, green, yellow, blue, magenta, cyan and their
/// bright variants).
const COLOURS: [u8; 12] = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96];

/// How lines are echoed.
#[derive(Debug, Clone)]
pub struct Echo {
    /// The line prefix, e.g. `[clora-k4] `, with colour codes when on a terminal.
    prefix: String,
    /// Whether to echo at all.
    enabled: bool,
}

impl Echo {
    /// The echo for run number `index` named `run`; colour only when stderr is a TTY.
    pub fn new(run: &str, index: usize, enabled: bool) -> Echo {
        let prefix = if std::io::stderr().is_terminal() {
            let colour = COLOURS[index % COLOURS.len()];
            format!("\x1b[{colour}m[{run}]\x1b[0m ")
        } else {
            format!("[{run}] ")
        };
        Echo { prefix, enabled }
    }

    /// Writes one line (no newline) with the prefix, in one call so lines of different
    /// runs never interleave.
    pub fn line(&self, line: &str) {
        if self.enabled {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{}{line}", self.prefix);
        }
    }
}

/// Starts a thread that copies `stream` line by line into `log_path` (appending) and to
/// the echo. It ends when the stream closes (the child exited).
pub fn forward(stream: impl Read + Send + 'static, log_path: &Path, echo: Echo) -> JoinHandle<()> {
    let file: Option<File> = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .ok();
    std::thread::spawn(move || {
        let mut file = file;
        let mut reader = BufReader::new(stream);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if let Some(f) = file.as_mut() {
                        let _ = f.write_all(&buf);
                    }
                    let text = String::from_utf8_lossy(&buf);
                    // Progress bars redraw with '\r'; show only the final state.
                    let text = text.trim_end_matches(['\n', '\r']);
                    let text = text.rsplit('\r').next().unwrap_or(text);
                    echo.line(text);
                }
            }
        }
        if let Some(f) = file.as_mut() {
            let _ = f.flush();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_lines_reach_the_log_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "=== header ===\n").unwrap();
        let data: &'static [u8] = b"one\ntwo\r\nthree";
        forward(data, &path, Echo::new("a", 0, false))
            .join()
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "=== header ===\none\ntwo\r\nthree"
        );
        assert!(Echo::new("a", 0, true).prefix.contains("[a]"));
    }
}
