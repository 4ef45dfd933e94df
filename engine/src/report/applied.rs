//! What a compiled profile applies, for people: the mounts, the Landlock layers, the seccomp
//! filter, the host guard around commands, and each rule's fidelity with the mechanisms that
//! enforce it (`xpr exec` prints this on stderr before it runs the command).

use std::fmt::Write;

use crate::compile::linux::CompiledProfile;
use crate::model::Fidelity;

/// The applied sandbox of `compiled` in the world `world_id`.
pub(crate) fn applied(compiled: &CompiledProfile, world_id: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "profile {} in world {world_id}", compiled.profile_id);
    if let Some(b) = &compiled.blocked {
        let _ = writeln!(out, "  blocked: {}", b.detail);
    }
    for m in &compiled.mounts {
        let _ = writeln!(
            out,
            "  mount     {:<18} {}  (rules {:?})",
            m.kind.as_str(),
            m.path,
            m.rules
        );
    }
    for (i, layer) in compiled.plan.layers.iter().enumerate() {
        let mut handled: Vec<&str> = layer.handled_fs.iter().map(String::as_str).collect();
        handled.extend(layer.handled_net.iter().map(String::as_str));
        handled.extend(layer.scoped.iter().map(String::as_str));
        let _ = writeln!(
            out,
            "  landlock  layer {i}: handles [{}]",
            handled.join(" ")
        );
        for r in &layer.path_rules {
            let _ = writeln!(out, "            {} [{}]", r.path, r.access.join(" "));
        }
        for r in &layer.port_rules {
            let _ = writeln!(out, "            port {} [{}]", r.port, r.access.join(" "));
        }
    }
    if let Some(s) = &compiled.plan.seccomp {
        let names: Vec<&str> = s.syscalls.iter().map(|c| c.name.as_str()).collect();
        let _ = writeln!(
            out,
            "  seccomp   {} fail with {} ({} otherwise)",
            names.join(" "),
            crate::world::errno_name(s.errno),
            s.default_action
        );
    }
    let _ = writeln!(
        out,
        "  guard     the command runs in its own PID namespace; writes only beneath {{scratch}} \
         and /dev/null; no signals leave the run"
    );
    let count = |f: Fidelity| compiled.fidelity.iter().filter(|r| r.fidelity == f).count();
    let _ = writeln!(
        out,
        "fidelity: {} exact, {} approximate, {} unsupported",
        count(Fidelity::Exact),
        count(Fidelity::Approximate),
        count(Fidelity::Unsupported)
    );
    for r in &compiled.fidelity {
        let level = match r.fidelity {
            Fidelity::Exact => "exact",
            Fidelity::Approximate => "approximate",
            Fidelity::Unsupported => "unsupported",
        };
        let mechanisms: Vec<&str> = r.mechanisms.iter().map(|m| m.as_str()).collect();
        let _ = write!(
            out,
            "  {level:<11}  {}  [{}]",
            r.text.replace('\n', " "),
            mechanisms.join(" ")
        );
        if let Some(note) = &r.note {
            let _ = write!(out, "  — {note}");
        }
        out.push('\n');
    }
    out
}
