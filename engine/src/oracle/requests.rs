//! A probe as the access requests Landlock will see, in order, each with the stage it belongs
//! to. This is the oracle's model of the drivers in `probes/`; where a driver's effect cannot
//! be known without running it, the model says so (`Unmodeled`) instead of guessing.

use crate::compile::linux::proc_sys_path;
use crate::model::{Acquire, ArgValue, Probe, Stage};

use super::exec_deps::exec_deps;
use super::fs_view::{FsView, Kind, parent};

pub(crate) use crate::sys::landlock::{
    ACCESS_FS_EXECUTE as EXECUTE, ACCESS_FS_IOCTL_DEV as IOCTL_DEV, ACCESS_FS_MAKE_DIR as MAKE_DIR,
    ACCESS_FS_MAKE_REG as MAKE_REG, ACCESS_FS_READ_DIR as READ_DIR,
    ACCESS_FS_READ_FILE as READ_FILE, ACCESS_FS_REFER as REFER, ACCESS_FS_REMOVE_DIR as REMOVE_DIR,
    ACCESS_FS_REMOVE_FILE as REMOVE_FILE, ACCESS_FS_TRUNCATE as TRUNCATE,
    ACCESS_FS_WRITE_FILE as WRITE_FILE, ACCESS_NET_BIND_TCP as BIND_TCP,
    ACCESS_NET_CONNECT_TCP as CONNECT_TCP, SCOPE_ABSTRACT_UNIX_SOCKET as SCOPE_ABSTRACT_UNIX,
    SCOPE_SIGNAL,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// fs rights on the node itself (plan notation path).
    Path { path: String, rights: u64 },
    /// rename (`rename`) or link of an entry to a new name; cross-directory moves need
    /// `fs.refer` and fail with EXDEV when only that is missing.
    Refer {
        from: String,
        to: String,
        rename: bool,
    },
    /// A TCP port right; `port` is `None` when only the run knows it (a port-0 listener).
    Port { rights: u64, port: Option<u16> },
    /// A scope: the target lies outside the domain (fixture processes and listeners do).
    Scope { scope: u64 },
    /// Inspecting a process outside the domain: every Landlock domain denies it (ptrace
    /// access checks fail with EPERM, or `errno` for an open of its /proc entry).
    Ptrace { errno: i32 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    pub stage: Stage,
    pub access: Access,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ProbeModel {
    Steps(Vec<Step>),
    /// After `steps` are allowed, the operation fails with `errno` (ENOENT before any check:
    /// no steps; EISDIR after Landlock's: the check comes first).
    FailsAfter {
        steps: Vec<Step>,
        errno: i32,
        why: String,
    },
    /// A denied step decides; otherwise the outcome depends on the host (whether anything
    /// listens on a port, whether a port is free), which the oracle does not know.
    HostDecides {
        steps: Vec<Step>,
        why: String,
    },
    Unmodeled(String),
}

/// The make right for creating an entry of this kind.
pub(crate) fn make_right(kind: Kind) -> u64 {
    match kind {
        Kind::Dir => MAKE_DIR,
        Kind::File => MAKE_REG,
    }
}

/// The remove right for removing an entry of this kind.
pub(crate) fn remove_right(kind: Kind) -> u64 {
    match kind {
        Kind::Dir => REMOVE_DIR,
        Kind::File => REMOVE_FILE,
    }
}

/// Why a path cannot be looked up: ENOTDIR when an existing ancestor is not a directory,
/// else ENOENT (the walk fails before any Landlock check).
fn lookup_errno(fs: &dyn FsView, path: &str) -> i32 {
    let mut cur = parent(path);
    loop {
        match fs.kind(&cur) {
            Some(Kind::File) => return libc::ENOTDIR,
            Some(Kind::Dir) => return libc::ENOENT,
            None if cur == parent(&cur) => return libc::ENOENT,
            None => cur = parent(&cur),
        }
    }
}

fn fails(errno: i32, why: String) -> ProbeModel {
    ProbeModel::FailsAfter {
        steps: vec![],
        errno,
        why,
    }
}

fn missing(fs: &dyn FsView, path: &str) -> ProbeModel {
    fails(
        lookup_errno(fs, path),
        format!("{path} cannot be looked up"),
    )
}

fn op(access: Access) -> Step {
    Step {
        stage: Stage::Operation,
        access,
    }
}

fn path_op(path: &str, rights: u64) -> Step {
    op(Access::Path {
        path: path.to_string(),
        rights,
    })
}

fn port_of(probe: &Probe) -> Option<u16> {
    if let Some(ArgValue::Int(p)) = probe.args.get("port") {
        return u16::try_from(*p).ok();
    }
    let target = probe.target.as_deref()?;
    target.rsplit_once(':')?.1.parse().ok()
}

/// The exec stage of running `program`: execute+read the program and its interpreter (the
/// kernel opens both with `open_exec`), read every library.
fn exec_steps(program: &str, fs: &dyn FsView) -> Result<Vec<Step>, String> {
    let exe = |path: &str| Step {
        stage: Stage::Exec,
        access: Access::Path {
            path: fs.canonical(path),
            rights: EXECUTE | READ_FILE,
        },
    };
    let mut steps = vec![exe(program)];
    let deps = exec_deps(program).ok_or_else(|| format!("{program} is not an ELF64 program"))?;
    if let Some(interp) = &deps.interpreter {
        steps.push(exe(interp));
    }
    if !deps.unresolved.is_empty() {
        return Err(format!(
            "libraries not found in the default directories: {}",
            deps.unresolved.join(" ")
        ));
    }
    let interp = deps.interpreter.as_deref().map(|i| fs.canonical(i));
    for lib in &deps.libraries {
        if interp.as_deref() == Some(fs.canonical(lib).as_str()) {
            continue;
        }
        steps.push(Step {
            stage: Stage::Exec,
            access: Access::Path {
                path: fs.canonical(lib),
                rights: READ_FILE,
            },
        });
    }
    Ok(steps)
}

fn resolve_command(target: &str) -> Option<String> {
    if target.contains('/') {
        return Some(target.to_string());
    }
    ["/usr/local/bin", "/usr/bin", "/bin"]
        .iter()
        .map(|d| format!("{d}/{target}"))
        .find(|p| std::path::Path::new(p).is_file())
}

/// The probe's access requests. `helper_exe` is the binary that runs `helper=` probes.
pub(crate) fn model(probe: &Probe, fs: &dyn FsView, helper_exe: &str) -> ProbeModel {
    let after = model_after_apply(probe, fs, helper_exe);
    match checked_before_apply(probe) {
        true => acquired_before_apply(after),
        false => after,
    }
}

/// The probe acquires before apply (`acquire=before`) what Landlock checks when it is
/// acquired: no check of its operation meets the sandbox.
pub(crate) fn checked_before_apply(probe: &Probe) -> bool {
    probe.acquire() == Some(Acquire::Before) && checked_when_acquired(probe)
}

/// `acquire=before` moves every check of these operations before the sandbox exists: Landlock
/// decides file rights (truncate and device ioctls included) when a file is opened and TCP
/// and abstract-socket rights at `bind`/`connect`. The other families make their checked call
/// after apply on what they hold (a directory's entries, a path, a pidfd's signal), so their
/// requests are those of the usual form.
fn checked_when_acquired(probe: &Probe) -> bool {
    match probe.family.as_str() {
        "file-read" | "file-write" | "dir-list" | "ioctl-dev" | "sysctl-read" | "tcp-connect"
        | "tcp-bind" | "unix-connect" => true,
        "file-truncate" => matches!(probe.args.get("via"), Some(ArgValue::Str(v)) if v == "fd"),
        _ => false,
    }
}

/// The same model with no request left for the sandbox: a failure before any check stays.
fn acquired_before_apply(model: ProbeModel) -> ProbeModel {
    match model {
        ProbeModel::Steps(_) => ProbeModel::Steps(Vec::new()),
        ProbeModel::FailsAfter { errno, why, .. } => ProbeModel::FailsAfter {
            steps: Vec::new(),
            errno,
            why,
        },
        ProbeModel::HostDecides { why, .. } => ProbeModel::HostDecides {
            steps: Vec::new(),
            why,
        },
        unmodeled => unmodeled,
    }
}

fn model_after_apply(probe: &Probe, fs: &dyn FsView, helper_exe: &str) -> ProbeModel {
    let target = probe.target.clone().unwrap_or_default();
    let canonical = fs.canonical(&target);
    let exists = fs.kind(&canonical);
    let arg = |name: &str| match probe.args.get(name) {
        Some(ArgValue::Str(v)) => Some(v.as_str()),
        _ => None,
    };
    let is_dir = |what: &str| fails(libc::EISDIR, format!("{what} is a directory"));
    match probe.family.as_str() {
        "file-read" | "file-write" | "file-truncate" | "dir-list" | "ioctl-dev" | "file-unlink"
            if exists.is_none() =>
        {
            missing(fs, &canonical)
        }
        // open(O_RDONLY) of a directory needs its listing right, then read() is EISDIR.
        "file-read" if exists == Some(Kind::Dir) => ProbeModel::FailsAfter {
            steps: vec![path_op(&canonical, READ_DIR)],
            errno: libc::EISDIR,
            why: format!("{target} is a directory: read() fails"),
        },
        "file-read" => ProbeModel::Steps(vec![path_op(&canonical, READ_FILE)]),
        // Opening a directory for writing fails before any Landlock check.
        "file-write" | "file-truncate" if exists == Some(Kind::Dir) => is_dir(&target),
        "file-write" => ProbeModel::Steps(vec![path_op(&canonical, WRITE_FILE)]),
        "file-truncate" => match arg("via") {
            Some("open") => ProbeModel::Steps(vec![path_op(&canonical, WRITE_FILE | TRUNCATE)]),
            Some("fd") => ProbeModel::Steps(vec![
                path_op(&canonical, WRITE_FILE),
                path_op(&canonical, TRUNCATE),
            ]),
            _ => ProbeModel::Steps(vec![path_op(&canonical, TRUNCATE)]),
        },
        // open(O_DIRECTORY) of a non-directory fails before any Landlock check.
        "dir-list" if exists == Some(Kind::File) => {
            fails(libc::ENOTDIR, format!("{target} is not a directory"))
        }
        "dir-list" => ProbeModel::Steps(vec![path_op(&canonical, READ_DIR)]),
        "file-create" | "dir-create" => {
            let dir = parent(&canonical);
            if fs.kind(&dir) != Some(Kind::Dir) {
                return missing(fs, &canonical);
            }
            if exists.is_some() {
                return fails(libc::EEXIST, format!("{target} already exists"));
            }
            // The drivers use mknod(S_IFREG) and mkdir: only the make right of the directory.
            let right = if probe.family == "dir-create" {
                MAKE_DIR
            } else {
                MAKE_REG
            };
            ProbeModel::Steps(vec![path_op(&dir, right)])
        }
        // unlink(2) of a directory asks for the file's remove right first, then fails.
        "file-unlink" if exists == Some(Kind::Dir) => ProbeModel::FailsAfter {
            steps: vec![path_op(&parent(&canonical), REMOVE_FILE)],
            errno: libc::EISDIR,
            why: format!("{target} is a directory: unlink(2) fails"),
        },
        "file-unlink" => ProbeModel::Steps(vec![path_op(&parent(&canonical), REMOVE_FILE)]),
        "file-rename" | "file-link" => {
            let Some(to) = arg("to") else {
                return ProbeModel::Unmodeled(format!("`{}` without `to=`", probe.family));
            };
            move_model(
                probe.family == "file-rename",
                &canonical,
                &fs.canonical(to),
                fs,
            )
        }
        "tcp-connect" | "tcp-bind" => {
            let connect = probe.family == "tcp-connect";
            let port = port_of(probe);
            let steps = vec![op(Access::Port {
                rights: if connect { CONNECT_TCP } else { BIND_TCP },
                port,
            })];
            // A fixture listener (port known at run time) or a declared one.
            let listens = port.map_or(!probe.fixtures.is_empty(), |p| fs.listening(p));
            match (connect, listens) {
                (true, true) => ProbeModel::Steps(steps),
                (false, true) => ProbeModel::FailsAfter {
                    steps,
                    errno: libc::EADDRINUSE,
                    why: "a fixture listens on the port".into(),
                },
                (true, false) => ProbeModel::HostDecides {
                    steps,
                    why: format!("whether anything listens on {target} is only known at run time"),
                },
                (false, false) => ProbeModel::HostDecides {
                    steps,
                    why: format!("whether {target} is free is only known at run time"),
                },
            }
        }
        // The listener is a fixture outside the sandbox, so the connect leaves the domain.
        "unix-connect" if !probe.fixtures.is_empty() => {
            ProbeModel::Steps(vec![op(Access::Scope {
                scope: SCOPE_ABSTRACT_UNIX,
            })])
        }
        "unix-connect" => ProbeModel::Unmodeled(format!(
            "whether anything listens on {target}, and where, is only known at run time"
        )),
        "signal" if target == "self" => ProbeModel::Steps(vec![]),
        "signal" if !probe.fixtures.is_empty() => ProbeModel::Steps(vec![op(Access::Scope {
            scope: SCOPE_SIGNAL,
        })]),
        "signal" => ProbeModel::Unmodeled(format!("pid {target} is not a fixture of the run")),
        "process-info" => process_info_model(probe, &target, arg("via"), fs),
        "sysctl-read" => {
            let Some(path) = proc_sys_path(&target) else {
                return ProbeModel::Unmodeled(format!("`{target}` is not a Linux sysctl name"));
            };
            if fs.kind(&path).is_none() {
                return missing(fs, &path);
            }
            ProbeModel::Steps(vec![path_op(&path, READ_FILE)])
        }
        "ioctl-dev" => {
            let open = path_op(
                &canonical,
                if exists == Some(Kind::Dir) {
                    READ_DIR
                } else {
                    READ_FILE
                },
            );
            // FIOCLEX and the other generic requests are never checked; Landlock checks
            // device ioctls only, and the random devices are the ones that answer
            // RNDGETENTCNT.
            match arg("request").unwrap_or("RNDGETENTCNT") {
                "FIOCLEX" => ProbeModel::Steps(vec![open]),
                _ if !fs.is_device(&canonical) => ProbeModel::FailsAfter {
                    steps: vec![open],
                    errno: libc::ENOTTY,
                    why: format!("{target} is not a device"),
                },
                _ if ["/dev/urandom", "/dev/random"].contains(&canonical.as_str()) => {
                    ProbeModel::Steps(vec![open, path_op(&canonical, IOCTL_DEV)])
                }
                _ => ProbeModel::Unmodeled(format!(
                    "what {target} answers to RNDGETENTCNT is the device's business"
                )),
            }
        }
        "exec" => exec_model(probe, fs, helper_exe),
        other => ProbeModel::Unmodeled(format!("the oracle has no model of family `{other}`")),
    }
}

/// rename(2) or link(2) from `from` to `to` (both canonical): the lookups fail first, then
/// Landlock decides, then the VFS refuses what cannot be (a file over a directory...).
fn move_model(rename: bool, from: &str, to: &str, fs: &dyn FsView) -> ProbeModel {
    let Some(from_kind) = fs.kind(from) else {
        return missing(fs, from);
    };
    if fs.kind(&parent(to)) != Some(Kind::Dir) {
        return missing(fs, to);
    }
    let to_kind = fs.kind(to);
    let under = |a: &str, b: &str| a.strip_prefix(b).is_some_and(|r| r.starts_with('/'));
    if rename && under(to, from) {
        return fails(libc::EINVAL, format!("{to} lies inside {from}"));
    }
    if rename && under(from, to) {
        return fails(libc::ENOTEMPTY, format!("{to} contains {from}"));
    }
    if !rename && to_kind.is_some() {
        return fails(libc::EEXIST, format!("{to} already exists"));
    }
    let steps = vec![op(Access::Refer {
        from: from.to_string(),
        to: to.to_string(),
        rename,
    })];
    let after = |errno: i32, why: String| ProbeModel::FailsAfter {
        steps: steps.clone(),
        errno,
        why,
    };
    match (rename, from_kind, to_kind) {
        (false, Kind::Dir, _) => after(libc::EPERM, format!("{from} is a directory: no hard link")),
        (true, _, _) if from == to => ProbeModel::Steps(steps),
        (true, Kind::File, Some(Kind::Dir)) => after(libc::EISDIR, format!("{to} is a directory")),
        (true, Kind::Dir, Some(Kind::File)) => {
            after(libc::ENOTDIR, format!("{to} is not a directory"))
        }
        (true, Kind::Dir, Some(Kind::Dir)) if !fs.is_empty_dir(to) => after(
            libc::ENOTEMPTY,
            format!("{to} is not empty (or not known to be)"),
        ),
        _ => ProbeModel::Steps(steps),
    }
}

/// `process-info`: the probe itself is always allowed; a process outside the domain (a
/// fixture) is refused by any Landlock domain.
fn process_info_model(
    probe: &Probe,
    target: &str,
    via: Option<&str>,
    fs: &dyn FsView,
) -> ProbeModel {
    let own = target == "self";
    if !own && probe.fixtures.is_empty() {
        return ProbeModel::Unmodeled(format!("pid {target} is not a fixture of the run"));
    }
    match via.unwrap_or("vm_read") {
        "vm_read" | "ptrace" if own => ProbeModel::Steps(vec![]),
        "vm_read" | "ptrace" => ProbeModel::Steps(vec![op(Access::Ptrace { errno: libc::EPERM })]),
        // /proc/self/<entry>: a file read (of whatever process the oracle runs as, which has
        // the same path up to the pid, so the same rules decide).
        entry @ ("status" | "mem") if own => ProbeModel::Steps(vec![path_op(
            &fs.canonical(&format!("/proc/self/{entry}")),
            READ_FILE,
        )]),
        _ => ProbeModel::Unmodeled(
            "another process's /proc entry: its path is only known at run time".into(),
        ),
    }
}

fn exec_model(probe: &Probe, fs: &dyn FsView, helper_exe: &str) -> ProbeModel {
    if let Some(ArgValue::Str(family)) = probe.args.get("helper") {
        let mut inner = probe.clone();
        inner.family = family.clone();
        inner.args.remove("helper");
        let steps = match exec_steps(helper_exe, fs) {
            Ok(s) => s,
            Err(e) => return ProbeModel::Unmodeled(e),
        };
        let after = |more: Vec<Step>| steps.iter().cloned().chain(more).collect();
        return match model(&inner, fs, helper_exe) {
            ProbeModel::Steps(more) => ProbeModel::Steps(after(more)),
            ProbeModel::FailsAfter {
                steps: more,
                errno,
                why,
            } => ProbeModel::FailsAfter {
                steps: after(more),
                errno,
                why,
            },
            ProbeModel::HostDecides { steps: more, why } => ProbeModel::HostDecides {
                steps: after(more),
                why,
            },
            unmodeled => unmodeled,
        };
    }
    let Some(program) = probe.target.as_deref().and_then(resolve_command) else {
        return ProbeModel::Unmodeled("command not found".into());
    };
    let mut steps = match exec_steps(&fs.canonical(&program), fs) {
        Ok(s) => s,
        Err(e) => return ProbeModel::Unmodeled(e),
    };
    // An arbitrary command's operation is only known for reading commands (cat, head...):
    // modelled as reading each absolute path argument, which must be an existing file (what
    // a command does with anything else is its own business).
    let argv = match probe.args.get("argv") {
        Some(ArgValue::List(l)) => l.clone(),
        _ => Vec::new(),
    };
    for arg in argv.iter().skip(1) {
        if arg.starts_with('/') || arg.starts_with("{scratch}") {
            let path = fs.canonical(arg);
            if fs.kind(&path) != Some(Kind::File) {
                return ProbeModel::Unmodeled(format!(
                    "{arg} is not an existing file: what the command does then is its own"
                ));
            }
            steps.push(path_op(&path, READ_FILE));
        }
    }
    ProbeModel::Steps(steps)
}
