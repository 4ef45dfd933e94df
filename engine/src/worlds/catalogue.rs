//! The world catalogue: `std/worlds.kdl` plus the user's `--world-file` files, decoded into
//! [`WorldSpec`]s. Every mistake of every file is a diagnostic with `file:line:col`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kdl::KdlNode;
use miette::SourceSpan;

use crate::decode::node_reader::Reader;
use crate::diagnostics::{Diag, Diagnostics, codes, suggest};
use crate::source::loader::parse;
use crate::source::{SourceFile, stdlib};
use crate::sys::input::{InputError, read_given};

/// The world that is this machine: no virtual machine.
pub const HOST: &str = "host";
pub(crate) const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";
pub(crate) const DEFAULT_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";
/// Boot plus run; a guest still running after it is stopped (exit 3).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
pub(crate) const DEFAULT_MEMORY_MIB: u32 = 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorldSpec {
    pub name: String,
    pub description: String,
    /// `None` for `host`.
    pub kernel: Option<KernelSource>,
    /// Loaded in order by the guest's init; built-in ones are skipped.
    pub modules: Vec<String>,
    pub timeout: Duration,
    pub memory_mib: u32,
    /// The Landlock ABI the world's kernel offers, as the catalogue declares it (`landlock-abi
    /// N`, 0: no Landlock), so `check --world` can compile for it without booting it. `None`
    /// for `host` (detected) and for worlds that do not declare it.
    pub landlock_abi: Option<u32>,
    /// `std/worlds.kdl` or the user's file as given.
    pub defined_in: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelSource {
    /// An apt package from a Debian-style archive.
    Package(PackageSource),
    /// A kernel image (and its modules) on disk, paths relative to the declaring file.
    Image {
        kernel: PathBuf,
        modules_dir: Option<PathBuf>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageSource {
    pub package: String,
    pub suite: String,
    pub mirror: String,
    pub keyring: String,
    /// Pin one version; otherwise the suite's current one is fetched (and recorded).
    pub version: Option<String>,
}

impl WorldSpec {
    #[cfg(test)]
    fn is_host(&self) -> bool {
        self.kernel.is_none()
    }
}

#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    pub worlds: Vec<WorldSpec>,
}

impl Catalogue {
    /// The stdlib catalogue followed by each user file, in order.
    pub fn load(user_files: &[PathBuf]) -> Result<Catalogue, Diagnostics> {
        let mut diags = Diagnostics::new();
        let mut catalogue = Catalogue::default();
        let mut first: HashMap<String, (Arc<SourceFile>, SourceSpan)> = HashMap::new();
        let stdlib_text = stdlib::get("worlds").unwrap_or_default().to_string();
        let mut files = vec![source_file(0, "std/worlds.kdl".into(), None, stdlib_text)];
        for (i, path) in user_files.iter().enumerate() {
            match read_bounded(path) {
                Ok(text) => files.push(source_file(
                    i + 1,
                    path.display().to_string(),
                    Some(path.clone()),
                    text,
                )),
                Err(e) => diags.push(Diag::error(
                    codes::IO,
                    format!("cannot read world file {}: {e}", path.display()),
                )),
            }
        }
        for file in files {
            let doc = match parse(&file) {
                Ok(doc) => doc,
                Err(errors) => {
                    for d in errors {
                        diags.push(d);
                    }
                    continue;
                }
            };
            let mut r = Reader {
                file: &file,
                diags: &mut diags,
            };
            for node in doc.nodes() {
                if node.name().value() != "world" {
                    r.unknown_node(node, "a world file", &["world"]);
                    continue;
                }
                let Some(spec) = decode_world(&mut r, node) else {
                    continue;
                };
                if let Some((other, span)) = first.get(&spec.name) {
                    let diag = Diag::error(
                        codes::DUPLICATE_NAME,
                        format!("world `{}` is declared twice", spec.name),
                    )
                    .at(&file, node.name().span(), "declared again here")
                    .note_at(other, *span, "first declared here");
                    r.push(diag);
                    continue;
                }
                first.insert(spec.name.clone(), (file.clone(), node.name().span()));
                catalogue.worlds.push(spec);
            }
        }
        if diags.has_errors() {
            diags.sort();
            return Err(diags);
        }
        Ok(catalogue)
    }

    pub fn get(&self, name: &str) -> Option<&WorldSpec> {
        self.worlds.iter().find(|w| w.name == name)
    }

    /// The world named `name`, or a message with "did you mean" and the list.
    pub(crate) fn find(&self, name: &str) -> Result<&WorldSpec, String> {
        self.get(name).ok_or_else(|| {
            let names = self.worlds.iter().map(|w| w.name.as_str());
            let hint = suggest::did_you_mean(name, names.clone())
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            format!(
                "unknown world `{name}`; {hint}known worlds: {} (add your own with --world-file FILE)",
                names.collect::<Vec<_>>().join(", ")
            )
        })
    }
}

fn source_file(id: usize, display: String, path: Option<PathBuf>, text: String) -> Arc<SourceFile> {
    let stdlib = path.is_none().then(|| "worlds".to_string());
    Arc::new(SourceFile {
        id,
        artifact: display.clone(),
        display,
        path,
        stdlib,
        text: Arc::new(text),
    })
}

/// Whether `path` is a world catalogue: valid KDL whose nodes are all `world`.
pub(crate) fn is_world_file(path: &Path) -> bool {
    read_bounded(path)
        .ok()
        .and_then(|text| parse(&source_file(0, String::new(), None, text)).ok())
        .is_some_and(|doc| {
            !doc.nodes().is_empty() && doc.nodes().iter().all(|n| n.name().value() == "world")
        })
}

/// Whether `path` holds exactly the embedded `std/worlds.kdl`.
pub(crate) fn is_stdlib_catalogue(path: &Path) -> bool {
    read_bounded(path).is_ok_and(|text| Some(text.as_str()) == stdlib::get("worlds"))
}

/// A world file is small and read like any file an input names: a regular file (never a FIFO
/// or a device), at most 1 MiB, UTF-8.
fn read_bounded(path: &Path) -> Result<String, InputError> {
    let bytes = read_given(path, 1 << 20)?;
    String::from_utf8(bytes).map_err(|_| InputError::Io(std::io::Error::other("not UTF-8")))
}

const CHILDREN: &[&str] = &[
    "description",
    "package",
    "kernel",
    "modules",
    "timeout",
    "memory",
    "landlock-abi",
];

fn decode_world(r: &mut Reader<'_>, node: &KdlNode) -> Option<WorldSpec> {
    r.props(node, &[], false);
    let name = r.one_arg(node, "a world name")?;
    if !valid_name(&name.value) {
        r.error(
            codes::INVALID_VALUE,
            name.span,
            format!("invalid world name `{}`", name.value),
            "not a world name",
        );
        return None;
    }
    let base = r
        .file
        .path
        .as_ref()
        .and_then(|p| p.parent())
        .map(Path::to_path_buf);
    let mut spec = WorldSpec {
        name: name.value.clone(),
        description: String::new(),
        kernel: None,
        modules: Vec::new(),
        timeout: DEFAULT_TIMEOUT,
        memory_mib: DEFAULT_MEMORY_MIB,
        landlock_abi: None,
        defined_in: r.file.display.clone(),
    };
    let mut seen = HashMap::new();
    for child in r.children(node) {
        let kind = child.name().value();
        if !CHILDREN.contains(&kind) {
            r.unknown_node(child, "a world", CHILDREN);
            continue;
        }
        if !r.once(&mut seen, child) {
            continue;
        }
        match kind {
            "description" => {
                r.props(child, &[], false);
                spec.description = r.one_arg(child, "a description")?.value;
            }
            "package" => spec.kernel = decode_package(r, child).or(spec.kernel),
            "kernel" => {
                let props = r.props(child, &["modules-dir"], false);
                let image = r.one_arg(child, "a kernel image path")?;
                let modules_dir = r.text_prop(&props, "modules-dir");
                let resolve = |p: &str| match &base {
                    Some(b) => b.join(p),
                    None => PathBuf::from(p),
                };
                spec.kernel = Some(KernelSource::Image {
                    kernel: resolve(&image.value),
                    modules_dir: modules_dir.map(|m| resolve(&m.value)),
                });
            }
            "modules" => {
                r.props(child, &[], false);
                spec.modules = r
                    .all_args(child, "module names", 1)
                    .into_iter()
                    .map(|t| t.value)
                    .collect();
            }
            "timeout" => {
                r.props(child, &[], false);
                let t = r.one_arg(child, "a duration")?;
                match crate::resolve::parse_duration(&t.value) {
                    Some(d) => spec.timeout = d,
                    None => r.error(
                        codes::INVALID_VALUE,
                        t.span,
                        format!("invalid timeout `{}`", t.value),
                        "not a duration",
                    ),
                }
            }
            "memory" => {
                r.props(child, &[], false);
                let m = r.one_arg(child, "a size in MiB")?;
                match m
                    .value
                    .strip_suffix("M")
                    .and_then(|n| n.parse::<u32>().ok())
                {
                    Some(n) if (256..=16384).contains(&n) => spec.memory_mib = n,
                    _ => r.error(
                        codes::INVALID_VALUE,
                        m.span,
                        format!("invalid memory size `{}`", m.value),
                        "write 256M to 16384M",
                    ),
                }
            }
            "landlock-abi" => {
                r.props(child, &[], false);
                r.no_children(child);
                let args = r.args(child);
                r.max_args(child, &args, 1);
                match args.first() {
                    Some(entry) => {
                        if let Some(n) = r.int_in(entry, "`landlock-abi`", 0, 64) {
                            spec.landlock_abi = u32::try_from(n.value).ok();
                        }
                    }
                    None => r.missing_arg(child, "an ABI version (0: no Landlock)"),
                }
            }
            _ => unreachable!("checked against CHILDREN"),
        }
    }
    let has_package = seen.contains_key("package");
    let has_kernel = seen.contains_key("kernel");
    if has_package && has_kernel {
        r.push(
            Diag::error(
                codes::WORLD_KERNEL,
                format!(
                    "world `{}` names both a package and a kernel image",
                    spec.name
                ),
            )
            .at(r.file, node.name().span(), "two kernel sources")
            .help("keep `package` (fetched with apt) or `kernel` (a file), not both"),
        );
        return None;
    }
    let is_host = spec.name == HOST;
    if is_host != (!has_package && !has_kernel) {
        let (message, help) = if is_host {
            (
                "`host` is this machine and boots no kernel",
                "remove `package`/`kernel`",
            )
        } else {
            (
                "a world needs a kernel: `package NAME suite=SUITE` or `kernel \"FILE\"`",
                "see std/worlds.kdl for examples",
            )
        };
        r.push(
            Diag::error(codes::WORLD_KERNEL, message)
                .at(r.file, node.name().span(), "here")
                .help(help),
        );
        return None;
    }
    Some(spec)
}

fn decode_package(r: &mut Reader<'_>, node: &KdlNode) -> Option<KernelSource> {
    let props = r.props(node, &["suite", "mirror", "keyring", "version"], false);
    let package = r.one_arg(node, "a package name")?;
    let suite = r.text_prop(&props, "suite");
    let Some(suite) = suite else {
        r.error(
            codes::MISSING_PROPERTY,
            node.name().span(),
            "`package` needs `suite=`",
            "missing suite",
        );
        return None;
    };
    let checks = [
        (&package, valid_apt_word as fn(&str) -> bool),
        (&suite, valid_apt_word),
    ];
    for (text, ok) in checks {
        if !ok(&text.value) {
            r.error(
                codes::INVALID_VALUE,
                text.span,
                format!("invalid value `{}`", text.value),
                "letters, digits and . + - ~ _ only",
            );
            return None;
        }
    }
    let mirror = r.text_prop(&props, "mirror");
    if let Some(m) = &mirror
        && !valid_mirror(&m.value)
    {
        r.error(
            codes::INVALID_VALUE,
            m.span,
            format!("invalid mirror `{}`", m.value),
            "an http:// or https:// URL without spaces",
        );
        return None;
    }
    let version = r.text_prop(&props, "version");
    if let Some(v) = &version
        && !valid_apt_word(&v.value)
    {
        r.error(
            codes::INVALID_VALUE,
            v.span,
            format!("invalid version `{}`", v.value),
            "not a Debian version",
        );
        return None;
    }
    Some(KernelSource::Package(PackageSource {
        package: package.value,
        suite: suite.value,
        mirror: mirror.map_or_else(|| DEFAULT_MIRROR.to_string(), |m| m.value),
        keyring: r
            .text_prop(&props, "keyring")
            .map_or_else(|| DEFAULT_KEYRING.to_string(), |k| k.value),
        version: version.map(|v| v.value),
    }))
}

/// World names name cache directories and appear in world ids: `[a-z0-9][a-z0-9.-]{0,63}`.
pub(crate) fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
}

fn valid_mirror(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://"))
        && !url.contains(|c: char| c.is_whitespace() || c == ']' || c == '[')
}

/// Package names, suites and versions go on apt's command line: no spaces, no options.
fn valid_apt_word(word: &str) -> bool {
    !word.is_empty()
        && !word.starts_with('-')
        && word.len() <= 128
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".+-~_:".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdlib_catalogue_has_the_four_worlds() {
        let c = Catalogue::load(&[]).expect("stdlib catalogue");
        let names: Vec<_> = c.worlds.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(
            names,
            ["host", "debian-11-5.10", "debian-12-6.1", "debian-12-6.12"]
        );
        let w = c.get("debian-12-6.12").unwrap();
        let Some(KernelSource::Package(p)) = &w.kernel else {
            panic!("a package world")
        };
        assert_eq!(p.suite, "bookworm-backports");
        assert_eq!(p.mirror, DEFAULT_MIRROR);
        assert!(c.get(HOST).unwrap().is_host());
    }

    #[test]
    fn unknown_world_suggests() {
        let c = Catalogue::load(&[]).unwrap();
        let e = c.find("debain-12-6.1").unwrap_err();
        assert!(e.contains("did you mean `debian-12-6.1`"), "{e}");
    }

    #[test]
    fn names_are_cache_safe() {
        assert!(valid_name("debian-12-6.1"));
        for bad in ["", "../x", "A", "-x", "a/b", "a b"] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert!(!valid_apt_word("-oAPT::x=1"));
        assert!(!valid_apt_word("a b"));
    }
}
