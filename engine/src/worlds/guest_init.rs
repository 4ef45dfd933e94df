//! `xpr __guest-init`: pid 1 of a guest world (the initramfs's `/xpr`, started by the
//! kernel with `rdinit=/xpr -- __guest-init`).
//!
//! It loads the world's modules, mounts the host's root (9p, read-only) under an overlay
//! whose upper layer is a tmpfs (writes behave as on the host and vanish with the guest),
//! mounts fresh `/proc`, `/sys`, `/dev`, `/tmp` and `/run`, switches into that root, brings
//! loopback up, starts `xpr __guest-run` (the host's own binary, seen through the share) as
//! its child, reaps every process until that child ends, then streams the bundle and the
//! result to the host on the second serial port and powers off. Any failure is reported on
//! the same channel before powering off, so the host always learns why.

use std::io::Write;
use std::os::fd::AsFd;
use std::path::Path;
use std::process::Command;

use super::host_view;
use super::protocol::{Encoder, GuestRequest, GuestResult};
use crate::sys::process::WaitStatus;
use crate::sys::{guest_kernel, guest_root as sys_mount, process, tty};

/// Where the guest run writes its bundle and its result (inside the guest's tmpfs).
pub(crate) const GUEST_OUT: &str = "/tmp/xpr-guest-out";
pub(crate) const GUEST_RUN_DIR: &str = "/run/xpr-guest";
pub(crate) const RESULT_FILE: &str = "/run/xpr-guest/result.json";
pub(crate) const REQUEST_FILE: &str = "/run/xpr-guest/request.json";
/// Where the init keeps the overlay's view of the host's `/tmp` (outside the new root).
const HOST_TMP: &str = "/rw/host-tmp";
/// The second serial port: the result channel (the first is the console).
const CHANNEL: &str = "/dev/ttyS1";

pub(crate) fn main() -> u8 {
    let result = match setup_and_run() {
        Ok(stream) => stream,
        Err(message) => {
            eprintln!("xpr guest init: {message}");
            Encoder::new().finish(&GuestResult {
                exit_code: None,
                message: Some(message),
            })
        }
    };
    match send(&result) {
        Ok(()) => say(&format!("xpr-guest: result sent ({} bytes)", result.len())),
        Err(e) => eprintln!("xpr guest init: cannot send the result: {e}"),
    }
    power_off()
}

fn setup_and_run() -> Result<Vec<u8>, String> {
    mount("devtmpfs", "/dev", "devtmpfs", false, "")?;
    mount("proc", "/proc", "proc", false, "")?;
    say(super::launch::READY_MARKER);
    let text = std::fs::read("/request.json").map_err(|e| format!("/request.json: {e}"))?;
    let request: GuestRequest =
        serde_json::from_slice(&text).map_err(|e| format!("/request.json: {e}"))?;
    for m in &request.modules {
        load_module(&format!("/modules/{}", m.file), m.compressed)
            .map_err(|e| format!("loading module {} failed: {e}", m.name))?;
    }
    mount(
        "host",
        "/host",
        "9p",
        true,
        "trans=virtio,version=9p2000.L,cache=loose,msize=512000",
    )?;
    mount("tmpfs", "/rw", "tmpfs", false, "mode=0755")?;
    for d in ["/rw/upper", "/rw/work"] {
        std::fs::create_dir(d).map_err(|e| format!("{d}: {e}"))?;
    }
    mount(
        "overlay",
        "/newroot",
        "overlay",
        false,
        "lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work",
    )?;
    // The host's container markers are not the guest's: a VM booted by qemu is no container,
    // and world facts read `/.dockerenv` (removed in the overlay only).
    let _ = std::fs::remove_file("/newroot/.dockerenv");
    // The host's `/tmp` as the overlay shows it, kept aside before a fresh `/tmp` hides it.
    std::fs::create_dir(HOST_TMP).map_err(|e| format!("{HOST_TMP}: {e}"))?;
    bind(Path::new("/newroot/tmp"), Path::new(HOST_TMP))?;
    let fresh: &[(&str, &str, &str, &str)] = &[
        ("proc", "/newroot/proc", "proc", ""),
        ("sysfs", "/newroot/sys", "sysfs", ""),
        ("devtmpfs", "/newroot/dev", "devtmpfs", ""),
        ("tmpfs", "/newroot/tmp", "tmpfs", "mode=1777"),
        ("tmpfs", "/newroot/run", "tmpfs", "mode=0755"),
    ];
    for (src, at, fs, data) in fresh {
        mount(src, at, fs, false, data)?;
    }
    for (at, fs, data) in [
        ("/newroot/dev/pts", "devpts", "mode=0620,ptmxmode=0666"),
        ("/newroot/dev/shm", "tmpfs", "mode=1777"),
    ] {
        let _ = std::fs::create_dir(at);
        mount(fs, at, fs, false, data)?;
    }
    for place in &request.host_tmp {
        show_host_tmp(place)?;
    }
    sys_mount::switch_root(Path::new("/newroot"))
        .map_err(|e| format!("switching root to /newroot: {e}"))?;
    crate::sys::socket::set_loopback_up().map_err(|e| format!("bringing lo up: {e}"))?;
    std::fs::create_dir_all(GUEST_RUN_DIR).map_err(|e| format!("{GUEST_RUN_DIR}: {e}"))?;
    std::fs::write(REQUEST_FILE, &text).map_err(|e| format!("{REQUEST_FILE}: {e}"))?;
    say("xpr-guest: root ready");
    let status = run_child(&request)?;
    say("xpr-guest: run finished");
    collect(&request, status)
}

/// Starts `xpr __guest-run` and reaps every process until it ends; how it ended.
fn run_child(request: &GuestRequest) -> Result<WaitStatus, String> {
    // The host's working directory, when the guest sees it (through the share), else `/`.
    let cwd = if Path::new(&request.cwd).is_dir() {
        request.cwd.as_str()
    } else {
        "/"
    };
    let child = Command::new(&request.xpr)
        .args(["__guest-run", REQUEST_FILE])
        .env_clear()
        .envs([
            (
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ),
            ("HOME", "/root"),
            ("TMPDIR", "/tmp"),
            ("LANG", "C.UTF-8"),
        ])
        .current_dir(cwd)
        .spawn()
        .map_err(|e| format!("starting {} __guest-run: {e}", request.xpr))?;
    let pid = child.id() as i32;
    // pid 1 inherits every orphan of the guest: reap them all until our child ends.
    loop {
        match process::wait(-1) {
            Ok((got, status)) if got == pid => return Ok(status),
            Ok(_) => continue,
            Err(e) => return Err(format!("waitpid: {e}")),
        }
    }
}

/// The result and, when the run wrote one, its bundle, as one stream.
fn collect(request: &GuestRequest, status: WaitStatus) -> Result<Vec<u8>, String> {
    let mut result: GuestResult = std::fs::read(RESULT_FILE)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    if result.exit_code.is_none() {
        result.message = Some(match status {
            WaitStatus::Exited(code) => {
                format!("xpr __guest-run exited {code} without a result")
            }
            WaitStatus::Signaled(sig) => format!("xpr __guest-run was killed by signal {sig}"),
        });
    }
    let mut encoder = Encoder::new();
    if let Some(bundle) = find_bundle(&request.run_id) {
        let mut files = Vec::new();
        list(&bundle, "", &mut files).map_err(|e| format!("reading the bundle: {e}"))?;
        for rel in files {
            let bytes =
                std::fs::read(bundle.join(&rel)).map_err(|e| format!("reading {rel}: {e}"))?;
            encoder.file(&rel, &bytes);
        }
    }
    Ok(encoder.finish(&result))
}

/// `GUEST_OUT/<experiment>/<run_id>/`.
fn find_bundle(run_id: &str) -> Option<std::path::PathBuf> {
    std::fs::read_dir(GUEST_OUT)
        .ok()?
        .flatten()
        .map(|e| e.path().join(run_id))
        .find(|p| p.is_dir())
}

fn list(root: &Path, rel: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(root.join(rel))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let kind = entry.file_type()?;
        if kind.is_dir() {
            list(root, &path, out)?;
        } else if kind.is_file() {
            out.push(path);
        }
    }
    out.sort();
    Ok(())
}

/// Raw mode on the result port (no newline translation), write, wait until it is sent.
fn send(bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut port = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(CHANNEL)?;
    // Best effort, as a console would: the bytes still go out if the port refuses.
    let _ = tty::make_raw(port.as_fd());
    port.write_all(bytes)?;
    let _ = tty::drain(port.as_fd());
    Ok(())
}

/// A progress line on the console with the guest's uptime (boot and run times in the log).
fn say(what: &str) {
    let uptime = std::fs::read_to_string("/proc/uptime").unwrap_or_default();
    let uptime = uptime.split(' ').next().unwrap_or("?");
    eprintln!("{what} (uptime {uptime} s)");
}

fn power_off() -> u8 {
    guest_kernel::power_off();
    1
}

fn mount(src: &str, at: &str, fs: &str, read_only: bool, data: &str) -> Result<(), String> {
    let _ = std::fs::create_dir_all(at);
    sys_mount::mount(src, Path::new(at), fs, read_only, data)
        .map_err(|e| format!("mount {fs} on {at} ({data}): {e}"))
}

/// Shows `place` (a path under the host's `/tmp`, from the request) at the same path in the
/// guest's fresh `/tmp`, writable as the rest of the root is (writes stay in the overlay).
fn show_host_tmp(place: &str) -> Result<(), String> {
    let rest = host_view::below_tmp(place)
        .ok_or_else(|| format!("the request names {place:?}, not a path below /tmp"))?;
    let from = Path::new(HOST_TMP).join(rest);
    let at = Path::new("/newroot/tmp").join(rest);
    let meta = std::fs::metadata(&from).map_err(|e| format!("{place} on the host: {e}"))?;
    let made = if meta.is_dir() {
        std::fs::create_dir_all(&at)
    } else {
        at.parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::File::create(&at).map(drop))
    };
    made.map_err(|e| format!("{}: {e}", at.display()))?;
    bind(&from, &at)
}

fn bind(from: &Path, at: &Path) -> Result<(), String> {
    sys_mount::bind(from, at)
        .map_err(|e| format!("bind {} on {}: {e}", from.display(), at.display()))
}

fn load_module(path: &str, compressed: bool) -> std::io::Result<()> {
    guest_kernel::load_module(&std::fs::File::open(path)?, compressed)
}
