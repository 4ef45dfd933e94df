//! `xpr worlds fetch`: downloads a world's kernel package with apt, under a private apt
//! configuration that never touches the system's (its own sources list, lists, cache and
//! locks under the world's cache directory), and checks the `.deb` against the SHA256 of
//! the archive's signed metadata.
//!
//! Why apt and not a direct HTTP download: apt checks the archive's `InRelease` signature
//! against the Debian keyring, so the SHA256 we compare is itself authenticated; xpr would
//! otherwise need its own OpenPGP verifier. apt and dpkg-deb are on every Debian host that
//! can install qemu from the same archive.

use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::cache::{
    self, CachedFile, CachedModule, KERNEL_DIR, KERNEL_RECORD, KERNEL_RECORD_SCHEMA, KernelOrigin,
    KernelRecord,
};
use super::catalogue::{KernelSource, PackageSource, WorldSpec};
use super::modules::{self, Found};

/// Why a world's kernel could not be had (an environment failure: exit 3).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("`{tool}` is not installed ({hint})")]
    MissingTool {
        tool: &'static str,
        hint: &'static str,
    },
    #[error("apt {step} failed: {detail}")]
    Apt { step: &'static str, detail: String },
    #[error(
        "{file}: SHA256 {actual} ({actual_size} bytes) differs from the archive's {expected} ({expected_size} bytes)"
    )]
    Digest {
        file: String,
        expected: String,
        expected_size: u64,
        actual: String,
        actual_size: u64,
    },
    #[error("{0}")]
    Layout(String),
    #[error("kernel cache: {0}")]
    Io(#[from] io::Error),
}

/// Each module to load, in order, with where its file is.
pub(crate) type ModuleFiles = Vec<(CachedModule, PathBuf)>;

/// A world's kernel ready to boot: the record (facts) and where its files are.
#[derive(Clone, Debug)]
pub struct Kernel {
    pub record: KernelRecord,
    pub image: PathBuf,
    pub modules: ModuleFiles,
}

/// The cached kernel of a package world, with every file's digest re-checked; `None` when
/// nothing complete is cached.
pub(crate) fn cached(spec: &WorldSpec) -> Result<Option<Kernel>, FetchError> {
    let dir = cache::world_dir(&spec.name)?;
    let Some(record) = cache::read_record(&dir) else {
        return Ok(None);
    };
    let kdir = dir.join(KERNEL_DIR);
    let check = |f: &str, digest: &str| -> Result<PathBuf, FetchError> {
        let path = kdir.join(f);
        if f.contains('/') || cache::blake3_file(&path)? != digest {
            return Err(FetchError::Layout(format!(
                "cached {} does not match {KERNEL_RECORD}; run `xpr worlds fetch {}` again",
                path.display(),
                spec.name
            )));
        }
        Ok(path)
    };
    let image = check(&record.image.file, &record.image.blake3)?;
    let mut modules = Vec::new();
    for m in &record.modules {
        modules.push((m.clone(), check(&m.file, &m.blake3)?));
    }
    if record.world != spec.name || !covers(&record, &spec.modules) {
        return Ok(None); // the catalogue changed: fetch again
    }
    Ok(Some(Kernel {
        record,
        image,
        modules,
    }))
}

/// Whether a record covers exactly the modules the catalogue lists (a changed list means
/// fetching again).
fn covers(record: &KernelRecord, listed: &[String]) -> bool {
    let mut have: Vec<&String> = record.modules.iter().map(|m| &m.name).collect();
    have.extend(&record.builtin);
    have.sort();
    let mut want: Vec<&String> = listed.iter().collect();
    want.sort();
    have == want
}

/// The world's kernel: the cache for a package world (fetching it when absent), the files
/// themselves for an image world.
pub fn kernel(spec: &WorldSpec, log: &mut dyn FnMut(&str)) -> Result<Kernel, FetchError> {
    match &spec.kernel {
        Some(KernelSource::Package(_)) => match cached(spec)? {
            Some(k) => Ok(k),
            None => {
                fetch(spec, log)?;
                cached(spec)?.ok_or_else(|| {
                    FetchError::Layout("the fetched kernel is not in the cache".into())
                })
            }
        },
        Some(KernelSource::Image {
            kernel,
            modules_dir,
        }) => image_kernel(spec, kernel, modules_dir.as_deref()),
        None => Err(FetchError::Layout(format!(
            "world `{}` boots no kernel",
            spec.name
        ))),
    }
}

fn image_kernel(
    spec: &WorldSpec,
    image: &Path,
    modules_dir: Option<&Path>,
) -> Result<Kernel, FetchError> {
    let (sha256, size) = cache::sha256_file(image)
        .map_err(|e| FetchError::Layout(format!("kernel image {}: {e}", image.display())))?;
    let file = image
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let found = match modules_dir {
        Some(dir) => modules::resolve(dir, &spec.modules).map_err(FetchError::Layout)?,
        None if spec.modules.is_empty() => Vec::new(),
        None => {
            return Err(FetchError::Layout(format!(
                "world `{}` lists modules but its `kernel` has no modules-dir=",
                spec.name
            )));
        }
    };
    let (modules, builtin) = module_records(&found, None)?;
    let release = file.strip_prefix("vmlinuz-").unwrap_or(&file).to_string();
    Ok(Kernel {
        record: KernelRecord {
            schema_version: KERNEL_RECORD_SCHEMA.into(),
            world: spec.name.clone(),
            source: KernelOrigin::Image {
                file: file.clone(),
                sha256,
                size,
            },
            kernel_release: release,
            image: CachedFile {
                file,
                blake3: cache::blake3_file(image)?,
            },
            modules: modules.iter().map(|(m, _)| m.clone()).collect(),
            builtin,
        },
        image: image.to_path_buf(),
        modules,
    })
}

/// Module records and files; with `copy_to`, each module file is copied there first.
fn module_records(
    found: &[(String, Found)],
    copy_to: Option<&Path>,
) -> Result<(ModuleFiles, Vec<String>), FetchError> {
    let mut modules = Vec::new();
    let mut builtin = Vec::new();
    for (name, f) in found {
        match f {
            Found::Builtin => builtin.push(name.clone()),
            Found::File { path, compressed } => {
                let file = path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let path = match copy_to {
                    Some(dir) => {
                        let to = dir.join(&file);
                        fs::copy(path, &to)?;
                        to
                    }
                    None => path.clone(),
                };
                let record = CachedModule {
                    name: name.clone(),
                    blake3: cache::blake3_file(&path)?,
                    file,
                    compressed: *compressed,
                };
                modules.push((record, path));
            }
        }
    }
    Ok((modules, builtin))
}

/// Downloads the package world's kernel into the cache (replacing what was there).
pub(crate) fn fetch(
    spec: &WorldSpec,
    log: &mut dyn FnMut(&str),
) -> Result<KernelRecord, FetchError> {
    let Some(KernelSource::Package(pkg)) = &spec.kernel else {
        return Err(FetchError::Layout(format!(
            "world `{}` has no package to fetch",
            spec.name
        )));
    };
    for (tool, hint) in [
        ("apt-get", "xpr fetches Debian kernels with apt"),
        ("apt-cache", "part of apt"),
        ("dpkg-deb", "part of dpkg"),
    ] {
        if find_in_path(tool).is_none() {
            return Err(FetchError::MissingTool { tool, hint });
        }
    }
    let dir = cache::world_dir(&spec.name)?;
    let apt = Apt::prepare(&dir.join("apt"), pkg)?;
    log(&format!(
        "{}: apt update ({} {})",
        spec.name, pkg.mirror, pkg.suite
    ));
    apt.run("update", "apt-get", &["update"])?;
    let (package, version) = apt.resolve(pkg)?;
    let target = format!("{package}={version}");
    let uris = apt.run(
        "download --print-uris",
        "apt-get",
        &["download", "--print-uris", &target],
    )?;
    let (deb_name, size, sha256) = parse_print_uris(&uris).ok_or_else(|| FetchError::Apt {
        step: "download --print-uris",
        detail: format!("no URI line for {target} in {uris:?}"),
    })?;
    let staging = dir.join(format!(".fetch-{}", crate::execute::short_random()));
    fs::DirBuilder::new().mode(0o700).create(&staging)?;
    let result = (|| {
        log(&format!(
            "{}: downloading {deb_name} ({size} bytes)",
            spec.name
        ));
        apt.run_in("download", "apt-get", &["download", &target], &staging)?;
        let deb = staging.join(&deb_name);
        let (actual, actual_size) = cache::sha256_file(&deb)?;
        if actual != sha256 || actual_size != size {
            return Err(FetchError::Digest {
                file: deb_name.clone(),
                expected: sha256.clone(),
                expected_size: size,
                actual,
                actual_size,
            });
        }
        let tree = staging.join("tree");
        let out = Command::new("dpkg-deb")
            .arg("-x")
            .arg(&deb)
            .arg(&tree)
            .output()?;
        if !out.status.success() {
            return Err(FetchError::Layout(format!(
                "dpkg-deb -x {deb_name}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let kdir = staging.join(KERNEL_DIR);
        fs::DirBuilder::new().mode(0o700).create(&kdir)?;
        let (image, release) = find_image(&tree)?;
        let modules_tree = ["lib/modules", "usr/lib/modules"]
            .iter()
            .map(|m| tree.join(m).join(&release))
            .find(|p| p.is_dir())
            .ok_or_else(|| {
                FetchError::Layout(format!("{deb_name} has no modules for {release}"))
            })?;
        let found = modules::resolve(&modules_tree, &spec.modules).map_err(FetchError::Layout)?;
        if found.iter().any(|(_, f)| {
            matches!(
                f,
                Found::File {
                    compressed: true,
                    ..
                }
            )
        }) && !kernel_decompresses_modules(&tree.join("boot").join(format!("config-{release}")))
        {
            return Err(FetchError::Layout(format!(
                "{deb_name}: its modules are compressed and the kernel was built without \
                 CONFIG_MODULE_DECOMPRESS, so its init could not load them"
            )));
        }
        // Boot the uncompressed kernel when it can be had (much faster under emulation).
        let image_file = match super::vmlinux::extract(&fs::read(&image)?) {
            Ok(elf) => {
                fs::write(kdir.join("vmlinux"), elf)?;
                "vmlinux"
            }
            Err(why) => {
                log(&format!(
                    "{}: booting the compressed image ({why})",
                    spec.name
                ));
                fs::copy(&image, kdir.join("vmlinuz"))?;
                "vmlinuz"
            }
        };
        let (modules, builtin) = module_records(&found, Some(&kdir))?;
        let modules = modules.into_iter().map(|(m, _)| m).collect();
        let record = KernelRecord {
            schema_version: KERNEL_RECORD_SCHEMA.into(),
            world: spec.name.clone(),
            source: KernelOrigin::Package {
                requested: pkg.package.clone(),
                package: package.clone(),
                version: version.clone(),
                suite: pkg.suite.clone(),
                mirror: pkg.mirror.clone(),
                sha256: sha256.clone(),
                size,
            },
            kernel_release: release,
            image: CachedFile {
                file: image_file.into(),
                blake3: cache::blake3_file(&kdir.join(image_file))?,
            },
            modules,
            builtin,
        };
        let mut json = serde_json::to_vec_pretty(&record).map_err(io::Error::other)?;
        json.push(b'\n');
        fs::write(kdir.join(KERNEL_RECORD), json)?;
        // Swap in the complete directory; the old one (if any) goes only after.
        let final_dir = dir.join(KERNEL_DIR);
        let old = dir.join(format!(".old-{}", crate::execute::short_random()));
        if final_dir.exists() {
            fs::rename(&final_dir, &old)?;
        }
        fs::rename(&kdir, &final_dir)?;
        let _ = fs::remove_dir_all(&old);
        Ok(record)
    })();
    let _ = fs::remove_dir_all(&staging);
    result
}

/// `boot/vmlinuz-<release>`: exactly one.
fn find_image(tree: &Path) -> Result<(PathBuf, String), FetchError> {
    let boot = tree.join("boot");
    let mut images: Vec<(PathBuf, String)> = fs::read_dir(&boot)
        .map_err(|e| FetchError::Layout(format!("the package has no boot/: {e}")))?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let release = name.strip_prefix("vmlinuz-")?.to_string();
            Some((e.path(), release))
        })
        .collect();
    if images.len() != 1 {
        return Err(FetchError::Layout(format!(
            "the package has {} boot/vmlinuz-* images, not one",
            images.len()
        )));
    }
    Ok(images.remove(0))
}

fn kernel_decompresses_modules(config: &Path) -> bool {
    fs::read_to_string(config)
        .map(|t| t.lines().any(|l| l.trim() == "CONFIG_MODULE_DECOMPRESS=y"))
        .unwrap_or(false)
}

/// `'URI' FILE SIZE SHA256:HEX` → (file, size, hex).
fn parse_print_uris(text: &str) -> Option<(String, u64, String)> {
    let line = text.lines().find(|l| l.starts_with('\''))?;
    let mut parts = line.split_whitespace().skip(1);
    let file = parts.next()?.to_string();
    let size = parts.next()?.parse().ok()?;
    let sha = parts.next()?.strip_prefix("SHA256:")?.to_ascii_lowercase();
    let safe = !file.contains('/') && !file.starts_with('.') && file.ends_with(".deb");
    (safe && sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit()))
        .then_some((file, size, sha))
}

pub fn find_in_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// One private apt configuration: every state and cache directory under `root`.
struct Apt {
    root: PathBuf,
}

impl Apt {
    fn prepare(root: &Path, pkg: &PackageSource) -> Result<Apt, FetchError> {
        for sub in ["etc", "lists/partial", "cache/archives/partial"] {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(root.join(sub))?;
        }
        let line = format!(
            "deb [signed-by={}] {} {} main\n",
            pkg.keyring, pkg.mirror, pkg.suite
        );
        fs::write(root.join("etc/sources.list"), line)?;
        Ok(Apt {
            root: root.to_path_buf(),
        })
    }

    fn options(&self) -> Vec<String> {
        let r = self.root.display();
        vec![
            format!("-oDir::Etc::sourcelist={r}/etc/sources.list"),
            "-oDir::Etc::sourceparts=-".into(),
            format!("-oDir::State::Lists={r}/lists"),
            format!("-oDir::Cache={r}/cache"),
            // Files in a private directory stay ours; apt's `_apt` user could not write them.
            "-oAPT::Sandbox::User=root".into(),
            "-oAcquire::Languages=none".into(),
            "-oAcquire::IndexTargets::deb::DEP-11::DefaultEnabled=false".into(),
            "-oAcquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false".into(),
            "-oAcquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false".into(),
            "-q".into(),
        ]
    }

    fn run(&self, step: &'static str, tool: &str, args: &[&str]) -> Result<String, FetchError> {
        self.run_in(step, tool, args, &self.root)
    }

    fn run_in(
        &self,
        step: &'static str,
        tool: &str,
        args: &[&str],
        cwd: &Path,
    ) -> Result<String, FetchError> {
        let out = Command::new(tool)
            .args(self.options())
            .args(args)
            .current_dir(cwd)
            .env("LC_ALL", "C")
            .output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        // apt exits 0 on some failed downloads of `update`; its `E:` / `W: Failed` lines say so.
        let failed_line = stderr
            .lines()
            .find(|l| l.starts_with("E:") || l.starts_with("W: Failed") || l.starts_with("Err:"));
        if !out.status.success() || failed_line.is_some() {
            let detail = failed_line.map_or_else(|| stderr.trim().to_string(), str::to_string);
            return Err(FetchError::Apt { step, detail });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The kernel package and version to download: the named one, or the `linux-image-*`
    /// package a metapackage depends on.
    fn resolve(&self, pkg: &PackageSource) -> Result<(String, String), FetchError> {
        let mut name = pkg.package.clone();
        let mut version = pkg.version.clone();
        for _ in 0..2 {
            let target = match &version {
                Some(v) => format!("{name}={v}"),
                None => name.clone(),
            };
            let text = self.run("show", "apt-cache", &["show", "--no-all-versions", &target])?;
            let field = |key: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                    .map(|v| v.trim().to_string())
            };
            let this_version = field("Version").ok_or_else(|| FetchError::Apt {
                step: "show",
                detail: format!("no Version for {target}"),
            })?;
            let kernel_dep = field("Depends").and_then(|deps| {
                deps.split(',')
                    .map(str::trim)
                    .find(|d| {
                        d.strip_prefix("linux-image-")
                            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
                    })
                    .map(str::to_string)
            });
            match kernel_dep {
                Some(dep) if name == pkg.package => {
                    // `linux-image-6.1.0-50-amd64 (= 6.1.176-1)`
                    let mut parts = dep.splitn(2, ' ');
                    name = parts.next().unwrap_or_default().to_string();
                    version = parts
                        .next()
                        .and_then(|v| v.trim().strip_prefix("(="))
                        .and_then(|v| v.strip_suffix(')'))
                        .map(|v| v.trim().to_string());
                }
                _ => return Ok((name, this_version)),
            }
        }
        Err(FetchError::Apt {
            step: "show",
            detail: format!("{} does not lead to a kernel package", pkg.package),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_uris_lines() {
        let line = "'http://deb.debian.org/debian/pool/main/l/linux-signed-amd64/linux-image-6.1.0-50-amd64_6.1.176-1_amd64.deb' linux-image-6.1.0-50-amd64_6.1.176-1_amd64.deb 70305560 SHA256:7b5597492a0a65aee61985a492e6bcc3f2cde830072a0e3b3d8c7e1b90279bd3\n";
        let (file, size, sha) = parse_print_uris(line).unwrap();
        assert_eq!(file, "linux-image-6.1.0-50-amd64_6.1.176-1_amd64.deb");
        assert_eq!(size, 70305560);
        assert!(sha.starts_with("7b55"));
        assert!(parse_print_uris("'u' ../evil.deb 1 SHA256:00").is_none());
        assert!(parse_print_uris("").is_none());
    }
}
