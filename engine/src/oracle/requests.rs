//! A probe as the access requests Landlock will see, in order, each with the stage it belongs
//! to. This is the oracle's model of the drivers in `probes/`; where a driver's effect cannot
//! be known without running it, the model says so (`Unmodeled`) instead of guessing.

use crate::compile::linux::proc_sys_path;
use crate::model::{ArgValue, Probe, Stage};

use super::exec_deps::exec_deps;
use super::fs_view::{FsView, Kind, parent};

pub use crate::sys::landlock::{
    ACCESS_FS_EXECUTE as EXECUTE, ACCESS_FS_IOCTL_DEV as IOCTL_DEV, ACCESS_FS_MAKE_DIR as MAKE_DIR,
    ACCESS_FS_MAKE_REG as MAKE_REG, ACCESS_FS_READ_DIR as READ_DIR,
    ACCESS_FS_READ_FILE as READ_FILE, ACCESS_FS_REFER as REFER, ACCESS_FS_REMOVE_DIR as REMOVE_DIR,
    ACCESS_FS_REMOVE_FILE as REMOVE_FILE, ACCESS_FS_TRUNCATE as TRUNCATE,
    ACCESS_FS_WRITE_FILE as WRITE_FILE, ACCESS_NET_BIND_TCP as BIND_TCP,
    ACCESS_NET_CONNECT_TCP as CONNECT_TCP, SCOPE_ABSTRACT_UNIX_SOCKET as SCOPE_ABSTRACT_UNIX,
    SCOPE_SIGNAL,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// fs rights on the node itself (plan notation path).
    Path { path: String, rights: u64 },
    /// rename (`remove_source`) or link of a file to a new name; cross-directory moves need
    /// `fs.refer` and fail with EXDEV when only that is missing.
    Refer {
        from: String,
        to: String,
        remove_source: bool,
    },
    /// A TCP port right; `port` is `None` when only the run knows it (a port-0 listener).
    Port { rights: u64, port: Option<u16> },
    /// A scope: the target lies outside the domain (fixture processes and listeners do).
    Scope { scope: u64 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub stage: Stage,
    pub access: Access,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeModel {
    Steps(Vec<Step>),
    /// The operation fails before any sandbox check (ENOENT, EEXIST...), after `steps`.
    FailsFirst {
        steps: Vec<Step>,
        errno: i32,
        why: String,
    },
    Unmodeled(String),
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
pub fn model(probe: &Probe, fs: &dyn FsView, helper_exe: &str) -> ProbeModel {
    let target = probe.target.clone().unwrap_or_default();
    let canonical = fs.canonical(&target);
    let exists = fs.kind(&canonical);
    let missing = |steps: Vec<Step>, what: &str| ProbeModel::FailsFirst {
        steps,
        errno: libc::ENOENT,
        why: format!("{what} does not exist"),
    };
    match probe.family.as_str() {
        "file-read" | "file-write" | "file-truncate" | "dir-list" if exists.is_none() => {
            missing(vec![], &target)
        }
        "file-read" if exists == Some(Kind::Dir) => {
            ProbeModel::Steps(vec![path_op(&canonical, READ_DIR)])
        }
        "file-read" => ProbeModel::Steps(vec![path_op(&canonical, READ_FILE)]),
        "file-write" => ProbeModel::Steps(vec![path_op(&canonical, WRITE_FILE)]),
        "file-truncate" => match probe.args.get("via") {
            Some(ArgValue::Str(v)) if v == "open" => {
                ProbeModel::Steps(vec![path_op(&canonical, WRITE_FILE | TRUNCATE)])
            }
            Some(ArgValue::Str(v)) if v == "fd" => ProbeModel::Steps(vec![
                path_op(&canonical, WRITE_FILE),
                path_op(&canonical, TRUNCATE),
            ]),
            _ => ProbeModel::Steps(vec![path_op(&canonical, TRUNCATE)]),
        },
        "dir-list" => ProbeModel::Steps(vec![path_op(&canonical, READ_DIR)]),
        "file-create" | "dir-create" => {
            let dir = parent(&canonical);
            if fs.kind(&dir).is_none() {
                return missing(vec![], &dir);
            }
            if exists.is_some() {
                return ProbeModel::FailsFirst {
                    steps: vec![],
                    errno: libc::EEXIST,
                    why: format!("{target} already exists"),
                };
            }
            if probe.family == "dir-create" {
                ProbeModel::Steps(vec![path_op(&dir, MAKE_DIR)])
            } else {
                // open(O_CREAT) checks make_reg on the directory, then write_file on the new file.
                ProbeModel::Steps(vec![
                    path_op(&dir, MAKE_REG),
                    path_op(&canonical, WRITE_FILE),
                ])
            }
        }
        "file-unlink" => match exists {
            None => missing(vec![], &target),
            Some(Kind::Dir) => ProbeModel::FailsFirst {
                steps: vec![],
                errno: libc::EISDIR,
                why: format!("{target} is a directory"),
            },
            Some(Kind::File) => ProbeModel::Steps(vec![path_op(&parent(&canonical), REMOVE_FILE)]),
        },
        "file-rename" | "file-link" => {
            let Some(ArgValue::Str(to)) = probe.args.get("to") else {
                return ProbeModel::Unmodeled(format!("`{}` without `to=`", probe.family));
            };
            let to = fs.canonical(to);
            if exists.is_none() {
                return missing(vec![], &target);
            }
            if exists == Some(Kind::Dir) {
                return ProbeModel::Unmodeled("renaming a directory".into());
            }
            if fs.kind(&parent(&to)).is_none() {
                return missing(vec![], &parent(&to));
            }
            if probe.family == "file-link" && fs.kind(&to).is_some() {
                return ProbeModel::FailsFirst {
                    steps: vec![],
                    errno: libc::EEXIST,
                    why: format!("{to} already exists"),
                };
            }
            ProbeModel::Steps(vec![op(Access::Refer {
                from: canonical,
                to,
                remove_source: probe.family == "file-rename",
            })])
        }
        "tcp-connect" | "tcp-bind" => ProbeModel::Steps(vec![op(Access::Port {
            rights: if probe.family == "tcp-connect" {
                CONNECT_TCP
            } else {
                BIND_TCP
            },
            port: port_of(probe),
        })]),
        // The listener is a fixture outside the sandbox, so the connect leaves the domain.
        "unix-connect" => ProbeModel::Steps(vec![op(Access::Scope {
            scope: SCOPE_ABSTRACT_UNIX,
        })]),
        "signal" if target == "self" => ProbeModel::Steps(vec![]),
        "signal" => ProbeModel::Steps(vec![op(Access::Scope {
            scope: SCOPE_SIGNAL,
        })]),
        "sysctl-read" => {
            let Some(path) = proc_sys_path(&target) else {
                return ProbeModel::Unmodeled(format!("`{target}` is not a Linux sysctl name"));
            };
            if fs.kind(&path).is_none() {
                return missing(vec![], &path);
            }
            ProbeModel::Steps(vec![path_op(&path, READ_FILE)])
        }
        "ioctl-dev" => {
            if exists.is_none() {
                return missing(vec![], &target);
            }
            ProbeModel::Steps(vec![
                path_op(&canonical, READ_FILE),
                path_op(&canonical, IOCTL_DEV),
            ])
        }
        "exec" => exec_model(probe, fs, helper_exe),
        other => ProbeModel::Unmodeled(format!("the oracle has no model of family `{other}`")),
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
        return match model(&inner, fs, helper_exe) {
            ProbeModel::Steps(more) => ProbeModel::Steps(steps.into_iter().chain(more).collect()),
            ProbeModel::FailsFirst {
                steps: more,
                errno,
                why,
            } => ProbeModel::FailsFirst {
                steps: steps.into_iter().chain(more).collect(),
                errno,
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
    // modelled as reading each absolute path argument that is an existing file.
    let argv = match probe.args.get("argv") {
        Some(ArgValue::List(l)) => l.clone(),
        _ => Vec::new(),
    };
    for arg in argv.iter().skip(1) {
        if (arg.starts_with('/') || arg.starts_with("{scratch}"))
            && fs.kind(&fs.canonical(arg)) == Some(Kind::File)
        {
            steps.push(path_op(&fs.canonical(arg), READ_FILE));
        }
    }
    ProbeModel::Steps(steps)
}
