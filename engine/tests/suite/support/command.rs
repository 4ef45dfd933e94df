//! `Xpr`: the `xpr` binary run the way a user runs it, and what it printed.
//! `Xpr::new().args(["check", "x.kdl"]).cwd(dir).run().exit(2)` fails, when the exit code
//! differs, with the command line, the exit status and both streams.

use std::ffi::OsStr;
use std::fmt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

/// One `xpr` invocation being put together. Without colour (`NO_COLOR`), with no stdin.
pub struct Xpr {
    command: Command,
}

impl Xpr {
    pub fn new() -> Xpr {
        Xpr::program(super::helper_exe())
    }

    /// The same, with the binary at `path` (e.g. a copy another user can reach).
    pub fn program(path: impl AsRef<OsStr>) -> Xpr {
        let mut command = Command::new(path);
        command.env("NO_COLOR", "1").stdin(Stdio::null());
        Xpr { command }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Xpr {
        self.command.arg(arg);
        self
    }

    pub fn args(mut self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Xpr {
        self.command.args(args);
        self
    }

    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Xpr {
        self.command.current_dir(dir);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Xpr {
        self.command.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Xpr {
        self.command.env_remove(key);
        self
    }

    /// Runs it as user and group `id` (the caller must be root).
    pub fn user(mut self, id: u32) -> Xpr {
        std::os::unix::process::CommandExt::uid(&mut self.command, id);
        std::os::unix::process::CommandExt::gid(&mut self.command, id);
        self
    }

    /// Runs `f` in the child between fork and exec (e.g. to put it in a Landlock domain).
    ///
    /// # Safety
    /// As for [`std::os::unix::process::CommandExt::pre_exec`]: `f` may only make raw
    /// system calls.
    pub unsafe fn pre_exec(
        mut self,
        f: impl FnMut() -> std::io::Result<()> + Send + Sync + 'static,
    ) -> Xpr {
        // SAFETY: passed on to the caller.
        unsafe { std::os::unix::process::CommandExt::pre_exec(&mut self.command, f) };
        self
    }

    /// Runs to the end and keeps what it printed.
    pub fn run(mut self) -> Output {
        let out = self
            .command
            .output()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.shown()));
        Output {
            command: self.shown(),
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Like [`Xpr::run`], but fails the test when it has not finished within 60 s: for input
    /// that must be refused at once (a FIFO a reader would otherwise wait on forever).
    pub fn run_bounded(mut self) -> Output {
        use std::io::Read;
        let shown = self.shown();
        let mut child = self
            .command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut text = Vec::new();
                let _ = pipe.read_to_end(&mut text);
                String::from_utf8_lossy(&text).into_owned()
            })
        };
        let stdout = drain(Box::new(child.stdout.take().expect("piped")));
        let stderr = drain(Box::new(child.stderr.take().expect("piped")));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{shown} did not finish within 60 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        Output {
            command: shown,
            status,
            stdout: stdout.join().expect("stdout"),
            stderr: stderr.join().expect("stderr"),
        }
    }

    /// Starts it in the background, output discarded (for tests that interrupt or kill it).
    pub fn spawn(mut self) -> Child {
        self.command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.shown()))
    }

    fn shown(&self) -> String {
        let args: Vec<_> = self
            .command
            .get_args()
            .map(OsStr::to_string_lossy)
            .collect();
        format!("`xpr {}`", args.join(" "))
    }
}

/// A finished invocation. Its `Display` is what the assertions print.
pub struct Output {
    command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The exit code; `None` when a signal ended it.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Asserts exit code 0.
    #[track_caller]
    pub fn success(self) -> Output {
        self.exit(0)
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn exit(self, code: i32) -> Output {
        assert_eq!(self.code(), Some(code), "expected exit {code} from {self}");
        self
    }

    /// (exit code, or -1 after a signal; stdout; stderr), for assertions on all three.
    pub fn into_parts(self) -> (i32, String, String) {
        (self.code().unwrap_or(-1), self.stdout, self.stderr)
    }

    /// stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}) from {self}"))
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{}: {}\n--- stdout\n{}\n--- stderr\n{}",
            self.command, self.status, self.stdout, self.stderr
        )
    }
}
