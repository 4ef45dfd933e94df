//! A compiled profile in other tools' formats (`xpr compile --emit`): the Landlock plan as a
//! landlockconfig document (the format of the Landlock project's `landlockconfig` library and
//! its sandboxer), and the mount table as bubblewrap arguments. Each format carries what it can
//! express; the rest is listed in `notes`, never dropped silently. `{scratch}` left symbolic
//! becomes the format's own variable: `${scratch}` in landlockconfig, the shell variable
//! `"${scratch}"` in the arguments.

use serde_json::{Value, json};

use super::mounts::MountKind;
use super::rule_paths::SCRATCH;
use super::{CompiledProfile, LayerPlan};

/// An exported profile: the text, and what the format leaves out.
#[derive(Debug)]
pub(crate) struct Export {
    pub text: String,
    pub notes: Vec<String>,
}

/// A right's name without its kind (`fs.read_file` → `read_file`), as landlockconfig spells it.
fn bare(name: &str) -> String {
    name.split_once('.').map_or(name, |(_, n)| n).to_string()
}

fn symbolic(path: &str) -> String {
    path.replacen(SCRATCH, "${scratch}", 1)
}

/// Why a profile has no form in an export format.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExportError {
    /// landlockconfig composes rulesets into one; it has no layers.
    #[error(
        "the profile stacks {0} Landlock layers; landlockconfig describes one ruleset \
         (export each layer's profile on its own)"
    )]
    StackedLayers(usize),
}

/// The Landlock plan as one landlockconfig document. `Err` for a stacked plan: the format
/// composes rulesets into one, it has no layers.
pub(crate) fn landlock_config(compiled: &CompiledProfile) -> Result<Export, ExportError> {
    let plan = &compiled.plan;
    let mut notes = not_applied_here(compiled, "landlockconfig");
    let layer = match plan.layers.as_slice() {
        [] => {
            notes.push("the profile creates no Landlock domain: nothing is handled".into());
            &LayerPlan::default()
        }
        [one] => one,
        more => {
            return Err(ExportError::StackedLayers(more.len()));
        }
    };
    let names = |v: &[String]| v.iter().map(|n| bare(n)).collect::<Vec<_>>();
    let mut ruleset = serde_json::Map::new();
    for (key, list) in [
        ("handledAccessFs", &layer.handled_fs),
        ("handledAccessNet", &layer.handled_net),
        ("scoped", &layer.scoped),
    ] {
        if !list.is_empty() {
            ruleset.insert(key.into(), json!(names(list)));
        }
    }
    let mut doc = serde_json::Map::new();
    doc.insert("abi".into(), json!(plan.abi));
    if !ruleset.is_empty() {
        doc.insert("ruleset".into(), json!([Value::Object(ruleset)]));
    }
    let path_rules: Vec<Value> = layer
        .path_rules
        .iter()
        .map(|r| json!({"allowedAccess": names(&r.access), "parent": [symbolic(&r.path)]}))
        .collect();
    if !path_rules.is_empty() {
        doc.insert("pathBeneath".into(), json!(path_rules));
    }
    let ports: Vec<Value> = layer
        .port_rules
        .iter()
        .map(|r| json!({"allowedAccess": names(&r.access), "port": [r.port]}))
        .collect();
    if !ports.is_empty() {
        doc.insert("netPort".into(), json!(ports));
    }
    if layer.path_rules.iter().any(|r| r.path.starts_with(SCRATCH)) {
        notes.push(
            "`${scratch}` is a landlockconfig variable: define it (or pass --scratch)".into(),
        );
    }
    if layer
        .path_rules
        .iter()
        .any(|r| r.access.iter().any(|a| a == "fs.read_dir"))
    {
        notes.push(
            "xpr drops directory-only rights of a rule whose path is a file when it prepares it; \
             landlockconfig may refuse them on a file"
                .into(),
        );
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(doc)).expect("plain JSON");
    text.push('\n');
    Ok(Export { text, notes })
}

/// The mount table as bubblewrap arguments, one shell-quoted line: the host's tree as the
/// root, then the mounts in xpr's attach order. `is_dir` says whether a hidden path is a
/// directory (`None`: not known).
pub(crate) fn bwrap_args(
    compiled: &CompiledProfile,
    is_dir: &dyn Fn(&str) -> Option<bool>,
) -> Export {
    let mut notes = not_applied_here(compiled, "bubblewrap");
    let mut args: Vec<String> = [
        "--die-with-parent",
        "--unshare-pid",
        "--dev-bind",
        "/",
        "/",
        "--proc",
        "/proc",
    ]
    .map(str::to_string)
    .to_vec();
    let mut read_only_later = Vec::new();
    for m in &compiled.mounts {
        let p = m.path.clone();
        match m.kind {
            MountKind::ReadOnly | MountKind::ReadOnlyNoExec => {
                args.extend(["--ro-bind".into(), p.clone(), p.clone()]);
            }
            MountKind::Restored | MountKind::NoExec => {
                args.extend(["--bind".into(), p.clone(), p.clone()]);
            }
            MountKind::Hidden => match is_dir(&p) {
                Some(false) => {
                    args.extend(["--ro-bind".into(), "/dev/null".into(), p.clone()]);
                    notes.push(format!(
                        "{p} is hidden by /dev/null: reading it succeeds with no bytes, where xpr's \
                         device node refuses the open (EACCES)"
                    ));
                }
                dir => {
                    args.extend(["--tmpfs".into(), p.clone()]);
                    read_only_later.push(p.clone());
                    if dir.is_none() {
                        notes.push(format!(
                            "{p} is assumed to be a directory (an empty tmpfs hides it)"
                        ));
                    }
                }
            },
        }
        if m.kind.no_exec() && m.kind != MountKind::Hidden {
            notes.push(format!(
                "bubblewrap cannot mount {p} noexec: executing below it stays allowed"
            ));
        }
    }
    for p in read_only_later {
        args.extend(["--remount-ro".into(), p]);
    }
    if compiled.mounts.iter().any(|m| m.path.starts_with(SCRATCH)) {
        notes.push("set the shell variable `scratch` (or pass --scratch)".into());
    }
    let text = args
        .iter()
        .map(|a| shell_word(a))
        .collect::<Vec<_>>()
        .join(" ")
        + "\n";
    Export { text, notes }
}

/// One argument for a POSIX shell: quoted, with a leading `{scratch}` as `"${scratch}"`.
fn shell_word(arg: &str) -> String {
    let quote = |s: &str| shlex::try_quote(s).map_or_else(|_| format!("'{s}'"), |q| q.into_owned());
    match arg.strip_prefix(SCRATCH) {
        Some("") => "\"${scratch}\"".into(),
        Some(rest) => format!("\"${{scratch}}\"{}", quote(rest)),
        None => quote(arg),
    }
}

/// What a format of one mechanism leaves out of the profile's others.
fn not_applied_here(compiled: &CompiledProfile, format: &str) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(b) = &compiled.blocked {
        notes.push(format!(
            "xpr does not apply this profile in this world: {}",
            b.detail
        ));
    }
    let rules: usize = compiled
        .plan
        .layers
        .iter()
        .map(|l| l.path_rules.len())
        .sum();
    if format != "landlockconfig" && !compiled.plan.layers.is_empty() {
        notes.push(format!(
            "not in {format}: {} Landlock layer(s) with {rules} path rule(s) (--emit landlock-json)",
            compiled.plan.layers.len()
        ));
    }
    if format != "bubblewrap" && !compiled.mounts.is_empty() {
        notes.push(format!(
            "not in {format}: {} mount(s) of the mount namespace (--emit bwrap-args)",
            compiled.mounts.len()
        ));
    }
    if let Some(s) = &compiled.plan.seccomp {
        notes.push(format!(
            "not in {format}: the seccomp filter denying {} syscall(s) with EPERM (the bytes are \
             a run bundle's compiled/{}.seccomp.bpf)",
            s.syscalls.len(),
            compiled.profile_id
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_stays_a_shell_variable_and_everything_else_is_quoted() {
        assert_eq!(shell_word("{scratch}/a b"), "\"${scratch}\"'/a b'");
        assert_eq!(shell_word("{scratch}"), "\"${scratch}\"");
        assert_eq!(shell_word("--ro-bind"), "--ro-bind");
        assert_eq!(shell_word("/tmp/it's"), "\"/tmp/it's\"");
        assert_eq!(symbolic("{scratch}/w"), "${scratch}/w");
    }
}
