//! One namespace per kind across every loaded file: name → declaration, duplicates reported
//! with both locations.

use std::collections::HashMap;

use crate::decode::syntax::{
    FamilyDecl, FileSyntax, FixtureDecl, ProbeDecl, ProfileDecl, ShimDecl, Text,
};
use crate::diagnostics::{Diag, codes};
use crate::source::FileId;

use super::context::Cx;

/// Declarations of one kind in declaration order, with a name index.
pub(crate) struct Table<T> {
    pub items: Vec<(FileId, T)>,
    index: HashMap<String, usize>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            items: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T> Table<T> {
    pub(crate) fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.index.keys().map(String::as_str)
    }

    fn insert(
        &mut self,
        cx: &mut Cx,
        kind: &str,
        file: FileId,
        name: &Text,
        first_span: impl Fn(&T) -> &Text,
        item: T,
    ) {
        if let Some(&i) = self.index.get(&name.value) {
            let (first_file, first) = &self.items[i];
            let first = first_span(first);
            let diag = Diag::error(
                codes::DUPLICATE_NAME,
                format!("{kind} `{}` is declared twice", name.value),
            )
            .at(cx.file(file), name.span, "declared again here")
            .note_at(cx.file(*first_file), first.span, "first declared here")
            .help(format!(
                "{kind} names share one namespace across every imported file"
            ));
            cx.push(diag);
            return;
        }
        self.index.insert(name.value.clone(), self.items.len());
        self.items.push((file, item));
    }
}

#[derive(Default)]
pub(crate) struct Declarations {
    pub fixtures: Table<FixtureDecl>,
    pub profiles: Table<ProfileDecl>,
    pub shims: Table<ShimDecl>,
    pub families: Table<FamilyDecl>,
    pub probes: Table<ProbeDecl>,
}

impl Declarations {
    /// Moves every declaration out of the files' syntax into the shared tables.
    pub(crate) fn collect(cx: &mut Cx, files: &mut [FileSyntax]) -> Declarations {
        let mut d = Declarations::default();
        for f in files.iter_mut() {
            let id = f.file;
            for x in f.fixtures.drain(..) {
                let name = x.name.clone();
                d.fixtures.insert(cx, "fixture", id, &name, |x| &x.name, x);
            }
            for x in f.profiles.drain(..) {
                let name = x.name.clone();
                d.profiles.insert(cx, "profile", id, &name, |x| &x.name, x);
            }
            for x in f.shims.drain(..) {
                let name = x.name.clone();
                d.shims.insert(cx, "shim", id, &name, |x| &x.name, x);
            }
            for x in f.families.drain(..) {
                let name = x.name.clone();
                d.families.insert(cx, "family", id, &name, |x| &x.name, x);
            }
            for x in f.probes.drain(..) {
                let name = x.name.clone();
                d.probes.insert(cx, "probe", id, &name, |x| &x.name, x);
            }
        }
        d
    }
}
