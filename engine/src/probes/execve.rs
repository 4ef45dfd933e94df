//! The `exec` family: execve a command with argv, prepared before the fork.
//!
//! Two shapes: any command (its verdict comes from its exit status, the weaker evidence), or
//! xpr's own probe helper (`helper=<family>`), which performs that family's operation after the
//! exec and reports its errno on an inherited descriptor so the exec and operation stages both
//! stay exact.

use std::ffi::{CString, c_char};
use std::path::Path;

use super::spec::ProbeSpec;

/// The descriptor number the probe helper reports on.
pub(crate) const HELPER_REPORT_FD: i32 = 3;

/// A fixed environment: the command's behaviour must not depend on the engine's environment.
const ENV: &[&str] = &["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"];

#[derive(Debug)]
pub(crate) struct ExecCommand {
    pub path: CString,
    /// Owned strings the pointer arrays below point into (kept alive with them).
    _argv: Vec<CString>,
    _env: Vec<CString>,
    argv_ptrs: Vec<*const c_char>,
    env_ptrs: Vec<*const c_char>,
    /// `Some(family)` when the command is the probe helper.
    pub helper: Option<String>,
}

impl ExecCommand {
    /// `helper_exe`: the xpr binary that implements the hidden `__probe` subcommand.
    pub(crate) fn prepare(spec: &ProbeSpec, helper_exe: &Path) -> Result<ExecCommand, String> {
        let c = |s: &str| CString::new(s).map_err(|_| format!("NUL byte in `{s}`"));
        let (path, argv, helper) = match spec.arg_str("helper") {
            Some(family) => {
                let mut inner = spec.clone();
                inner.family = family.clone();
                inner.args.remove("helper");
                // The helper's own operation must be preparable here, so a bad spec is caught
                // before the fork rather than reported as a failed exec.
                if !super::is_exec_family(&family) {
                    super::Operation::prepare(&inner)?;
                }
                let json = serde_json::to_string(&inner).map_err(|e| e.to_string())?;
                let exe = helper_exe.to_string_lossy().into_owned();
                (exe.clone(), vec![exe, "__probe".into(), json], Some(family))
            }
            None => {
                let target = spec.require_target()?;
                let path = resolve_command(target)?;
                let argv = spec
                    .arg_list("argv")
                    .unwrap_or_else(|| vec![target.to_string()]);
                (path, argv, None)
            }
        };
        let argv: Vec<CString> = argv.iter().map(|a| c(a)).collect::<Result<_, _>>()?;
        let env: Vec<CString> = ENV.iter().map(|e| c(e)).collect::<Result<_, _>>()?;
        let mut argv_ptrs: Vec<*const c_char> = argv.iter().map(|a| a.as_ptr()).collect();
        argv_ptrs.push(std::ptr::null());
        let mut env_ptrs: Vec<*const c_char> = env.iter().map(|e| e.as_ptr()).collect();
        env_ptrs.push(std::ptr::null());
        Ok(ExecCommand {
            path: c(&path)?,
            _argv: argv,
            _env: env,
            argv_ptrs,
            env_ptrs,
            helper,
        })
    }

    /// execve; returns only on failure (in the child; no allocation).
    pub(crate) fn execve(&self) -> std::io::Error {
        crate::sys::process::execve(&self.path, &self.argv_ptrs, &self.env_ptrs)
    }

    /// Whether the command is xpr's own probe helper (trusted code, like the drivers).
    pub(crate) fn is_helper(&self) -> bool {
        self.helper.is_some()
    }
}

/// A bare command name is looked up in the fixed PATH (in the worker, before the fork).
fn resolve_command(target: &str) -> Result<String, String> {
    if target.contains('/') {
        return Ok(target.to_string());
    }
    for dir in ["/usr/local/bin", "/usr/bin", "/bin"] {
        let p = Path::new(dir).join(target);
        if p.is_file() {
            return Ok(p.to_string_lossy().into_owned());
        }
    }
    // Let execve report ENOENT at the exec stage, as it would for a missing absolute path.
    Ok(format!("/usr/bin/{target}"))
}
