//! The places inside a query's radius, found once through the place index: which
//! facilities are inside and how far each is, and which services have a place
//! inside. A text search then scores only those services and reads distances
//! from here, instead of measuring every place of every matching service of a
//! national directory against the point.

use std::cell::RefCell;

use crate::snapshot::Snapshot;

thread_local! {
    /// The per-facility distance table of the last search on this thread, all
    /// unset again: reused so a search does not allocate and fill a table the
    /// size of the directory.
    static SPARE: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// The facilities within a radius, and the services that have one of them.
pub(super) struct Near {
    /// Kilometres by facility index; NaN outside the radius.
    km: Vec<f64>,
    inside: Vec<u32>,
    /// Bit per service: it has a place inside.
    service_bits: Vec<u64>,
    services: Vec<usize>,
}

impl Near {
    pub(super) fn new(snap: &Snapshot, lat: f64, lon: f64, radius_km: f64) -> Near {
        let dir = &snap.directory;
        let mut km = SPARE.with(|s| std::mem::take(&mut *s.borrow_mut()));
        if km.len() < snap.facilities.len() {
            km.resize(snap.facilities.len(), f64::NAN);
        }
        let mut service_bits = vec![0u64; dir.services.len().div_ceil(64)];
        let mut services = Vec::new();
        let mut inside = Vec::new();
        // One metre of slack, as the radius filter has always allowed.
        for (f, m) in snap
            .places
            .within_unordered(lat, lon, radius_km * 1000.0 + 1.0)
        {
            let Some(slot) = km.get_mut(f as usize) else {
                continue;
            };
            *slot = m / 1000.0;
            inside.push(f);
            for &l in dir.facility_links.get(f as usize) {
                let s = dir.links[l as usize].service;
                let (w, b) = (s / 64, 1u64 << (s % 64));
                if let Some(word) = service_bits.get_mut(w) {
                    if *word & b == 0 {
                        *word |= b;
                        services.push(s);
                    }
                }
            }
        }
        services.sort_unstable();
        Near {
            km,
            inside,
            service_bits,
            services,
        }
    }

    /// Kilometres to `facility`, `None` outside the radius.
    pub(super) fn km(&self, facility: u32) -> Option<f64> {
        self.km
            .get(facility as usize)
            .copied()
            .filter(|d| !d.is_nan())
    }

    pub(super) fn has_service(&self, service: usize) -> bool {
        self.service_bits
            .get(service / 64)
            .is_some_and(|w| w & (1 << (service % 64)) != 0)
    }

    /// The services with a place inside, in index order.
    pub(super) fn services(&self) -> &[usize] {
        &self.services
    }
}

impl Drop for Near {
    fn drop(&mut self) {
        for &f in &self.inside {
            self.km[f as usize] = f64::NAN;
        }
        let km = std::mem::take(&mut self.km);
        SPARE.with(|s| *s.borrow_mut() = km);
    }
}
