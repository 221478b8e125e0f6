//! Which facility (the directory's place, an HSDS location) a publication's
//! `Location` is. By identifier first (a `system|value` the facility's sources gave,
//! its source id, its uuid); then by name and distance: a facility closer than
//! [`MAX_METRES`] whose name is alike enough, and only if exactly one such is
//! clearly best. Anything else stays unmatched and is reported: a slot shown at the
//! wrong clinic sends a person to the wrong door, so nothing is guessed.

use std::collections::BTreeSet;

use medmap_indexers::names::normalize;

/// Farthest a Location may be from the facility it is matched to by name.
pub const MAX_METRES: f64 = 200.0;
/// Least name similarity (shared words over all words) for a name match.
pub const MIN_SIMILARITY: f64 = 0.5;

/// How a Location was matched, or why not.
#[derive(Debug, Clone, PartialEq)]
pub enum Match {
    Identifier(i64),
    NameDistance { facility: i64, metres: f64 },
    Unmatched(String),
}

impl Match {
    pub fn facility(&self) -> Option<i64> {
        match self {
            Match::Identifier(f) | Match::NameDistance { facility: f, .. } => Some(*f),
            Match::Unmatched(_) => None,
        }
    }

    /// What the store keeps in `matched_by`.
    pub fn how(&self) -> Option<&'static str> {
        match self {
            Match::Identifier(_) => Some("identifier"),
            Match::NameDistance { .. } => Some("name_distance"),
            Match::Unmatched(_) => None,
        }
    }
}

fn words(s: &str) -> BTreeSet<String> {
    normalize(s)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Shared words over all words of the two names (Jaccard), 0 to 1.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (words(a), words(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

/// The name-and-distance match among `candidates` (`facility id, name, metres`),
/// those within [`MAX_METRES`] already: the most similar name at or above
/// [`MIN_SIMILARITY`], unless another candidate is as similar (ambiguous).
pub fn by_name(name: &str, candidates: &[(i64, &str, f64)]) -> Match {
    let mut scored: Vec<(f64, i64, f64)> = candidates
        .iter()
        .filter(|c| c.2 < MAX_METRES)
        .map(|&(id, n, m)| (similarity(name, n), id, m))
        .filter(|s| s.0 >= MIN_SIMILARITY)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.total_cmp(&b.2)));
    match scored.as_slice() {
        [] if candidates.is_empty() => Match::Unmatched(format!(
            "no identifier matched and no facility is within {MAX_METRES} m"
        )),
        [] => Match::Unmatched(format!(
            "no identifier matched and no facility within {MAX_METRES} m has a similar name"
        )),
        [best, second, ..] if (best.0 - second.0).abs() < 1e-9 => Match::Unmatched(format!(
            "ambiguous: facilities {} and {} are both within {MAX_METRES} m with names as similar",
            best.1, second.1
        )),
        [best, ..] => Match::NameDistance {
            facility: best.1,
            metres: best.2,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_distances() {
        let c = [(1, "Central Clinic", 40.0), (2, "Riverside Pharmacy", 30.0)];
        assert_eq!(
            by_name("Central clinic", &c),
            Match::NameDistance {
                facility: 1,
                metres: 40.0
            }
        );
        assert!(matches!(
            by_name("Hilltop Surgery", &c),
            Match::Unmatched(_)
        ));
        assert!(matches!(
            by_name("Central Clinic", &[]),
            Match::Unmatched(_)
        ));
        let twins = [(1, "Clinic No 2", 50.0), (3, "Clinic No 2", 60.0)];
        assert!(
            matches!(by_name("Clinic No 2", &twins), Match::Unmatched(m) if m.contains("ambiguous"))
        );
        assert!(matches!(
            by_name("Central Clinic", &[(1, "Central Clinic", 250.0)]),
            Match::Unmatched(_)
        ));
    }
}
