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

use std::ffi::CString;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;

use super::protocol::{Encoder, GuestRequest, GuestResult};

/// Where the guest run writes its bundle and its result (inside the guest's tmpfs).
pub const GUEST_OUT: &str = "/tmp/xpr-guest-out";
pub const GUEST_RUN_DIR: &str = "/run/xpr-guest";
pub const RESULT_FILE: &str = "/run/xpr-guest/result.json";
pub const REQUEST_FILE: &str = "/run/xpr-guest/request.json";
/// The second serial port: the result channel (the first is the console).
const CHANNEL: &str = "/dev/ttyS1";
const MODULE_INIT_COMPRESSED_FILE: libc::c_uint = 4;

pub fn main() -> u8 {
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
    mount("devtmpfs", "/dev", "devtmpfs", 0, "")?;
    mount("proc", "/proc", "proc", 0, "")?;
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
        libc::MS_RDONLY,
        "trans=virtio,version=9p2000.L,cache=loose,msize=512000",
    )?;
    mount("tmpfs", "/rw", "tmpfs", 0, "mode=0755")?;
    for d in ["/rw/upper", "/rw/work"] {
        std::fs::create_dir(d).map_err(|e| format!("{d}: {e}"))?;
    }
    mount(
        "overlay",
        "/newroot",
        "overlay",
        0,
        "lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work",
    )?;
    let fresh: &[(&str, &str, &str, libc::c_ulong, &str)] = &[
        ("proc", "/newroot/proc", "proc", 0, ""),
        ("sysfs", "/newroot/sys", "sysfs", 0, ""),
        ("devtmpfs", "/newroot/dev", "devtmpfs", 0, ""),
        ("tmpfs", "/newroot/tmp", "tmpfs", 0, "mode=1777"),
        ("tmpfs", "/newroot/run", "tmpfs", 0, "mode=0755"),
    ];
    for (src, at, fs, flags, data) in fresh {
        mount(src, at, fs, *flags, data)?;
    }
    for (at, fs, data) in [
        ("/newroot/dev/pts", "devpts", "mode=0620,ptmxmode=0666"),
        ("/newroot/dev/shm", "tmpfs", "mode=1777"),
    ] {
        let _ = std::fs::create_dir(at);
        mount(fs, at, fs, 0, data)?;
    }
    switch_root("/newroot")?;
    loopback_up().map_err(|e| format!("bringing lo up: {e}"))?;
    std::fs::create_dir_all(GUEST_RUN_DIR).map_err(|e| format!("{GUEST_RUN_DIR}: {e}"))?;
    std::fs::write(REQUEST_FILE, &text).map_err(|e| format!("{REQUEST_FILE}: {e}"))?;
    say("xpr-guest: root ready");
    let status = run_child(&request)?;
    say("xpr-guest: run finished");
    collect(&request, status)
}

/// Forks `xpr __guest-run` and reaps every process until it ends; its wait status.
fn run_child(request: &GuestRequest) -> Result<i32, String> {
    let exe = CString::new(request.xpr.as_str()).map_err(|_| "xpr path has a NUL")?;
    let argv0 = exe.clone();
    let sub = CString::new("__guest-run").expect("no NUL");
    let req = CString::new(REQUEST_FILE).expect("no NUL");
    let cwd = CString::new(request.cwd.as_str()).map_err(|_| "cwd has a NUL")?;
    let env: Vec<CString> = [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME=/root",
        "TMPDIR=/tmp",
        "LANG=C.UTF-8",
    ]
    .iter()
    .map(|s| CString::new(*s).expect("no NUL"))
    .collect();
    let argv = [argv0.as_ptr(), sub.as_ptr(), req.as_ptr(), std::ptr::null()];
    let mut envp: Vec<*const libc::c_char> = env.iter().map(|e| e.as_ptr()).collect();
    envp.push(std::ptr::null());
    // SAFETY: fork in a single-threaded pid 1; the child only calls async-signal-safe chdir,
    // execve and _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        unsafe {
            if libc::chdir(cwd.as_ptr()) != 0 {
                libc::chdir(c"/".as_ptr());
            }
            libc::execve(exe.as_ptr(), argv.as_ptr(), envp.as_ptr());
            libc::_exit(127);
        }
    }
    loop {
        let mut status = 0;
        // SAFETY: waits for any child; pid 1 inherits every orphan of the guest.
        let got = unsafe { libc::waitpid(-1, &mut status, 0) };
        if got == pid {
            return Ok(status);
        }
        if got < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return Err(format!("waitpid: {}", std::io::Error::last_os_error()));
        }
    }
}

/// The result and, when the run wrote one, its bundle, as one stream.
fn collect(request: &GuestRequest, status: i32) -> Result<Vec<u8>, String> {
    let mut result: GuestResult = std::fs::read(RESULT_FILE)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    if result.exit_code.is_none() {
        result.message = Some(match (libc::WIFEXITED(status), libc::WIFSIGNALED(status)) {
            (true, _) => format!(
                "xpr __guest-run exited {} without a result",
                libc::WEXITSTATUS(status)
            ),
            (_, true) => format!(
                "xpr __guest-run was killed by signal {}",
                libc::WTERMSIG(status)
            ),
            _ => format!("xpr __guest-run ended with status {status:#x}"),
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
    let fd = port.as_raw_fd();
    // SAFETY: termios calls on an open tty fd with a zeroed, then filled, struct.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) == 0 {
            libc::cfmakeraw(&mut t);
            libc::tcsetattr(fd, libc::TCSANOW, &t);
        }
    }
    port.write_all(bytes)?;
    // SAFETY: fd is open.
    unsafe { libc::tcdrain(fd) };
    Ok(())
}

/// A progress line on the console with the guest's uptime (boot and run times in the log).
fn say(what: &str) {
    let uptime = std::fs::read_to_string("/proc/uptime").unwrap_or_default();
    let uptime = uptime.split(' ').next().unwrap_or("?");
    eprintln!("{what} (uptime {uptime} s)");
}

fn power_off() -> u8 {
    // SAFETY: sync and reboot have no memory preconditions; pid 1 may call reboot.
    unsafe {
        libc::sync();
        libc::reboot(libc::RB_POWER_OFF);
        // qemu runs with -no-reboot: a restart also ends it.
        libc::reboot(libc::RB_AUTOBOOT);
    }
    1
}

fn mount(src: &str, at: &str, fs: &str, flags: libc::c_ulong, data: &str) -> Result<(), String> {
    let _ = std::fs::create_dir_all(at);
    let c = |s: &str| CString::new(s).expect("no NUL in a constant");
    let (src_c, at_c, fs_c, data_c) = (c(src), c(at), c(fs), c(data));
    // SAFETY: NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::mount(
            src_c.as_ptr(),
            at_c.as_ptr(),
            fs_c.as_ptr(),
            flags,
            data_c.as_ptr().cast(),
        )
    };
    if rc != 0 {
        return Err(format!(
            "mount {fs} on {at} ({data}): {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// The initramfs cannot be pivoted away: move the new root over `/` and chroot into it.
fn switch_root(new_root: &str) -> Result<(), String> {
    let c = CString::new(new_root).expect("no NUL");
    // SAFETY: plain path syscalls with valid NUL-terminated strings.
    unsafe {
        if libc::chdir(c.as_ptr()) != 0
            || libc::mount(
                c".".as_ptr(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_MOVE,
                std::ptr::null(),
            ) != 0
            || libc::chroot(c".".as_ptr()) != 0
            || libc::chdir(c"/".as_ptr()) != 0
        {
            return Err(format!(
                "switching root to {new_root}: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

fn load_module(path: &str, compressed: bool) -> std::io::Result<()> {
    let file = std::fs::File::open(path)?;
    let flags = if compressed {
        MODULE_INIT_COMPRESSED_FILE
    } else {
        0
    };
    // SAFETY: finit_module reads the open fd; the parameter string is empty.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_finit_module,
            file.as_raw_fd(),
            c"".as_ptr(),
            flags,
        )
    };
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EEXIST) {
            return Err(e);
        }
    }
    Ok(())
}

/// `ip link set lo up`: the kernel gives lo 127.0.0.1 and ::1 itself.
fn loopback_up() -> std::io::Result<()> {
    // SAFETY: an ifreq for "lo" passed to SIOCGIFFLAGS/SIOCSIFFLAGS on a datagram socket.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo\0".iter().enumerate() {
            req.ifr_name[i] = *b as libc::c_char;
        }
        let mut rc = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req);
        if rc == 0 {
            req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            rc = libc::ioctl(fd, libc::SIOCSIFFLAGS, &req);
        }
        let err = std::io::Error::last_os_error();
        libc::close(fd);
        if rc != 0 {
            return Err(err);
        }
    }
    Ok(())
}
