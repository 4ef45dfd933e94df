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
        let mut command = Command::new(super::helper_exe());
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
