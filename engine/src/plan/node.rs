//! The nodes of the stage graph: compact, copyable, and indexing into the experiment.
//!
//! A node holds indices into `Experiment::profiles`, `Experiment::probes` and
//! `Experiment::fixtures` instead of names, so a graph of a million nodes stays small; its
//! readable id (`apply:scenario:v1_read:read-hosts`) is rendered on demand by the plan.

use serde::Serialize;

use crate::model::Lane;

/// Which form of a profile a compile node compiles (spec §5.5: both are kept and digested).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileForm {
    /// The profile as written, without shims.
    Source,
    /// Source + shims: what the scenario lane enforces.
    Runtime,
}

impl ProfileForm {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ProfileForm::Source => "source",
            ProfileForm::Runtime => "runtime",
        }
    }
}

/// The kind of step a node performs; the first segment of its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    Compile,
    Scratch,
    Fixture,
    Apply,
    Exec,
    Operation,
    Oracle,
    Observer,
    Verdict,
    Bundle,
}

impl StepKind {
    pub(crate) const ALL: [StepKind; 10] = [
        StepKind::Compile,
        StepKind::Scratch,
        StepKind::Fixture,
        StepKind::Apply,
        StepKind::Exec,
        StepKind::Operation,
        StepKind::Oracle,
        StepKind::Observer,
        StepKind::Verdict,
        StepKind::Bundle,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StepKind::Compile => "compile",
            StepKind::Scratch => "scratch",
            StepKind::Fixture => "fixture",
            StepKind::Apply => "apply",
            StepKind::Exec => "exec",
            StepKind::Operation => "operation",
            StepKind::Oracle => "oracle",
            StepKind::Observer => "observer",
            StepKind::Verdict => "verdict",
            StepKind::Bundle => "bundle",
        }
    }
}

/// One step of the plan. Indices are positions in the experiment's vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// Compile one form of a profile into backend artifacts (once per profile and form).
    Compile { profile: u32, form: ProfileForm },
    /// Create the run's scratch root (`{scratch}`).
    Scratch,
    /// Set up one fixture (file, dir, listener, outside process).
    Fixture { fixture: u32 },
    /// Attach the profile in the child (the baseline lane attaches nothing).
    Apply {
        lane: Lane,
        profile: u32,
        probe: u32,
    },
    /// Run the probe process up to its operation (execve for `exec` probes).
    Exec {
        lane: Lane,
        profile: u32,
        probe: u32,
    },
    /// The probe's operation itself (the syscall).
    Operation {
        lane: Lane,
        profile: u32,
        probe: u32,
    },
    /// The oracle's prediction from the compiled runtime profile, without executing.
    Oracle { profile: u32, probe: u32 },
    /// The observer's witness (audit records) correlated to the scenario operation.
    Observer { profile: u32, probe: u32 },
    /// Classify the lanes' stage records into a verdict and compare with the expectation.
    Verdict { profile: u32, probe: u32 },
    /// Write the run bundle (after every verdict and compiled artifact).
    Bundle,
}

impl Node {
    pub fn kind(self) -> StepKind {
        match self {
            Node::Compile { .. } => StepKind::Compile,
            Node::Scratch => StepKind::Scratch,
            Node::Fixture { .. } => StepKind::Fixture,
            Node::Apply { .. } => StepKind::Apply,
            Node::Exec { .. } => StepKind::Exec,
            Node::Operation { .. } => StepKind::Operation,
            Node::Oracle { .. } => StepKind::Oracle,
            Node::Observer { .. } => StepKind::Observer,
            Node::Verdict { .. } => StepKind::Verdict,
            Node::Bundle => StepKind::Bundle,
        }
    }

    /// The lane a node belongs to: executing lanes for apply/exec/operation, the side lanes for
    /// oracle/observer, none for shared steps.
    pub fn lane(self) -> Option<Lane> {
        match self {
            Node::Apply { lane, .. } | Node::Exec { lane, .. } | Node::Operation { lane, .. } => {
                Some(lane)
            }
            Node::Oracle { .. } => Some(Lane::Oracle),
            Node::Observer { .. } => Some(Lane::Observer),
            _ => None,
        }
    }

    /// Index into `Experiment::profiles`.
    pub(crate) fn profile(self) -> Option<usize> {
        match self {
            Node::Compile { profile, .. }
            | Node::Apply { profile, .. }
            | Node::Exec { profile, .. }
            | Node::Operation { profile, .. }
            | Node::Oracle { profile, .. }
            | Node::Observer { profile, .. }
            | Node::Verdict { profile, .. } => Some(profile as usize),
            _ => None,
        }
    }

    /// Index into `Experiment::probes`.
    pub fn probe(self) -> Option<usize> {
        match self {
            Node::Apply { probe, .. }
            | Node::Exec { probe, .. }
            | Node::Operation { probe, .. }
            | Node::Oracle { probe, .. }
            | Node::Observer { probe, .. }
            | Node::Verdict { probe, .. } => Some(probe as usize),
            _ => None,
        }
    }

    /// Index into `Experiment::fixtures`.
    pub(crate) fn fixture(self) -> Option<usize> {
        match self {
            Node::Fixture { fixture } => Some(fixture as usize),
            _ => None,
        }
    }

    /// The compiled form, for compile nodes.
    pub(crate) fn form(self) -> Option<ProfileForm> {
        match self {
            Node::Compile { form, .. } => Some(form),
            _ => None,
        }
    }
}

/// A node as stored in the graph: the step plus whether it is skipped in this world.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub node: Node,
    /// The probe's family has no meaning in this world (`not_applicable_in_world`): the node
    /// keeps the matrix's shape but the executor records it as skipped instead of running it.
    pub skipped: bool,
}
