//! Stacked profiles (`profile p { layer a; layer b }`): each layer names a profile whose runtime
//! IR becomes one Landlock layer, in order; nested stacks are flattened. A stack carries nothing
//! else (no `default`, rules, shims, `extends` or `sbpl`): the rules live in the layers.

use crate::decode::syntax::{ProfileDecl, Text};
use crate::diagnostics::codes;
use crate::model::{Action, IrLayer, Profile, ProfileIr};

use super::context::Cx;
use super::declarations::Declarations;

/// Landlock refuses a 17th nested domain with E2BIG (the kernel's `LANDLOCK_MAX_NUM_LAYERS` is 16).
pub(crate) const MAX_LAYERS: usize = 16;

/// A stacked declaration that also has its own rules (or extends, or an SBPL source).
pub(crate) fn check_stack_decl(cx: &mut Cx, file: usize, decl: &ProfileDecl) {
    let extra = decl
        .default
        .as_ref()
        .map(|d| (d.span, "`default`"))
        .or_else(|| decl.rules.first().map(|r| (r.keyword, "a rule")))
        .or_else(|| decl.shims.first().map(|s| (s.span, "a shim")))
        .or_else(|| decl.extends.as_ref().map(|e| (e.span, "`extends=`")))
        .or_else(|| decl.sbpl.as_ref().map(|s| (s.span, "`sbpl=`")));
    let Some((span, what)) = extra else {
        return;
    };
    let diag = cx
        .error(
            codes::LAYERS_WITH_RULES,
            file,
            span,
            format!(
                "profile `{}` is a stack of layers and cannot also have {what}",
                decl.name.value
            ),
            "not allowed in a stack",
        )
        .label(decl.layers[0].span, "a stack because of this layer")
        .help(
            "put the rules in their own profile and add it as the last `layer` (layers are \
             intersected: each one can only narrow what the others allow)",
        );
    cx.push(diag);
}

/// `extends=` naming a stack: extending cannot append rules to an intersection.
pub(crate) fn extends_stack(cx: &mut Cx, file: usize, ext: &Text) {
    let diag = cx
        .error(
            codes::LAYERS_WITH_RULES,
            file,
            ext.span,
            format!("cannot extend `{}`: it is a stack of layers", ext.value),
            "a stacked profile",
        )
        .help(format!(
            "declare another stack instead: `layer {}` followed by a `layer` with the extra rules",
            ext.value
        ));
    cx.push(diag);
}

enum State {
    Todo,
    Visiting,
    Done(Option<Vec<usize>>),
}

/// Builds every stacked profile from the plain ones (`plain[i]` for declaration `i`).
/// Returns one entry per declaration: `Some` for a stack that resolved.
pub(crate) fn stack_profiles(
    cx: &mut Cx,
    decls: &Declarations,
    plain: &[Option<Profile>],
) -> Vec<Option<Profile>> {
    let n = decls.profiles.items.len();
    let mut states: Vec<State> = (0..n).map(|_| State::Todo).collect();
    let mut out = Vec::new();
    for i in 0..n {
        let (file, decl) = &decls.profiles.items[i];
        if decl.layers.is_empty() {
            out.push(None);
            continue;
        }
        let leaves = expand(cx, decls, i, &mut states, &mut Vec::new());
        out.push(leaves.and_then(|leaves| {
            let layers: Option<Vec<&Profile>> = leaves.iter().map(|&j| plain[j].as_ref()).collect();
            let layers = layers?;
            // The layers' shims, each once: what source → runtime adds (shim divergence).
            let mut shims: Vec<String> = Vec::new();
            for s in layers.iter().flat_map(|p| &p.shims) {
                if !shims.contains(s) {
                    shims.push(s.clone());
                }
            }
            Some(Profile {
                id: decl.name.value.clone(),
                origin: cx.origin(*file, decl.name.span),
                source: stack_ir(&layers, |p| &p.source),
                shims,
                runtime: stack_ir(&layers, |p| &p.runtime),
                sbpl_source: None,
                extends: None,
                layers: layers.iter().map(|p| p.id.clone()).collect(),
                probes: None, // set by `scope` once probes and expectations are known
            })
        }));
    }
    out
}

fn stack_ir(layers: &[&Profile], ir: impl Fn(&Profile) -> &ProfileIr) -> ProfileIr {
    let mut stacked = ProfileIr::new(
        layers.last().map_or(Action::Deny, |p| ir(p).default),
        Vec::new(),
    );
    for p in layers {
        let layer = ir(p);
        stacked.rules.extend(layer.rules.iter().cloned());
        stacked.layers.push(IrLayer {
            profile: p.id.clone(),
            default: layer.default,
            rules: layer.rules.len(),
            default_origin: layer.default_origin.clone(),
        });
    }
    stacked
}

/// The plain profiles stack `i` is made of, in order; `None` after an error (reported once).
fn expand(
    cx: &mut Cx,
    decls: &Declarations,
    i: usize,
    states: &mut Vec<State>,
    stack: &mut Vec<usize>,
) -> Option<Vec<usize>> {
    match &states[i] {
        State::Done(leaves) => return leaves.clone(),
        State::Visiting => unreachable!("cycles are caught before recursing"),
        State::Todo => {}
    }
    states[i] = State::Visiting;
    stack.push(i);
    let (file, decl) = &decls.profiles.items[i];
    let mut leaves = Some(Vec::new());
    for layer in &decl.layers {
        let Some(j) = decls.profiles.get(&layer.value) else {
            let names: Vec<&str> = decls.profiles.names().collect();
            cx.unknown_ref(
                codes::UNKNOWN_PROFILE,
                "profile",
                *file,
                layer,
                names.into_iter(),
            );
            leaves = None;
            continue;
        };
        if decls.profiles.items[j].1.layers.is_empty() {
            if let Some(l) = &mut leaves {
                l.push(j);
            }
            continue;
        }
        if matches!(states[j], State::Visiting) {
            report_cycle(cx, decls, stack, j, *file, layer);
            leaves = None;
            continue;
        }
        match expand(cx, decls, j, states, stack) {
            Some(nested) => {
                if let Some(l) = &mut leaves {
                    l.extend(nested);
                }
            }
            None => leaves = None,
        }
    }
    stack.pop();
    if let Some(l) = &leaves
        && l.len() > MAX_LAYERS
    {
        let diag = cx
            .error(
                codes::TOO_MANY_LAYERS,
                *file,
                decl.name.span,
                format!(
                    "profile `{}` stacks {} Landlock layers; the kernel enforces at most {MAX_LAYERS}",
                    decl.name.value,
                    l.len()
                ),
                format!("{} layers", l.len()),
            )
            .help(
                "nested stacks count every layer they contain, and the host guard takes one \
                 more for every command an exec probe runs; merge layers with the same rules",
            );
        cx.push(diag);
        leaves = None;
    }
    states[i] = State::Done(leaves.clone());
    leaves
}

/// `layer` at `closing` (in `file`) names `j`, which is already being expanded.
fn report_cycle(
    cx: &mut Cx,
    decls: &Declarations,
    stack: &[usize],
    j: usize,
    file: usize,
    closing: &Text,
) {
    let pos = stack.iter().position(|&k| k == j).unwrap_or(0);
    let mut names: Vec<&str> = stack[pos..]
        .iter()
        .map(|&k| decls.profiles.items[k].1.name.value.as_str())
        .collect();
    names.push(&decls.profiles.items[j].1.name.value);
    let mut diag = cx
        .error(
            codes::LAYER_CYCLE,
            file,
            closing.span,
            format!(
                "profiles name each other as layers in a cycle: {}",
                names.join(" → ")
            ),
            "closes the cycle",
        )
        .help("a stack may contain another stack only if that one does not contain it back");
    for pair in stack[pos..].windows(2) {
        let (f, d) = &decls.profiles.items[pair[0]];
        let next = &decls.profiles.items[pair[1]].1.name.value;
        if let Some(t) = d.layers.iter().find(|t| t.value == *next) {
            diag = diag.note_at(
                cx.file(*f),
                t.span,
                format!("`{}` has layer `{next}`", d.name.value),
            );
        }
    }
    cx.push(diag);
}
