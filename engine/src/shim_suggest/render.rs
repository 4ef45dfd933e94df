//! The suggestion as a KDL shim a person can paste into an experiment, with its method,
//! verification and divergence as comments.

use super::{Method, Suggestion};

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn kdl(s: &Suggestion) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "// Suggested by `xpr shim suggest` for profile {} ({}).\n",
        s.profile,
        match s.method {
            Method::AuditRecords => "method: Landlock audit records of the denied accesses",
            Method::DeltaDebugging =>
                "method: delta debugging over rules predicted from the program's ELF headers (audit unavailable)",
        }
    ));
    if let Some(why) = &s.audit_unavailable {
        out.push_str(&format!("// Audit unavailable: {why}.\n"));
    }
    out.push_str(&format!(
        "// Verified by re-running: {} ({} runs).\n",
        if s.verified {
            "the probes start"
        } else {
            "NOT verified"
        },
        s.runs
    ));
    for d in &s.divergence {
        out.push_str(&format!("// divergence: {d}\n"));
    }
    if s.divergence.is_empty() {
        out.push_str("// divergence: none\n");
    }
    out.push_str(&format!("shim {} {{\n", s.shim_name));
    out.push_str(&format!(
        "    description {}\n",
        quote(&format!(
            "what {} needs to start its exec probes ({})",
            s.profile,
            s.probes.join(", ")
        ))
    ));
    // One rule per operation set, paths sorted: the smallest text for the same rules.
    let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for c in &s.rules {
        match groups.iter_mut().find(|(ops, _)| *ops == c.operations) {
            Some((_, paths)) => paths.push(c.path.clone()),
            None => groups.push((c.operations.clone(), vec![c.path.clone()])),
        }
    }
    for (ops, mut paths) in groups {
        paths.sort();
        let ops: Vec<String> = ops.iter().map(|o| quote(o)).collect();
        out.push_str(&format!("    allow {} {{\n", ops.join(" ")));
        for p in paths {
            out.push_str(&format!("        literal {}\n", quote(&p)));
        }
        out.push_str("    }\n");
    }
    out.push_str("}\n");
    out
}
