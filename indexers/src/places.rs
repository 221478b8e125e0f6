//! Facilities on the globe: k nearest and within-radius queries.
//!
//! Points are stored as 3D unit vectors (x, y, z on the unit sphere) in an
//! [`rstar`] R-tree, not as (lon, lat) pairs. Why: the straight-line (chord)
//! distance between two unit vectors is a strictly increasing function of the
//! great-circle angle between them (`chord = 2·sin(θ/2)`), so the R-tree's own
//! Euclidean nearest-neighbour and within-distance searches are *exact* for
//! great-circle distance, at any latitude, at the poles and across the
//! antimeridian, with no longitude wrap-around special cases and no
//! "degrees of longitude shrink with latitude" fudge. Distances are reported in
//! metres on the GRS80 mean-radius sphere, the same sphere as
//! [`geo::Haversine`], so [`haversine_m`] and the index agree to the millimetre.
//!
//! Facility ids are the app's dense facility indices (`u32`). The index also
//! keeps a dense `facility -> unit vector` array ([`PlaceIndex::unit_vector`]):
//! the stock planner scans a product's postings and needs the distance of an
//! arbitrary facility in a few nanoseconds, without touching the tree.

use geo::{Distance, Haversine, Point};
use rstar::primitives::GeomWithData;
use rstar::RTree;

/// Mean Earth radius (GRS80 R1) in metres: the radius [`geo::Haversine`] uses.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Facility ids at or above this are rejected by [`PlaceIndex::build`]: the
/// dense per-facility arrays (here and in the stock index, which packs a
/// facility into 24 bits) are sized by the largest id, so an absurd id must not
/// be able to allocate gigabytes.
pub const MAX_FACILITY: u32 = 1 << 24;

type Entry = GeomWithData<[f64; 3], u32>;

/// An immutable R-tree over facility locations. Build once per snapshot.
#[derive(Debug, Clone)]
pub struct PlaceIndex {
    tree: RTree<Entry>,
    /// Dense by facility id; `[NaN; 3]` for ids that have no location.
    coords: Vec<[f64; 3]>,
    skipped: usize,
    /// Count pyramid for [`PlaceIndex::estimate_within`], finest level first.
    density: Vec<DensityLevel>,
}

/// Facility counts per lat/lon cell of one size.
#[derive(Debug, Clone)]
struct DensityLevel {
    cell_deg: f64,
    counts: std::collections::HashMap<(i32, i32), u32>,
}

impl DensityLevel {
    fn cell(&self, lat: f64, lon: f64) -> (i32, i32) {
        // `as` saturates; coordinates are validated finite before this.
        (
            (lat / self.cell_deg).floor() as i32,
            (lon / self.cell_deg).floor() as i32,
        )
    }
    fn get(&self, i: i32, j: i32) -> u32 {
        self.counts.get(&(i, j)).copied().unwrap_or(0)
    }
}

/// Cell sizes of the density pyramid: 0.02° (≈ 2 km) doubling to ≈ 5°, enough
/// for radii from a few hundred metres to the API's 200 km cap.
const DENSITY_LEVELS: usize = 9;
const DENSITY_FINEST_DEG: f64 = 0.02;

impl Default for PlaceIndex {
    fn default() -> Self {
        Self::build(std::iter::empty())
    }
}

/// Converts latitude/longitude in degrees to a unit vector; `None` for
/// non-finite input or a latitude outside [-90, 90]. Any finite longitude is
/// accepted: the trigonometry wraps it (190° is -170°).
pub fn unit_vector(lat: f64, lon: f64) -> Option<[f64; 3]> {
    if !lat.is_finite() || !lon.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return None;
    }
    let (slat, clat) = lat.to_radians().sin_cos();
    let (slon, clon) = lon.to_radians().sin_cos();
    Some([clat * clon, clat * slon, slat])
}

/// Squared chord length (unit sphere) between two unit vectors.
#[inline]
pub fn chord2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let dx = a[0] - b[0];
    let dy = a[1] - b[1];
    let dz = a[2] - b[2];
    dx * dx + dy * dy + dz * dz
}

/// Great-circle metres for a squared chord on the unit sphere.
#[inline]
pub fn chord2_to_m(c2: f64) -> f64 {
    // θ = 2·asin(c/2); clamp guards rounding just above the antipodal chord 2.
    2.0 * EARTH_RADIUS_M * (c2.max(0.0).sqrt() * 0.5).min(1.0).asin()
}

/// Squared chord on the unit sphere for a great-circle distance in metres.
/// Radii of half the circumference or more cover the whole sphere.
#[inline]
pub fn m_to_chord2(m: f64) -> f64 {
    if m.is_nan() || m < 0.0 {
        return -1.0; // nothing is within a negative radius
    }
    let theta = m / EARTH_RADIUS_M;
    if theta >= std::f64::consts::PI {
        return 4.0 + 1e-9;
    }
    let c = 2.0 * (theta * 0.5).sin();
    // A hair of slack so a point exactly on the circle is not lost to rounding
    // in the unit-vector conversion; callers re-check with the metre value.
    c * c * (1.0 + 1e-12) + 1e-18
}

/// Great-circle distance in metres by the haversine formula (via
/// [`geo::Haversine`], GRS80 mean radius). Arguments are degrees.
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    Haversine.distance(Point::new(lon1, lat1), Point::new(lon2, lat2))
}

impl PlaceIndex {
    /// Bulk-loads the tree (STR packing, faster and better-shaped than
    /// inserting one by one). Points with invalid coordinates or an id
    /// `>= MAX_FACILITY` are skipped and counted in [`PlaceIndex::skipped`];
    /// a repeated id keeps its last location.
    pub fn build(points: impl IntoIterator<Item = (u32, f64, f64)>) -> Self {
        let mut coords: Vec<[f64; 3]> = Vec::new();
        let mut skipped = 0usize;
        for (id, lat, lon) in points {
            let Some(v) = unit_vector(lat, lon).filter(|_| id < MAX_FACILITY) else {
                skipped += 1;
                continue;
            };
            let i = id as usize;
            if coords.len() <= i {
                coords.resize(i + 1, [f64::NAN; 3]);
            }
            if !coords[i][0].is_nan() {
                skipped += 1; // the earlier location of a repeated id
            }
            coords[i] = v;
        }
        let entries: Vec<Entry> = coords
            .iter()
            .enumerate()
            .filter(|(_, v)| !v[0].is_nan())
            .map(|(i, v)| GeomWithData::new(*v, i as u32))
            .collect();
        coords.shrink_to_fit();
        let density = (0..DENSITY_LEVELS)
            .map(|k| {
                let mut lvl = DensityLevel {
                    cell_deg: DENSITY_FINEST_DEG * f64::from(1u32 << k),
                    counts: Default::default(),
                };
                for e in &entries {
                    let v = e.geom();
                    let (lat, lon) = (v[2].asin().to_degrees(), v[1].atan2(v[0]).to_degrees());
                    *lvl.counts.entry(lvl.cell(lat, lon)).or_insert(0) += 1;
                }
                lvl.counts.shrink_to_fit();
                lvl
            })
            .collect();
        PlaceIndex {
            tree: RTree::bulk_load(entries),
            coords,
            skipped,
            density,
        }
    }

    /// The `k` facilities nearest to the point, nearest first, with metres.
    /// Empty for invalid coordinates.
    pub fn nearest(&self, lat: f64, lon: f64, k: usize) -> Vec<(u32, f64)> {
        let Some(q) = unit_vector(lat, lon) else {
            return Vec::new();
        };
        self.tree
            .nearest_neighbor_iter_with_distance_2(&q)
            .take(k)
            .map(|(e, d2)| (e.data, chord2_to_m(d2)))
            .collect()
    }

    /// Facilities within `radius_m` metres (great circle), nearest first.
    /// Empty for invalid coordinates or a negative / NaN radius.
    pub fn within(&self, lat: f64, lon: f64, radius_m: f64) -> Vec<(u32, f64)> {
        let mut out = self.within_unordered(lat, lon, radius_m);
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out
    }

    /// [`PlaceIndex::within`] in no order: for a caller that only asks which
    /// facilities are inside (a text search's radius filter covers a whole city,
    /// tens of thousands of places, and sorting them would cost more than
    /// finding them).
    pub fn within_unordered(&self, lat: f64, lon: f64, radius_m: f64) -> Vec<(u32, f64)> {
        let Some(q) = unit_vector(lat, lon) else {
            return Vec::new();
        };
        let c2 = m_to_chord2(radius_m);
        if c2 < 0.0 {
            return Vec::new();
        }
        self.tree
            .locate_within_distance(q, c2)
            .map(|e| (e.data, chord2_to_m(chord2(e.geom(), &q))))
            .filter(|&(_, d)| d <= radius_m + 1e-6) // µm slack: chord vs haversine rounding
            .collect()
    }

    /// Walks facilities outward from the point, nearest first, yielding
    /// `(facility, squared unit-sphere chord)`. Lazy: the stock planner stops
    /// as soon as it has enough hits or passes the radius. Empty for invalid
    /// coordinates.
    pub fn walk(&self, q: [f64; 3]) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.tree
            .nearest_neighbor_iter_with_distance_2(&q)
            .map(|(e, d2)| (e.data, d2))
    }

    /// Estimated number of facilities within `radius_m` of the point, from a
    /// count pyramid (a few hash lookups, no tree walk). The stock planner uses
    /// it as the density term when it weighs walking the tree against scanning
    /// a product's postings; it is an estimate (uniform density inside the
    /// cells it reads), never used for correctness.
    pub fn estimate_within(&self, lat: f64, lon: f64, radius_m: f64) -> f64 {
        let n = self.len() as f64;
        if radius_m.is_nan()
            || radius_m <= 0.0
            || !lat.is_finite()
            || !lon.is_finite()
            || lat.abs() > 80.0
        {
            return n;
        }
        let r_deg = radius_m / 111_195.0;
        let lon_scale = lat.to_radians().cos().max(0.05);
        let Some(level) = self
            .density
            .iter()
            .position(|l| l.cell_deg >= 2.0 * r_deg / lon_scale)
        else {
            return n;
        };
        let lvl = &self.density[level];
        let (ci, cj) = lvl.cell(lat, lon);
        // The 2x2 block of cells around the point covers the circle; scale
        // the count by circle area / block area.
        let half = |x: f64| if x - x.floor() < 0.5 { -1 } else { 0 };
        let (di, dj) = (half(lat / lvl.cell_deg), half(lon / lvl.cell_deg));
        let mut count = 0u64;
        for a in 0..2 {
            for b in 0..2 {
                count += u64::from(lvl.get(ci + di + a, cj + dj + b));
            }
        }
        let block_area = (2.0 * lvl.cell_deg).powi(2) * lon_scale;
        let circle_area = std::f64::consts::PI * r_deg * r_deg;
        (count as f64 * (circle_area / block_area).min(1.0)).min(n)
    }

    /// The facility's unit vector, if it has a location.
    #[inline]
    pub fn unit_vector(&self, facility: u32) -> Option<&[f64; 3]> {
        self.coords
            .get(facility as usize)
            .filter(|v| !v[0].is_nan())
    }

    /// Latitude and longitude (degrees) of a facility, if it has a location.
    pub fn lat_lon(&self, facility: u32) -> Option<(f64, f64)> {
        let v = self.unit_vector(facility)?;
        Some((v[2].asin().to_degrees(), v[1].atan2(v[0]).to_degrees()))
    }

    /// Number of located facilities.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// True when no facility has a location.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Points rejected at build (invalid coordinates, id too large, or an
    /// earlier location of a repeated id).
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Approximate heap bytes: the dense coordinate array plus the tree
    /// (entries plus node overhead, estimated from rstar's default fan-out).
    pub fn heap_bytes(&self) -> usize {
        let entry = std::mem::size_of::<rstar::RTreeNode<Entry>>();
        // Leaves hold up to 6 entries; parents ≈ n/3 nodes of envelope + Vec.
        let parents = self.len() / 3 + 1;
        let density: usize = self.density.iter().map(|l| l.counts.capacity() * 13).sum();
        self.coords.capacity() * std::mem::size_of::<[f64; 3]>()
            + density
            + self.len() * entry
            + parents * (48 + std::mem::size_of::<Vec<u8>>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn london_paris_known_answer() {
        // Charing Cross to Notre-Dame: ≈ 343.5 km on the mean sphere.
        let d = haversine_m(51.5074, -0.1278, 48.8566, 2.3522);
        assert!(close(d, 343_500.0, 1_000.0), "{d}");
        let idx = PlaceIndex::build([(7, 48.8566, 2.3522)]);
        let got = idx.nearest(51.5074, -0.1278, 1);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 7);
        assert!(close(got[0].1, d, 0.01), "{} vs {d}", got[0].1);
    }

    #[test]
    fn across_the_antimeridian() {
        // Two points 0.2° of longitude apart straddling ±180° at the equator:
        // ≈ 22.2 km, not ≈ 40,000 km.
        let d = haversine_m(0.0, 179.9, 0.0, -179.9);
        assert!(close(d, 22_239.0, 5.0), "{d}");
        let idx = PlaceIndex::build([
            (1, 0.0, -179.9), // just east of the line
            (2, 0.0, 170.0),  // far west
            (3, 0.0, -170.0), // far east
        ]);
        let near = idx.nearest(0.0, 179.9, 3);
        assert_eq!(near[0].0, 1);
        assert!(close(near[0].1, d, 0.5), "{:?}", near);
        let w = idx.within(0.0, 179.9, 30_000.0);
        assert_eq!(w.iter().map(|x| x.0).collect::<Vec<_>>(), vec![1]);
        // Fiji-ish: 180.1 is the same meridian as -179.9.
        let w2 = idx.within(0.0, 180.1, 1.0);
        assert_eq!(w2.iter().map(|x| x.0).collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn near_the_poles() {
        // Points on opposite meridians 1° from the north pole are ≈ 222 km
        // apart through the pole, whatever their longitudes say.
        let d = haversine_m(89.0, 0.0, 89.0, 180.0);
        assert!(close(d, 222_390.0, 100.0), "{d}");
        let idx = PlaceIndex::build([(1, 89.0, 180.0), (2, 87.5, 0.0), (3, 90.0, 45.0)]);
        let near = idx.nearest(89.0, 0.0, 3);
        assert_eq!(near.iter().map(|x| x.0).collect::<Vec<_>>(), vec![3, 2, 1]);
        assert!(close(near[2].1, d, 0.5));
        // The pole itself: every longitude is 111 km from 89°N.
        let around: Vec<(u32, f64, f64)> = (0..36)
            .map(|i| (i, 89.0, -180.0 + 10.0 * i as f64))
            .collect();
        let idx = PlaceIndex::build(around);
        assert_eq!(idx.within(90.0, 0.0, 111_200.0).len(), 36);
        assert_eq!(idx.within(90.0, 0.0, 111_100.0).len(), 0);
    }

    #[test]
    fn within_is_sorted_and_exact_at_the_edge() {
        let pts: Vec<(u32, f64, f64)> = (0..100)
            .map(|i| (i, 50.0 + 0.01 * i as f64, 30.0))
            .collect();
        let idx = PlaceIndex::build(pts.clone());
        let r = haversine_m(50.0, 30.0, 50.5, 30.0);
        let w = idx.within(50.0, 30.0, r);
        assert_eq!(w.len(), 51, "point exactly on the circle is inside");
        assert!(w.windows(2).all(|p| p[0].1 <= p[1].1));
        for (id, d) in &w {
            let (_, la, lo) = pts[*id as usize];
            assert!(close(*d, haversine_m(50.0, 30.0, la, lo), 1e-3));
        }
    }

    #[test]
    fn matches_brute_force_haversine() {
        // Pseudo-random points worldwide; nearest-10 equals a brute-force sort.
        let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let pts: Vec<(u32, f64, f64)> = (0..2000)
            .map(|i| (i, rnd() * 180.0 - 90.0, rnd() * 360.0 - 180.0))
            .collect();
        let idx = PlaceIndex::build(pts.clone());
        for _ in 0..50 {
            let (la, lo) = (rnd() * 180.0 - 90.0, rnd() * 360.0 - 180.0);
            let mut brute: Vec<(u32, f64)> = pts
                .iter()
                .map(|&(i, a, b)| (i, haversine_m(la, lo, a, b)))
                .collect();
            brute.sort_by(|a, b| a.1.total_cmp(&b.1));
            let got = idx.nearest(la, lo, 10);
            for (g, b) in got.iter().zip(&brute) {
                assert!(close(g.1, b.1, 0.01), "{g:?} {b:?}");
            }
            let r = brute[25].1 + 1.0;
            assert_eq!(idx.within(la, lo, r).len(), 26);
        }
    }

    #[test]
    fn density_estimate_is_in_the_right_ballpark() {
        // 40 x 40 grid, 0.005° apart (≈ 0.55 km x 0.36 km at 50°N).
        let pts: Vec<(u32, f64, f64)> = (0..1600)
            .map(|i| {
                (
                    i,
                    50.0 + 0.005 * (i / 40) as f64,
                    30.0 + 0.005 * (i % 40) as f64,
                )
            })
            .collect();
        let idx = PlaceIndex::build(pts);
        let exact = idx.within(50.1, 30.1, 3_000.0).len() as f64;
        let est = idx.estimate_within(50.1, 30.1, 3_000.0);
        assert!(est > exact / 3.0 && est < exact * 3.0, "{est} vs {exact}");
        assert!(idx.estimate_within(10.0, 10.0, 3_000.0) < 1.0);
        assert_eq!(idx.estimate_within(50.1, 30.1, 5e6), 1600.0);
    }

    #[test]
    fn rejects_bad_input_without_panicking() {
        let idx = PlaceIndex::build([
            (0, f64::NAN, 0.0),
            (1, 91.0, 0.0),
            (2, 10.0, f64::INFINITY),
            (MAX_FACILITY, 0.0, 0.0),
            (3, 10.0, 10.0),
            (3, 11.0, 11.0),
        ]);
        assert_eq!(idx.len(), 1);
        assert_eq!(idx.skipped(), 5);
        let (la, lo) = idx.lat_lon(3).unwrap_or_default();
        assert!(close(la, 11.0, 1e-9) && close(lo, 11.0, 1e-9));
        assert!(idx.nearest(f64::NAN, 0.0, 3).is_empty());
        assert!(idx.within(0.0, 0.0, -5.0).is_empty());
        assert!(idx.within(0.0, 0.0, f64::NAN).is_empty());
        assert_eq!(
            idx.within(-11.0, -169.0, 1e9).len(),
            1,
            "antipode, whole sphere"
        );
        assert!(PlaceIndex::default().nearest(0.0, 0.0, 5).is_empty());
    }
}
