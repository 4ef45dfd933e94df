//! The guest's initramfs, generated per run: the host's own `xpr` as `/xpr` (the init) with
//! its ELF interpreter and shared libraries at their host paths, the world's modules under
//! `/modules/`, the request at `/request.json`, and the empty mount points the init uses.
//! Nothing else: the experiment's userland comes from the host's shared root.

use std::io;
use std::path::{Path, PathBuf};

use super::cache::CachedModule;

use super::cpio::Cpio;
use super::protocol::GuestRequest;

/// Mount points `guest_init` needs before it can create anything.
const DIRS: &[&str] = &["dev", "proc", "host", "rw", "newroot"];

pub(crate) fn build(
    xpr: &Path,
    modules: &[(CachedModule, PathBuf)],
    request: &GuestRequest,
) -> io::Result<Vec<u8>> {
    let mut cpio = Cpio::new();
    for d in DIRS {
        cpio.dir(d);
    }
    let program = xpr
        .to_str()
        .ok_or_else(|| io::Error::other("xpr path is not UTF-8"))?;
    let deps = crate::oracle::exec_deps::exec_deps(program)
        .ok_or_else(|| io::Error::other(format!("{program} is not an ELF program xpr can read")))?;
    if !deps.unresolved.is_empty() {
        return Err(io::Error::other(format!(
            "cannot find the libraries {} of {program}",
            deps.unresolved.join(", ")
        )));
    }
    cpio.file("xpr", 0o755, &std::fs::read(xpr)?);
    for lib in deps.interpreter.iter().chain(&deps.libraries) {
        cpio.file(lib, 0o755, &std::fs::read(lib)?);
    }
    for (module, path) in modules {
        cpio.file(
            &format!("modules/{}", module.file),
            0o644,
            &std::fs::read(path)?,
        );
    }
    let json = serde_json::to_vec(request).map_err(io::Error::other)?;
    cpio.file("request.json", 0o644, &json);
    Ok(cpio.finish())
}
