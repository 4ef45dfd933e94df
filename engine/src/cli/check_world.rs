//! The world `xpr check` shows fidelity in: this host (detected), a world of the catalogue
//! (`--world NAME`, from the Landlock ABI the catalogue declares for it: nothing is booted), or
//! a kernel with a given Landlock ABI (`--landlock-abi N`, made-up facts). Then, per profile,
//! the compile result as a table and a warning for each profile `run` will not enforce as
//! written, with the nearest rewrite.

use std::path::PathBuf;

use super::*;
use crate::diagnostics::{Diag, Diagnostics, codes};
use crate::model::Experiment;
use crate::report::fidelity::{ProfileFidelity, fidelity_table, rewrite_advice};
use crate::world::{LandlockStatus, WorldFacts, WorldOptions};

pub(crate) struct CheckWorld {
    pub facts: WorldFacts,
    /// How the facts were obtained, for the heading.
    pub described: String,
    /// "on this host" or "in world NAME", for warnings.
    pub short: String,
}

pub(crate) struct FidelityReport {
    pub text: String,
    pub warnings: Diagnostics,
}

impl CheckWorld {
    pub(crate) fn choose(
        world: Option<&str>,
        world_files: &[PathBuf],
        abi: Option<u32>,
    ) -> Result<CheckWorld, Error> {
        let host = || {
            let facts = WorldFacts::detect(&WorldOptions::default());
            (facts.landlock.host_abi, facts)
        };
        let Some(name) = world.filter(|w| *w != "host") else {
            return Ok(Self::host_or_abi(host, abi));
        };
        let catalogue = crate::worlds::Catalogue::load(world_files).map_err(Error::Invalid)?;
        let Some(spec) = catalogue.worlds.iter().find(|w| w.name == name) else {
            let names: Vec<&str> = catalogue.worlds.iter().map(|w| w.name.as_str()).collect();
            let hint = crate::diagnostics::suggest::help(name, names.iter().copied())
                .unwrap_or_else(|| format!("worlds: {}", names.join(", ")));
            return Err(usage(format!("no world `{name}` in the catalogue"), hint));
        };
        let Some(declared) = spec.landlock_abi else {
            return Err(usage(
                format!(
                    "world `{name}` does not declare `landlock-abi`, so check cannot know its facts without booting it"
                ),
                format!(
                    "add `landlock-abi N` to its entry in {}, or give `--landlock-abi N`",
                    spec.defined_in
                ),
            ));
        };
        let abi = abi.map_or(declared, |a| a.min(declared));
        Ok(CheckWorld {
            facts: WorldFacts::synthetic(abi, &[]),
            described: format!(
                "world {name}: {} (facts declared by the catalogue, not booted: {})",
                spec.description,
                landlock_words(abi)
            ),
            short: format!("in world {name}"),
        })
    }

    /// This host, capped at `abi` when that is at most its own; otherwise a made-up kernel
    /// with that ABI.
    fn host_or_abi(host: impl Fn() -> (u32, WorldFacts), abi: Option<u32>) -> CheckWorld {
        let (host_abi, facts) = host();
        match abi {
            Some(n) if n == 0 || n > host_abi => CheckWorld {
                facts: WorldFacts::synthetic(n, &[]),
                described: format!(
                    "a made-up kernel with {} (--landlock-abi {n}; this host has ABI {host_abi})",
                    landlock_words(n)
                ),
                short: format!("with Landlock ABI {n}"),
            },
            // Any other world option keeps its default, whatever options the world grows.
            #[allow(clippy::needless_update)]
            Some(n) => CheckWorld {
                facts: WorldFacts::detect(&WorldOptions {
                    landlock_abi_cap: Some(n),
                    ..WorldOptions::default()
                }),
                described: format!("this host, Landlock capped at ABI {n} (of {host_abi})"),
                short: format!("on this host with Landlock ABI {n}"),
            },
            None => {
                let described = format!(
                    "this host: {}, kernel {}",
                    match facts.landlock.status {
                        LandlockStatus::Available => landlock_words(facts.landlock.effective_abi),
                        _ => "no Landlock".to_string(),
                    },
                    facts.kernel
                );
                CheckWorld {
                    facts,
                    described,
                    short: "on this host".into(),
                }
            }
        }
    }

    /// Every profile of `exp` compiled for this world: the tables, and a warning per profile
    /// that will be blocked or approximate.
    pub(crate) fn report(&self, exp: &Experiment) -> FidelityReport {
        let mut text = format!("fidelity in {}:\n", self.described);
        let mut warnings = Diagnostics::new();
        for profile in &exp.profiles {
            let compiled =
                crate::compile::linux::compile(&profile.id, &profile.runtime, &self.facts);
            let verdict = ProfileFidelity::of(&compiled.fidelity, compiled.blocked.is_some());
            // The default action is approximate in every Linux world (only what Landlock
            // handles becomes default-deny); the table says so, a warning would be noise.
            let written_approximate = compiled
                .fidelity
                .iter()
                .any(|r| r.rule.is_some() && r.fidelity != crate::model::Fidelity::Exact);
            let why = compiled.blocked.as_ref().map(|b| {
                let reason = serde_json::to_value(b.reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                format!("{reason}: {}", b.detail)
            });
            text.push_str(&fidelity_table(
                &profile.id,
                &compiled.fidelity,
                verdict,
                why.as_deref(),
            ));
            let at = &profile.origin;
            let place = format!("{}:{}:{}", at.file, at.line, at.column);
            let advice = rewrite_advice(&profile.runtime, &compiled.fidelity);
            let warning = match verdict {
                ProfileFidelity::Exact => continue,
                ProfileFidelity::Approximate if !written_approximate => continue,
                ProfileFidelity::Blocked => Diag::warning(
                    codes::FIDELITY_BLOCKED,
                    format!(
                        "profile `{}` ({place}) cannot be applied {}: every scenario probe under it will be `blocked`",
                        profile.id,
                        self.short()
                    ),
                ),
                ProfileFidelity::Approximate => Diag::warning(
                    codes::FIDELITY_APPROXIMATE,
                    format!(
                        "profile `{}` ({place}) is enforced only approximately {}",
                        profile.id,
                        self.short()
                    ),
                ),
            };
            warnings.push(warning.help_opt(advice));
        }
        FidelityReport { text, warnings }
    }

    fn short(&self) -> &str {
        &self.short
    }
}

fn usage(message: String, help: String) -> Error {
    Error::Invalid(Diag::error(codes::USAGE, message).help(help).into())
}

fn landlock_words(abi: u32) -> String {
    match abi {
        0 => "no Landlock".to_string(),
        n => format!("Landlock ABI {n}"),
    }
}
