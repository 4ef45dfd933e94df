//! IR → SBPL text for a macOS world, with the parameters it needs and per-rule fidelity.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::model::{Fidelity, Mechanism, RuleFidelity};
use crate::model::{Filter, ProfileIr, Rule};
use crate::sbpl::{Segment, emit, rule_text, segments};

/// A profile compiled for Seatbelt: the SBPL that `sandbox_init_with_parameters` receives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompiledSeatbelt {
    pub sbpl: String,
    /// Parameters the text reads with `(param "NAME")` (e.g. `scratch`), bound at apply time so
    /// the text itself stays run-independent.
    pub params: BTreeSet<String>,
    pub fidelity: Vec<RuleFidelity>,
}

pub fn compile(ir: &ProfileIr) -> CompiledSeatbelt {
    if !ir.layers.is_empty() {
        return compile_stack(ir);
    }
    let mut params = BTreeSet::new();
    let mut fidelity = vec![RuleFidelity {
        rule: None,
        origin: Default::default(),
        text: format!("({} default)", ir.default.as_str()),
        fidelity: Fidelity::Exact,
        note: None,
        mechanisms: vec![Mechanism::Seatbelt],
    }];
    for (i, rule) in ir.rules.iter().enumerate() {
        collect_params(rule, &mut params);
        let (fid, note) = rule_fidelity(rule);
        fidelity.push(RuleFidelity {
            rule: Some(i),
            origin: rule.origin.clone(),
            text: rule_text(rule),
            mechanisms: match fid {
                Fidelity::Unsupported => Vec::new(),
                _ => vec![Mechanism::Seatbelt],
            },
            fidelity: fid,
            note,
        });
    }
    CompiledSeatbelt {
        sbpl: emit(ir),
        params,
        fidelity,
    }
}

/// SBPL has no layers: a stacked profile emits its innermost (last) layer only, with a comment
/// saying so, and every rule of the other layers is unsupported (not enforced on macOS).
fn compile_stack(ir: &ProfileIr) -> CompiledSeatbelt {
    let mut layers = ir.layer_irs();
    let count = layers.len();
    let (offset, name, inner) = layers.pop().expect("a stack has layers");
    let mut compiled = compile(&inner);
    let note = format!(
        "SBPL has no layers: only the innermost of {count} layers ({}) is emitted",
        name.unwrap_or("?")
    );
    compiled.sbpl = format!("; xpr: {note}\n{}", compiled.sbpl);
    let mut fidelity = Vec::with_capacity(ir.rules.len() + 1);
    let mut default = compiled.fidelity.remove(0);
    default.note = Some(note);
    fidelity.push(default);
    for (start, layer, outer) in layers {
        for (i, rule) in outer.rules.iter().enumerate() {
            fidelity.push(RuleFidelity {
                rule: Some(start + i),
                origin: rule.origin.clone(),
                text: rule_text(rule),
                fidelity: Fidelity::Unsupported,
                note: Some(format!(
                    "layer {} of the stack is not enforced: SBPL has no layers",
                    layer.unwrap_or("?")
                )),
                mechanisms: Vec::new(),
            });
        }
    }
    for mut f in compiled.fidelity {
        f.rule = f.rule.map(|i| i + offset);
        fidelity.push(f);
    }
    compiled.fidelity = fidelity;
    compiled
}

/// SBPL is Seatbelt's own language, so modelled rules are exact. Opaque text is handed to
/// libsandbox as written: it may work there, but xpr cannot vouch for its meaning.
fn rule_fidelity(rule: &Rule) -> (Fidelity, Option<String>) {
    if rule.opaque_form_text().is_some() || rule.filters.iter().any(has_opaque) {
        (
            Fidelity::Approximate,
            Some("SBPL kept verbatim from the source; libsandbox evaluates it, xpr does not model it".into()),
        )
    } else {
        (Fidelity::Exact, None)
    }
}

fn has_opaque(f: &Filter) -> bool {
    match f {
        Filter::Opaque(_) => true,
        Filter::RequireAll(fs) | Filter::RequireAny(fs) => fs.iter().any(has_opaque),
        Filter::RequireNot(inner) => has_opaque(inner),
        _ => false,
    }
}

fn collect_params(rule: &Rule, out: &mut BTreeSet<String>) {
    fn strings(f: &Filter, out: &mut Vec<String>) {
        match f {
            Filter::Literal(s)
            | Filter::Subpath(s)
            | Filter::Prefix(s)
            | Filter::Regex(s)
            | Filter::GlobalName(s)
            | Filter::LocalName(s)
            | Filter::SysctlName(s) => out.push(s.clone()),
            Filter::Remote(a) | Filter::Local(a) => out.push(a.host.clone()),
            Filter::Named { args, .. } => out.extend(args.iter().cloned()),
            Filter::RequireAll(fs) | Filter::RequireAny(fs) => {
                fs.iter().for_each(|f| strings(f, out))
            }
            Filter::RequireNot(inner) => strings(inner, out),
            Filter::Target(_) | Filter::Opaque(_) => {}
        }
    }
    let mut all = Vec::new();
    rule.filters.iter().for_each(|f| strings(f, &mut all));
    if let Some(m) = &rule.modifiers.message {
        all.push(m.clone());
    }
    for s in all {
        out.extend(placeholders(&s));
    }
}

/// `{NAME}` placeholders in a string (the same syntax the SBPL emitter turns into `param`).
fn placeholders(s: &str) -> Vec<String> {
    segments(s)
        .into_iter()
        .filter_map(|seg| match seg {
            Segment::Param(name) => Some(name.to_string()),
            Segment::Text(_) => None,
        })
        .collect()
}

/// Parameters the profile reads that the run did not bind.
#[derive(Debug, PartialEq, Eq)]
pub struct MissingParams(pub Vec<String>);

impl CompiledSeatbelt {
    /// The `key, value` list for `sandbox_init_with_parameters`, in name order.
    #[cfg(any(test, target_os = "macos"))]
    pub(crate) fn parameter_list(
        &self,
        values: &std::collections::BTreeMap<String, String>,
    ) -> Result<Vec<(String, String)>, MissingParams> {
        let missing: Vec<String> = self
            .params
            .iter()
            .filter(|p| !values.contains_key(*p))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(MissingParams(missing));
        }
        Ok(self
            .params
            .iter()
            .map(|p| (p.clone(), values[p].clone()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbpl::{SbplOptions, parse};
    use std::collections::BTreeMap;

    #[test]
    fn scratch_paths_become_parameters() {
        let p = parse(
            "(deny default)\n(allow file-read* (subpath \"{scratch}/foo\"))\n(helper)",
            "t.sb",
            &SbplOptions::default(),
        )
        .unwrap();
        let c = compile(&p.ir);
        assert!(
            c.sbpl
                .contains("(subpath (string-append (param \"scratch\") \"/foo\"))")
        );
        assert_eq!(c.params.iter().collect::<Vec<_>>(), ["scratch"]);
        let fids: Vec<_> = c.fidelity.iter().map(|f| f.fidelity).collect();
        assert_eq!(
            fids,
            [Fidelity::Exact, Fidelity::Exact, Fidelity::Approximate]
        );
        let values = BTreeMap::from([("scratch".to_string(), "/private/tmp/x".to_string())]);
        assert_eq!(
            c.parameter_list(&values).unwrap(),
            [("scratch".to_string(), "/private/tmp/x".to_string())]
        );
        assert_eq!(
            c.parameter_list(&BTreeMap::new()),
            Err(MissingParams(vec!["scratch".into()]))
        );
    }
}
