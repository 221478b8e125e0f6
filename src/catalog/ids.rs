//! Public medication ids: `s123` a substance, `p456` a product group. The kind is part
//! of the id because substances and products live in separate id spaces, and a client
//! holding an id must be able to fetch it without saying which it is.

use std::fmt;

use medmap_indexers::names::ConceptKind;

use super::CatalogError;

/// A parsed public id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MedicationId {
    pub kind: ConceptKind,
    pub id: i64,
}

impl MedicationId {
    pub fn new(kind: ConceptKind, id: i64) -> MedicationId {
        MedicationId { kind, id }
    }

    /// Parses `text` given as the parameter `param`, so the error names it.
    pub fn parse(param: &'static str, text: &str) -> Result<MedicationId, CatalogError> {
        parse_public_id(text)
            .map(|(kind, id)| MedicationId { kind, id })
            .ok_or_else(|| CatalogError::BadId {
                param,
                value: text.to_string(),
            })
    }
}

impl fmt::Display for MedicationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.kind {
            ConceptKind::Substance => 's',
            ConceptKind::Product => 'p',
        };
        write!(f, "{prefix}{}", self.id)
    }
}

pub fn public_id(kind: ConceptKind, id: i64) -> String {
    MedicationId { kind, id }.to_string()
}

/// `s123` / `p123` with a positive number; anything else is `None`.
fn parse_public_id(s: &str) -> Option<(ConceptKind, i64)> {
    let (kind, rest) = match s.as_bytes().first()? {
        b's' => (ConceptKind::Substance, &s[1..]),
        b'p' => (ConceptKind::Product, &s[1..]),
        _ => return None,
    };
    rest.parse()
        .ok()
        .filter(|n: &i64| *n > 0)
        .map(|n| (kind, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        for (kind, n) in [(ConceptKind::Substance, 1), (ConceptKind::Product, 987_654)] {
            let text = public_id(kind, n);
            assert_eq!(parse_public_id(&text), Some((kind, n)));
        }
        for bad in [
            "",
            "s",
            "p0",
            "s-1",
            "x12",
            "p12a",
            "P12",
            "s 1",
            "p99999999999999999999",
        ] {
            assert_eq!(parse_public_id(bad), None, "{bad:?}");
        }
        let e = MedicationId::parse("medication_id", "q1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"q1\" is not a medication id (s123 or p123)"
        );
    }
}
