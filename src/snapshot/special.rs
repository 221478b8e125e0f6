//! Special times in the snapshot: each facility's duty shifts and closures, merged
//! from every source that sent them, laid over its hours by
//! [`Snapshot::state_of`](super::Snapshot::state_of).

use std::collections::HashMap;
use std::sync::Arc;

use medmap_indexers::hours::Special;

use crate::store::SpecialRow;

/// One facility's spans in order, none overlapping, with their notes beside them
/// (the evaluator reads the spans as one slice).
#[derive(Debug, Clone, Default)]
pub struct FacilitySpecials {
    pub spans: Vec<Special>,
    pub notes: Vec<Option<Arc<str>>>,
}

/// Special times by facility index.
#[derive(Debug, Clone, Default)]
pub struct SpecialTimes {
    by_facility: HashMap<u32, FacilitySpecials>,
}

impl SpecialTimes {
    /// From stored rows. Spans of different sources (a city's rota, the pharmacy's
    /// own push) may overlap: the later rota wins where they do, and the earlier
    /// span keeps what is left of it on either side.
    pub fn build(rows: Vec<SpecialRow>, index: &HashMap<i64, u32>) -> SpecialTimes {
        let mut per: HashMap<u32, Vec<SpecialRow>> = HashMap::new();
        for r in rows {
            if let Some(&i) = index.get(&r.facility_id) {
                per.entry(i).or_default().push(r);
            }
        }
        let by_facility = per
            .into_iter()
            .map(|(i, mut rows)| {
                rows.sort_by_key(|r| (r.received_at, r.starts_at));
                let mut painted: Vec<(Special, Option<Arc<str>>)> = Vec::new();
                for r in rows {
                    let new = Special {
                        from: r.starts_at,
                        to: r.ends_at,
                        open: r.is_open,
                    };
                    paint(&mut painted, new, r.note.map(Arc::from));
                }
                painted.sort_by_key(|(s, _)| s.from);
                let (spans, notes) = painted.into_iter().unzip();
                (i, FacilitySpecials { spans, notes })
            })
            .collect();
        SpecialTimes { by_facility }
    }

    /// A facility's spans (empty for most).
    pub fn of(&self, facility: u32) -> &[Special] {
        self.by_facility
            .get(&facility)
            .map_or(&[], |f| f.spans.as_slice())
    }

    pub fn get(&self, facility: u32) -> Option<&FacilitySpecials> {
        self.by_facility.get(&facility)
    }

    /// The facilities that have any.
    pub fn facilities(&self) -> impl Iterator<Item = u32> + '_ {
        self.by_facility.keys().copied()
    }
}

/// Lays `new` over `spans`, cutting what it covers out of the spans already there.
fn paint(spans: &mut Vec<(Special, Option<Arc<str>>)>, new: Special, note: Option<Arc<str>>) {
    let mut out = Vec::with_capacity(spans.len() + 2);
    for (s, n) in spans.drain(..) {
        if s.to <= new.from || new.to <= s.from {
            out.push((s, n));
            continue;
        }
        if s.from < new.from {
            out.push((Special { to: new.from, ..s }, n.clone()));
        }
        if new.to < s.to {
            out.push((Special { from: new.to, ..s }, n));
        }
    }
    out.push((new, note));
    *spans = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(f: i64, from: i64, to: i64, open: bool, received_at: i64) -> SpecialRow {
        SpecialRow {
            facility_id: f,
            starts_at: from,
            ends_at: to,
            is_open: open,
            note: None,
            received_at,
        }
    }

    /// The city's rota says on duty 20-32; the pharmacy later says closed 24-28:
    /// the later word wins inside, the rota keeps both ends.
    #[test]
    fn a_later_rota_cuts_into_an_earlier_one() {
        let index = HashMap::from([(7, 0u32)]);
        let t = SpecialTimes::build(
            vec![
                row(7, 20, 32, true, 1),
                row(7, 24, 28, false, 2),
                row(9, 0, 1, true, 1),
            ],
            &index,
        );
        let s = |from, to, open| Special { from, to, open };
        assert_eq!(
            t.of(0),
            &[s(20, 24, true), s(24, 28, false), s(28, 32, true)]
        );
        assert!(t.of(1).is_empty(), "facility 9 is not in the snapshot");
    }
}
