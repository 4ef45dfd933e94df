//! The worlds an expectation is for, by their properties: `mechanism=landlock|none` and
//! `landlock-abi=">=4"` (spec §4.6, "Scoped expectations"). Both narrow one interval of the
//! world's effective Landlock ABI (0: no Landlock), so overlap between two expectations of
//! the same pair is decidable at check time.

use serde::{Deserialize, Serialize};

/// Effective Landlock ABIs `min..=max` (`max` `None`: no upper bound). ABI 0 is a world
/// without Landlock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AbiScope {
    pub min: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
}

impl AbiScope {
    pub(crate) const ANY: AbiScope = AbiScope { min: 0, max: None };

    /// `mechanism=landlock` (ABI 1 and later) or `mechanism=none` (ABI 0).
    pub(crate) fn mechanism(name: &str) -> Option<AbiScope> {
        match name {
            "landlock" => Some(AbiScope { min: 1, max: None }),
            "none" => Some(AbiScope {
                min: 0,
                max: Some(0),
            }),
            _ => None,
        }
    }

    /// `>=4`, `≥ 4`, `>3`, `<=5`, `<4`, `=2`, `2`, or `2..5` (both ends included).
    pub(crate) fn parse(text: &str) -> Result<AbiScope, String> {
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let number = |s: &str| {
            s.parse::<u32>()
                .map_err(|_| "not an ABI number or range".to_string())
        };
        let scope = if let Some((lo, hi)) = t.split_once("..") {
            AbiScope {
                min: number(lo)?,
                max: Some(number(hi.strip_prefix('=').unwrap_or(hi))?),
            }
        } else if let Some(n) = t.strip_prefix(">=").or_else(|| t.strip_prefix('≥')) {
            AbiScope {
                min: number(n)?,
                max: None,
            }
        } else if let Some(n) = t.strip_prefix("<=").or_else(|| t.strip_prefix('≤')) {
            AbiScope {
                min: 0,
                max: Some(number(n)?),
            }
        } else if let Some(n) = t.strip_prefix('>') {
            AbiScope {
                min: number(n)?.saturating_add(1),
                max: None,
            }
        } else if let Some(n) = t.strip_prefix('<') {
            let n = number(n)?;
            if n == 0 {
                return Err("no ABI is below 0".into());
            }
            AbiScope {
                min: 0,
                max: Some(n - 1),
            }
        } else {
            let n = number(t.strip_prefix('=').unwrap_or(&t))?;
            AbiScope {
                min: n,
                max: Some(n),
            }
        };
        if scope.is_empty() {
            return Err("admits no ABI".into());
        }
        Ok(scope)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.max.is_some_and(|max| max < self.min)
    }

    pub(crate) fn admits(&self, abi: u32) -> bool {
        abi >= self.min && self.max.is_none_or(|max| abi <= max)
    }

    /// The ABIs both admit (possibly empty).
    pub(crate) fn intersect(&self, other: &AbiScope) -> AbiScope {
        AbiScope {
            min: self.min.max(other.min),
            max: match (self.max, other.max) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }

    pub(crate) fn overlaps(&self, other: &AbiScope) -> bool {
        !self.intersect(other).is_empty()
    }

    /// `ABI 0` (no Landlock), `ABI ≥ 4`, `ABI 2..5`, `any ABI`.
    pub(crate) fn describe(&self) -> String {
        match (self.min, self.max) {
            (0, None) => "any ABI".into(),
            (0, Some(0)) => "no Landlock (ABI 0)".into(),
            (min, None) => format!("ABI ≥ {min}"),
            (0, Some(max)) => format!("ABI ≤ {max}"),
            (min, Some(max)) if min == max => format!("ABI {min}"),
            (min, Some(max)) => format!("ABI {min}..{max}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_and_rejects_empty_or_malformed_ranges() {
        let s = |t| AbiScope::parse(t).unwrap();
        assert_eq!(s(">=4"), AbiScope { min: 4, max: None });
        assert_eq!(s("≥ 4"), AbiScope { min: 4, max: None });
        assert_eq!(s(">3"), AbiScope { min: 4, max: None });
        assert_eq!(
            s("<4"),
            AbiScope {
                min: 0,
                max: Some(3)
            }
        );
        assert_eq!(
            s("<= 3"),
            AbiScope {
                min: 0,
                max: Some(3)
            }
        );
        assert_eq!(
            s("2"),
            AbiScope {
                min: 2,
                max: Some(2)
            }
        );
        assert_eq!(
            s("=2"),
            AbiScope {
                min: 2,
                max: Some(2)
            }
        );
        assert_eq!(
            s("2..5"),
            AbiScope {
                min: 2,
                max: Some(5)
            }
        );
        for bad in ["", ">=x", "<0", "5..2", "four", "1..", "-1"] {
            assert!(AbiScope::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mechanism_and_ranges_meet_as_intervals() {
        let landlock = AbiScope::mechanism("landlock").unwrap();
        let none = AbiScope::mechanism("none").unwrap();
        assert!(!landlock.overlaps(&none));
        assert!(none.admits(0) && !none.admits(1));
        let old = AbiScope::parse("<4").unwrap();
        let new = AbiScope::parse(">=4").unwrap();
        assert!(!old.overlaps(&new));
        assert!(old.overlaps(&landlock));
        assert_eq!(old.intersect(&landlock).describe(), "ABI 1..3");
        assert!(landlock.intersect(&none).is_empty());
    }
}
