//! The syntax tree: what each file declares, typed, with the span of every name and value.
//! Nothing here is resolved yet: names are plain strings and `{param}`s are unsubstituted.

use miette::SourceSpan;

use crate::model::{Action, Expected};
use crate::source::FileId;

/// A string from the source and the span of the value itself (not the `key=` part).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Text {
    pub value: String,
    pub span: SourceSpan,
}

/// A scalar property or argument value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Str(String),
    Int(i128),
    Bool(bool),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Spanned<T> {
    pub value: T,
    pub span: SourceSpan,
}

/// Everything one file declares.
#[derive(Debug, Default)]
pub(crate) struct FileSyntax {
    pub file: FileId,
    pub experiment: Vec<ExperimentDecl>,
    pub imports: Vec<Text>,
    pub fixtures: Vec<FixtureDecl>,
    pub profiles: Vec<ProfileDecl>,
    pub shims: Vec<ShimDecl>,
    pub families: Vec<FamilyDecl>,
    pub probes: Vec<ProbeDecl>,
    pub expects: Vec<ExpectDecl>,
    /// Spans of `vocabulary` blocks (validated where declared; only the stdlib's is used).
    pub vocabularies: Vec<(&'static str, SourceSpan)>,
}

#[derive(Debug)]
pub(crate) struct ExperimentDecl {
    pub name: Text,
    /// The `experiment` node name, for "declared here" labels.
    pub keyword: SourceSpan,
    pub description: Option<Text>,
    pub lanes: Option<Vec<Text>>,
    pub isolation: Option<Text>,
    pub timeout: Option<Text>,
    pub params: Vec<(Text, Text)>,
}

#[derive(Debug)]
pub(crate) struct FixtureDecl {
    pub name: Text,
    pub kind: FixtureKindDecl,
}

#[derive(Debug)]
pub(crate) enum FixtureKindDecl {
    File {
        path: Text,
        content: Option<Text>,
        mode: Option<Spanned<u32>>,
    },
    Dir {
        path: Text,
        mode: Option<Spanned<u32>>,
    },
    TcpListener {
        port: Option<Spanned<u16>>,
    },
    UnixListener {
        name: Option<Text>,
    },
    Process,
}

#[derive(Debug)]
pub(crate) struct ProfileDecl {
    pub name: Text,
    pub extends: Option<Text>,
    pub sbpl: Option<Text>,
    pub default: Option<Spanned<Action>>,
    pub rules: Vec<RuleDecl>,
    pub shims: Vec<Text>,
    /// `layer NAME`: the profile is a stack of these profiles' Landlock layers.
    pub layers: Vec<Text>,
    /// `probes NAME-OR-GLOB...`: only these probes run under the profile.
    pub probes: Option<Vec<Text>>,
}

#[derive(Debug)]
pub(crate) struct RuleDecl {
    pub action: Action,
    /// The `allow`/`deny` node name.
    pub keyword: SourceSpan,
    pub operations: Vec<Text>,
    pub report: bool,
    pub message: Option<Text>,
    pub filters: Vec<FilterDecl>,
}

#[derive(Debug)]
pub(crate) struct FilterDecl {
    pub name: Text,
    /// The whole filter node, for arity errors.
    pub span: SourceSpan,
    pub args: Vec<Text>,
    pub children: Vec<FilterDecl>,
    /// Whether a `{ … }` block was written (even an empty one).
    pub has_children: bool,
}

#[derive(Debug)]
pub(crate) struct ShimDecl {
    pub name: Text,
    pub description: Option<Text>,
    pub rules: Vec<RuleDecl>,
}

#[derive(Debug)]
pub(crate) struct FamilyDecl {
    pub name: Text,
    pub operation: Option<Text>,
    pub target: Option<Text>,
    /// The only literal targets the driver accepts besides a fixture (`target pid
    /// values="self"`); empty: any of the kind.
    pub target_values: Vec<String>,
    pub worlds: Vec<Text>,
    pub destructive: bool,
    /// Destructive only when this argument is given (`file-write` with `content=`).
    pub destructive_with: Option<Text>,
    pub args: Vec<FamilyArgDecl>,
}

#[derive(Debug)]
pub(crate) struct FamilyArgDecl {
    pub name: Text,
    pub required: bool,
    /// The argument is a path the probe may mutate (rename's `to`).
    pub path: bool,
    /// The argument is a list of words (`argv`): one string holding a space is a mistake.
    pub words: bool,
    /// The only values the driver accepts (`values="a b c"`); empty: any.
    pub values: Vec<String>,
    /// With `values`: a whole number is accepted too (a signal number).
    pub numbers: bool,
    /// The value names a probe family (`exec`'s `helper`).
    pub family: bool,
}

#[derive(Debug)]
pub(crate) struct ProbeDecl {
    pub name: Text,
    pub family: Option<Text>,
    pub target: Option<Text>,
    pub fixture: Option<Text>,
    pub control: bool,
    /// Family arguments: properties (scalars) and child nodes (lists), in source order.
    pub args: Vec<ProbeArgDecl>,
}

#[derive(Debug)]
pub(crate) struct ProbeArgDecl {
    pub name: Text,
    pub value: Spanned<ProbeArgValue>,
}

#[derive(Debug)]
pub(crate) enum ProbeArgValue {
    Scalar(Value),
    List(Vec<Text>),
}

#[derive(Debug)]
pub(crate) struct ExpectDecl {
    /// A profile id or a glob over profile ids.
    pub pattern: Text,
    pub entries: Vec<ExpectEntryDecl>,
    /// `scope=#true`: the probes named here run under the matched profiles (and, with no
    /// other scope for a profile, only they).
    pub scope: bool,
}

#[derive(Debug)]
pub(crate) struct ExpectEntryDecl {
    pub action: Expected,
    pub probes: Vec<Text>,
    pub errno: Option<Text>,
    pub world: Option<Text>,
    /// `mechanism=landlock|none`.
    pub mechanism: Option<Text>,
    /// `landlock-abi=">=4"` (a number is the one ABI).
    pub landlock_abi: Option<Text>,
    pub known: Option<Text>,
}
