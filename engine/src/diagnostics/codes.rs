//! Diagnostic codes: stable identifiers (`xpr::…`) that tools and the spec refer to.
//! [`ALL`] lists each with a one-line meaning; spec.md §3.1 is generated from the same words.

macro_rules! codes {
    ($($name:ident = $code:literal : $meaning:literal;)*) => {
        $(pub const $name: &str = $code;)*
        /// Every code with its meaning, in spec order.
        pub const ALL: &[(&str, &str)] = &[$(($code, $meaning)),*];
    };
}

codes! {
    IO = "xpr::io": "a file cannot be read";
    KDL_SYNTAX = "xpr::syntax::kdl": "the file is not valid KDL 2.0 (KDL 1 habits get a hint)";
    UNKNOWN_NODE = "xpr::syntax::unknown_node": "a node name is not part of the language here";
    UNKNOWN_PROPERTY = "xpr::syntax::unknown_property": "a property is not accepted by this node";
    DUPLICATE_PROPERTY = "xpr::syntax::duplicate_property": "a property is given twice on one node";
    MISSING_ARGUMENT = "xpr::syntax::missing_argument": "a required argument is missing";
    EXTRA_ARGUMENT = "xpr::syntax::extra_argument": "more arguments than the node accepts";
    MISSING_PROPERTY = "xpr::syntax::missing_property": "a required property is missing";
    INVALID_VALUE = "xpr::syntax::invalid_value": "a value has the wrong type or is not one of the allowed words";
    UNEXPECTED_CHILDREN = "xpr::syntax::unexpected_children": "a node has a children block it does not accept";
    DUPLICATE_NODE = "xpr::syntax::duplicate_node": "a node that may appear once appears twice";
    IMPORT_NOT_FOUND = "xpr::import::not_found": "an imported file does not exist";
    IMPORT_ABSOLUTE = "xpr::import::absolute": "an import names an absolute path (artifacts never hold one)";
    IMPORT_CYCLE = "xpr::import::cycle": "files import each other in a cycle";
    NO_EXPERIMENT = "xpr::experiment::missing": "the root file has no `experiment` node";
    MISPLACED_EXPERIMENT = "xpr::experiment::misplaced": "an `experiment` node outside the root file";
    LANES = "xpr::experiment::lanes": "the lanes lack `scenario`";
    DUPLICATE_NAME = "xpr::name::duplicate": "two declarations of the same kind share a name";
    UNKNOWN_PROFILE = "xpr::name::unknown_profile": "a reference to a profile that is not declared";
    UNKNOWN_SHIM = "xpr::name::unknown_shim": "a reference to a shim that is not declared";
    UNKNOWN_PROBE = "xpr::name::unknown_probe": "a reference to a probe that is not declared";
    UNKNOWN_FAMILY = "xpr::name::unknown_family": "a probe names a family the stdlib does not declare";
    UNKNOWN_FIXTURE = "xpr::name::unknown_fixture": "a probe names a fixture that is not declared";
    EXTENDS_CYCLE = "xpr::profile::extends_cycle": "profiles extend each other in a cycle";
    MISSING_DEFAULT = "xpr::profile::missing_default": "a profile without `extends` or `sbpl` has no `default`";
    SBPL_NOT_FOUND = "xpr::profile::sbpl_not_found": "the SBPL file a profile names does not exist";
    SBPL_WITH_RULES = "xpr::profile::sbpl_with_rules": "a profile with `sbpl=` also has inline rules";
    LAYERS_WITH_RULES = "xpr::profile::layers_with_rules": "a stacked profile (`layer`) also has `default`, rules, shims, `extends` or `sbpl`, or is extended";
    LAYER_CYCLE = "xpr::profile::layer_cycle": "stacked profiles name each other as layers in a cycle";
    TOO_MANY_LAYERS = "xpr::profile::too_many_layers": "a stacked profile has more than 16 Landlock layers";
    UNKNOWN_OPERATION = "xpr::vocabulary::unknown_operation": "an operation name the vocabulary does not know";
    OBSOLETE_OPERATION = "xpr::vocabulary::obsolete_operation": "(warning) an obsolete operation name; the replacement is used";
    SBPL_SYNTAX = "xpr::sbpl::syntax": "an SBPL file is not well-formed (unclosed list, unterminated string, unknown `#` syntax)";
    SBPL_PREPROCESSOR = "xpr::sbpl::preprocessor": "an SBPL template still has C preprocessor lines (`#if`, `#include`)";
    SBPL_FORM = "xpr::sbpl::form": "an SBPL form is malformed (`(allow)` without an operation, a filter argument of the wrong kind)";
    SBPL_IMPORT = "xpr::sbpl::import": "SBPL files import each other in a cycle";
    SBPL_LIMIT = "xpr::sbpl::limit": "SBPL nests or recurses deeper than xpr evaluates";
    SBPL_OPAQUE = "xpr::sbpl::opaque": "(warning) an SBPL form or filter xpr does not model; its rule is unsupported in every Linux world";
    SBPL_LOSSY_STRING = "xpr::sbpl::lossy_string": "(warning) a backslash escape in a plain SBPL string that drops the backslash";
    UNKNOWN_FILTER = "xpr::vocabulary::unknown_filter": "a filter name the vocabulary does not know";
    FILTER_ARGUMENTS = "xpr::vocabulary::filter_arguments": "a filter has the wrong number or kind of arguments";
    VOCABULARY_IGNORED = "xpr::vocabulary::ignored": "(warning) a `vocabulary` or `sysctl-names` block outside the stdlib has no effect";
    UNKNOWN_PARAM = "xpr::param::unknown": "a `{name}` in a string names no parameter";
    UNDECLARED_OVERRIDE = "xpr::param::undeclared_override": "`--param` names a parameter the experiment does not declare";
    MISSING_TARGET = "xpr::probe::missing_target": "a probe whose family needs a target has neither `target` nor a usable `fixture`";
    UNEXPECTED_TARGET = "xpr::probe::unexpected_target": "a probe has a target its family does not take";
    MISSING_FAMILY_ARG = "xpr::probe::missing_argument": "a probe lacks an argument its family requires";
    UNKNOWN_FAMILY_ARG = "xpr::probe::unknown_argument": "a probe passes an argument its family does not declare";
    HOST_SAFETY = "xpr::safety::outside_scratch": "a destructive probe or a file fixture points outside `{scratch}`";
    FIXTURE_MODE = "xpr::safety::fixture_mode": "a file or dir fixture's mode sets the setuid or setgid bit";
    NO_MATCHING_PROFILE = "xpr::expect::no_match": "an expectation's profile glob matches no profile";
    DUPLICATE_EXPECTATION = "xpr::expect::duplicate": "two expectations for the same profile, probe and world";
    UNKNOWN_WORLD = "xpr::expect::unknown_world": "a world name other than `linux` or `macos`";
    WORLD_KERNEL = "xpr::world::kernel": "a catalogue world names no kernel, or both a package and an image";
}
