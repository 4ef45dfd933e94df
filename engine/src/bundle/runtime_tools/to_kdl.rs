//! A starting xpr experiment (`.kdl`) from a runtime-tools bundle's expected matrix.
//!
//! Profiles and probes keep runtime-tools' names (see [`super::ids`]), so the re-run's
//! expectation ids equal the imported view's and `xpr diff` can compare the two runs. A base
//! profile found under `--sbpl-dir` (by file name or `<suite>__<file name>`, the corpus
//! convention) is referenced with `sbpl="…"` relative to the output file; otherwise a
//! placeholder profile is written with the original path in a comment. Operations without an
//! xpr probe family are kept as comments, never dropped silently.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use super::bundle::RuntimeToolsBundle;
use super::ids;

pub struct Options {
    /// Where to look for base `.sb` profiles.
    pub sbpl_dir: Option<PathBuf>,
    /// The directory the `.kdl` is written to (`sbpl=` paths are relative to it).
    pub output_dir: PathBuf,
}

pub struct Imported {
    pub text: String,
    /// Everything the user must finish by hand: placeholders, unmapped operations.
    pub warnings: Vec<String>,
}

/// The xpr probe family (stdlib `families.kdl`) that performs a Seatbelt operation, if any.
pub(crate) fn family_for(operation: &str) -> Option<&'static str> {
    Some(match operation {
        "mach-lookup" => "mach-lookup",
        "file-read*" | "file-read-data" => "file-read",
        "file-write*" | "file-write-data" => "file-write",
        "file-write-create" => "file-create",
        "file-write-unlink" => "file-unlink",
        "file-ioctl" => "ioctl-dev",
        "network-outbound" => "tcp-connect",
        "network-bind" => "tcp-bind",
        "signal" => "signal",
        "sysctl-read" => "sysctl-read",
        op if op.starts_with("process-info") => "process-info",
        "darwin-notification-post" | "distributed-notification-post" | "notification-post" => {
            "notification-post"
        }
        op if op.starts_with("iokit-open") => "iokit-open",
        "process-exec" | "process-exec*" => "exec",
        _ => return None,
    })
}

/// `s` as a KDL 2 quoted string that holds exactly `s`: `"` and `\\` escaped, and every
/// character other than printable ASCII and Unicode letters and digits written `\u{…}`. So no
/// KDL newline (`\n`, `\r`, U+000B, U+000C, U+0085, U+2028, U+2029), control, bidi or other
/// format character, BOM or unassigned code point is ever copied literally: the string cannot
/// end early, end a comment it sits in, or change how the text around it reads.
fn kdl_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_literal(c) => out.push(c),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Characters copied as they are: printable ASCII and Unicode letters and digits.
fn is_literal(c: char) -> bool {
    matches!(c, ' '..='~') || (!c.is_ascii() && c.is_alphanumeric())
}

/// Bundle text inside a `//` comment: as it is when every character is [`is_literal`],
/// otherwise as an escaped string ([`kdl_str`]), so nothing in it can end the comment.
fn comment(s: &str) -> String {
    if s.chars().all(is_literal) {
        s.to_string()
    } else {
        kdl_str(s)
    }
}

/// Whether xpr would read `{name}` in `s` as a parameter placeholder (spec §2.1): a string
/// holding one cannot be written as a value without changing it, and xpr has no escape.
fn has_placeholder(s: &str) -> bool {
    s.match_indices('{').any(|(i, _)| {
        let rest = &s[i + 1..];
        let Some(close) = rest.find('}') else {
            return false;
        };
        crate::resolve::is_placeholder_name(&rest[..close])
    })
}

fn last_component(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The suite name in a runtime-tools path `…/suites/<suite>/…`.
fn suite_of(path: &str) -> Option<&str> {
    let mut parts = path.split('/');
    parts.find(|p| *p == "suites")?;
    parts.next()
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    })
}

/// `to` relative to the directory `from` (both made absolute), with `/` separators.
fn relative(from: &Path, to: &Path) -> String {
    let (from, to) = (absolute(from), absolute(to));
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

fn find_sbpl(dir: &Path, recorded: &str) -> Option<PathBuf> {
    let file = last_component(recorded);
    let mut candidates = vec![dir.join(file)];
    if let Some(suite) = suite_of(recorded) {
        candidates.push(dir.join(format!("{suite}__{file}")));
    }
    candidates.into_iter().find(|p| p.is_file())
}

struct Probe {
    name: String,
    operation: String,
    target: Option<String>,
    family: Option<&'static str>,
    notes: Vec<String>,
}

impl Probe {
    /// Why the probe is written as a comment only, if it is: (the comment, the warning).
    fn kept_out(&self) -> Option<(String, String)> {
        match (self.family, &self.target) {
            (None, _) => Some((
                format!("no xpr probe family performs {}", comment(&self.operation)),
                format!("no xpr probe family for operation {}", self.operation),
            )),
            (_, Some(t)) if has_placeholder(t) => {
                let why = "its target holds `{…}`, which xpr would read as a parameter";
                Some((why.to_string(), why.to_string()))
            }
            _ => None,
        }
    }
}

pub fn to_kdl(bundle: &RuntimeToolsBundle, options: &Options) -> Imported {
    let mut warnings = Vec::new();
    let mut text = String::new();
    let plan = bundle
        .summary
        .plan_id
        .clone()
        .or(bundle.manifest.plan_id.clone());
    let experiment = ids::name(plan.as_deref().unwrap_or("imported"));

    text.push_str("// Imported by `xpr import --to-kdl` from a runtime-tools run bundle.\n");
    text.push_str(&format!(
        "// run {}, plan {}, world {}\n",
        comment(bundle.run_id()),
        comment(plan.as_deref().unwrap_or("(none)")),
        comment(bundle.world_id())
    ));
    text.push_str(
        "// Expectation ids are <profile>/<probe>, the same as `xpr diff` uses for the imported bundle.\n\n",
    );
    let lanes: Vec<&str> = ["baseline", "scenario", "oracle", "observer"]
        .into_iter()
        .filter(|l| bundle.lanes().iter().any(|x| x == l))
        .collect();
    text.push_str(&format!("experiment {} {{\n", kdl_str(&experiment)));
    text.push_str(&format!(
        "    description {}\n",
        kdl_str(&format!(
            "Imported from runtime-tools run {} (plan {})",
            ids::name(bundle.run_id()),
            ids::name(plan.as_deref().unwrap_or("none"))
        ))
    ));
    text.push_str(&format!("    lanes {}\n}}\n", lanes.join(" ")));

    // Profiles, in the run's order.
    let order = bundle.profile_order();
    for pid in &order {
        let profile = &bundle.matrix.profiles[*pid];
        let name = ids::name(pid);
        text.push('\n');
        if let Some(group) = profile.semantic_group.as_deref() {
            text.push_str(&format!("// semantic group: {}\n", comment(group)));
        }
        if let Some(applied) = bundle
            .results
            .get(*pid)
            .and_then(|r| r.probes.first())
            .and_then(|p| {
                p.command
                    .iter()
                    .find(|w| w.ends_with(".runtime.sb"))
                    .cloned()
            })
        {
            text.push_str(&format!(
                "// runtime-tools applied {} (the base plus rules the bundle does not store)\n",
                comment(last_component(&applied))
            ));
        }
        let blob = profile.blob.as_deref().unwrap_or("");
        let found = match (&options.sbpl_dir, profile.mode.as_deref()) {
            (Some(dir), Some("sbpl") | None) if !blob.is_empty() => find_sbpl(dir, blob),
            _ => None,
        };
        match found {
            Some(path) => {
                text.push_str(&format!("// base profile: {}\n", comment(blob)));
                text.push_str(&format!(
                    "profile {} sbpl={}\n",
                    kdl_str(&name),
                    kdl_str(&relative(&options.output_dir, &path))
                ));
            }
            None => {
                let why = if options.sbpl_dir.is_some() {
                    "was not found under --sbpl-dir"
                } else {
                    "was not looked up (no --sbpl-dir)"
                };
                text.push_str(&format!(
                    "// PLACEHOLDER: base profile {} {why}; replace these rules with it.\n",
                    comment(if blob.is_empty() {
                        "(none recorded)"
                    } else {
                        blob
                    })
                ));
                text.push_str(&format!(
                    "profile {} {{\n    default deny\n}}\n",
                    kdl_str(&name)
                ));
                warnings.push(format!(
                    "profile {name}: placeholder (`default deny`); base profile {} {why}",
                    if blob.is_empty() {
                        "(none recorded)"
                    } else {
                        blob
                    }
                ));
            }
        }
    }

    // Probes: one declaration per name; a name reused with another operation or target
    // would change meaning, so it is kept apart under a suffixed name.
    let mut probes: BTreeMap<String, Probe> = BTreeMap::new();
    let mut renamed: BTreeMap<(String, String), String> = BTreeMap::new();
    for pid in &order {
        for p in &bundle.matrix.profiles[*pid].probes {
            let operation = p.operation.clone().unwrap_or_default();
            let mut name = ids::name(&p.name);
            let same = |q: &Probe| q.operation == operation && q.target == p.target;
            let mut n = 1;
            while probes.get(&name).is_some_and(|q| !same(q)) {
                n += 1;
                name = format!("{}-{n}", ids::name(&p.name));
            }
            if n > 1 {
                warnings.push(format!(
                    "probe {} of profile {pid} renamed {name}: the name is used with another target",
                    p.name
                ));
            }
            renamed.insert((pid.to_string(), p.name.clone()), name.clone());
            let entry = probes.entry(name.clone()).or_insert_with(|| Probe {
                name,
                family: family_for(&operation),
                operation,
                target: p.target.clone(),
                notes: Vec::new(),
            });
            let mut note = p.expectation_id.clone().unwrap_or_default();
            if let Some(driver) = &p.driver {
                note.push_str(&format!(" (driver {driver})"));
            }
            if !note.trim().is_empty() && !entry.notes.contains(&note) {
                entry.notes.push(note);
            }
        }
    }
    text.push('\n');
    for probe in probes.values() {
        text.push_str(&format!(
            "// runtime-tools: {}\n",
            comment(&probe.notes.join("; "))
        ));
        let target = probe
            .target
            .as_deref()
            .map(|t| format!(" target={}", kdl_str(t)))
            .unwrap_or_default();
        let family = probe
            .family
            .map_or_else(String::new, |f| format!(" family={}", kdl_str(f)));
        match probe.kept_out() {
            None => text.push_str(&format!("probe {}{family}{target}\n", kdl_str(&probe.name))),
            Some((why, warning)) => {
                text.push_str(&format!(
                    "// {why}: kept as a comment\n// probe {}{family}{target}\n",
                    kdl_str(&probe.name)
                ));
                warnings.push(format!(
                    "probe {}: {warning}; left as a comment",
                    probe.name
                ));
            }
        }
    }

    // Expectations per profile, for the probes that could be declared.
    for pid in &order {
        let mut allow = Vec::new();
        let mut deny = Vec::new();
        // The plan pairs probes with profiles: the block scopes the profile to the probes it
        // names, unless one of them has no expectation to write (then every probe runs).
        let mut every_pair_expected = true;
        for p in &bundle.matrix.profiles[*pid].probes {
            let name = &renamed[&(pid.to_string(), p.name.clone())];
            if probes[name].kept_out().is_some() {
                continue;
            }
            match p.expected.as_deref() {
                Some("allow") => allow.push(kdl_str(name)),
                Some("deny") => deny.push(kdl_str(name)),
                other => {
                    every_pair_expected = false;
                    warnings.push(format!(
                        "probe {name} of profile {pid}: expected {:?} is neither allow nor deny; no expectation written, and every probe runs under {pid}",
                        other.unwrap_or("null")
                    ))
                }
            }
        }
        if allow.is_empty() && deny.is_empty() {
            continue;
        }
        let scope = if every_pair_expected {
            " scope=#true"
        } else {
            ""
        };
        text.push_str(&format!(
            "\nexpect {}{scope} {{\n",
            kdl_str(&ids::name(pid))
        ));
        if !allow.is_empty() {
            text.push_str(&format!("    allow {}\n", allow.join(" ")));
        }
        if !deny.is_empty() {
            text.push_str(&format!("    deny {}\n", deny.join(" ")));
        }
        text.push_str("}\n");
    }
    Imported { text, warnings }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_paths() {
        assert_eq!(family_for("mach-lookup"), Some("mach-lookup"));
        assert_eq!(family_for("file-read*"), Some("file-read"));
        assert_eq!(family_for("process-info-pidinfo"), Some("process-info"));
        assert_eq!(family_for("mach-register"), None);
        assert_eq!(
            suite_of("book/x/suites/anchor-filter-map/sb/a.sb"),
            Some("anchor-filter-map")
        );
        assert_eq!(kdl_str("a\"b\\"), "\"a\\\"b\\\\\"");
        assert_eq!(
            kdl_str("é/\u{2028}\u{202e}\u{feff}"),
            "\"é/\\u{2028}\\u{202e}\\u{feff}\""
        );
        assert!(has_placeholder("/tmp/{scratch}/x") && has_placeholder("{a-1}"));
        assert!(!has_placeholder("^/a{2}$") && !has_placeholder("{ x}") && !has_placeholder("{"));
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/c/d.sb")),
            "../c/d.sb"
        );
    }
}
