//! The directory as the snapshot holds it: rows from the store, linked by index and
//! looked up by HSDS UUID, so API answers and searches are map lookups, not queries.

use std::collections::HashMap;

use medmap_indexers::hours::{Hours, WeeklySlot};

use medmap_indexers::services::ServiceIndex;

use super::lists::Lists;
use super::search::text::{build_index, IndexInput};
use crate::model::SourceRef;
use crate::store::{
    DirectoryRows, FacilityRow, OrganizationRow, ScheduleFullRow, ServiceRow, TermRow,
};

/// A service delivered at a facility (HSDS `service_at_location`).
#[derive(Debug, Clone)]
pub struct Link {
    pub uuid: String,
    /// Index into `services`.
    pub service: usize,
    /// Facility index in the snapshot.
    pub facility: u32,
}

/// A taxonomy, as HSDS `taxonomy`: named by the source's record or derived from
/// the terms' `taxonomy` name.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub uuid: String,
    pub name: String,
}

#[derive(Debug, Default)]
pub struct ServiceDirectory {
    pub organizations: Vec<OrganizationRow>,
    pub services: Vec<ServiceRow>,
    pub terms: Vec<TermRow>,
    pub links: Vec<Link>,
    pub taxonomies: Vec<Taxonomy>,
    /// Per service: term indexes.
    pub service_terms: Vec<Vec<usize>>,
    /// Per service: link indexes.
    pub service_links: Vec<Vec<usize>>,
    /// Per service: its organization index.
    pub service_org: Vec<Option<usize>>,
    /// Per term: its taxonomy index.
    pub term_taxonomy: Vec<usize>,
    /// Schedules of a service itself (not tied to a location), by service index.
    pub service_schedules: HashMap<usize, Vec<ScheduleFullRow>>,
    /// Schedules of a location or of a service at it, by facility index.
    pub facility_schedules: HashMap<u32, Vec<ScheduleFullRow>>,
    /// Hours from the service's own schedule, by service index (locations have theirs).
    pub service_hours: Vec<Hours>,
    pub by_uuid: HashMap<String, Entity>,
    /// Facility index → organization index.
    pub facility_org: HashMap<u32, usize>,
    /// Facility indexes that are HSDS locations (linked to a service or an organization).
    pub locations: Vec<u32>,
    /// The services index (service `i` is document `i`).
    pub index: ServiceIndex,
    /// Links at each facility (by facility index), for searches by place.
    pub facility_links: Lists<u32>,
    /// Each service's places as `(link, facility)`, `service_links` laid flat
    /// for the search's filter loop, in link order (`link_order`).
    pub service_places: Lists<(u32, u32)>,
    /// Each service's facet values: its taxonomy terms, then its needs as
    /// `terms.len() + need`; counted for every result of a search.
    pub service_facets: Lists<u32>,
    /// Each service's place in (name, UUID) order, and each link's in UUID order:
    /// ranking ties are broken by these numbers, not by comparing strings tens of
    /// thousands of times per national search.
    pub service_order: Vec<u32>,
    pub link_order: Vec<u32>,
}

/// What a UUID names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Service(usize),
    Organization(usize),
    Term(usize),
    Taxonomy(usize),
    Link(usize),
}

/// The UUID of a taxonomy known only by name: stable across imports and replicas.
pub fn taxonomy_uuid(name: &str) -> String {
    SourceRef::new("taxonomy", name).uuid().to_string()
}

/// `HH:MM[:SS]` → time.
pub fn parse_time(s: &str) -> Option<chrono::NaiveTime> {
    chrono::NaiveTime::parse_from_str(s, "%H:%M:%S")
        .or_else(|_| chrono::NaiveTime::parse_from_str(s, "%H:%M"))
        .ok()
}

/// The weekly slots among schedule rows (free-text schedules have none).
pub fn weekly_slots(rows: &[ScheduleFullRow]) -> Vec<WeeklySlot> {
    rows.iter()
        .filter_map(|r| {
            let day = u8::try_from(r.weekday?)
                .ok()
                .filter(|d| (1..=7).contains(d))?;
            Some(WeeklySlot {
                weekday: chrono::Weekday::try_from(day - 1).ok()?,
                opens: parse_time(r.opens_at.as_deref()?)?,
                closes: parse_time(r.closes_at.as_deref()?)?,
            })
        })
        .collect()
}

/// The rank of each of `n` items in the order `cmp` gives.
fn order_of(n: usize, cmp: impl Fn(usize, usize) -> std::cmp::Ordering) -> Vec<u32> {
    let mut ix: Vec<usize> = (0..n).collect();
    ix.sort_by(|&a, &b| cmp(a, b));
    let mut rank = vec![0u32; n];
    for (r, i) in ix.into_iter().enumerate() {
        rank[i] = r as u32;
    }
    rank
}

impl ServiceDirectory {
    pub fn build(
        rows: DirectoryRows,
        facilities: &[FacilityRow],
        facility_index: &HashMap<i64, u32>,
    ) -> ServiceDirectory {
        let DirectoryRows {
            organizations,
            services,
            terms,
            service_terms,
            links,
            schedules,
        } = rows;
        let mut by_uuid = HashMap::new();
        let org_ix: HashMap<i64, usize> = organizations
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id, i))
            .collect();
        for (i, o) in organizations.iter().enumerate() {
            by_uuid.insert(o.uuid.clone(), Entity::Organization(i));
        }
        let svc_ix: HashMap<i64, usize> = services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
        for (i, s) in services.iter().enumerate() {
            by_uuid.insert(s.uuid.clone(), Entity::Service(i));
        }
        let term_ix: HashMap<i64, usize> =
            terms.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
        let mut taxonomies: Vec<Taxonomy> = Vec::new();
        let mut term_taxonomy = Vec::with_capacity(terms.len());
        for (i, t) in terms.iter().enumerate() {
            by_uuid.insert(t.uuid.clone(), Entity::Term(i));
            let name = t.taxonomy.clone().unwrap_or_else(|| t.source.clone());
            let uuid = t
                .taxonomy_id
                .clone()
                .unwrap_or_else(|| taxonomy_uuid(&name));
            let ix = match taxonomies.iter().position(|x| x.uuid == uuid) {
                Some(ix) => ix,
                None => {
                    taxonomies.push(Taxonomy { uuid, name });
                    taxonomies.len() - 1
                }
            };
            term_taxonomy.push(ix);
        }
        for (i, t) in taxonomies.iter().enumerate() {
            by_uuid.entry(t.uuid.clone()).or_insert(Entity::Taxonomy(i));
        }
        let mut st = vec![Vec::new(); services.len()];
        for (s, t) in service_terms {
            if let (Some(&s), Some(&t)) = (svc_ix.get(&s), term_ix.get(&t)) {
                st[s].push(t);
            }
        }
        let mut out_links = Vec::new();
        let mut sl = vec![Vec::new(); services.len()];
        for l in links {
            let (Some(&s), Some(&f)) = (
                svc_ix.get(&l.service_id),
                facility_index.get(&l.facility_id),
            ) else {
                continue;
            };
            let uuid = l.uuid.clone().unwrap_or_else(|| {
                SourceRef::new(
                    "service_at_location",
                    format!("{}/{}", services[s].uuid, facilities[f as usize].uuid),
                )
                .uuid()
                .to_string()
            });
            by_uuid.insert(uuid.clone(), Entity::Link(out_links.len()));
            sl[s].push(out_links.len());
            out_links.push(Link {
                uuid,
                service: s,
                facility: f,
            });
        }
        let mut service_schedules: HashMap<usize, Vec<ScheduleFullRow>> = HashMap::new();
        let mut facility_schedules: HashMap<u32, Vec<ScheduleFullRow>> = HashMap::new();
        for r in schedules {
            if let Some(&f) = r.facility_id.and_then(|f| facility_index.get(&f)) {
                facility_schedules.entry(f).or_default().push(r);
            } else if let Some(&s) = r.service_id.and_then(|s| svc_ix.get(&s)) {
                service_schedules.entry(s).or_default().push(r);
            }
        }
        // Stable order (by UUID) for every nested list, whatever order the store's
        // row ids give: exports and answers then compare equal across imports.
        for ts in &mut st {
            ts.sort_by(|a: &usize, b: &usize| terms[*a].uuid.cmp(&terms[*b].uuid));
        }
        for ls in &mut sl {
            ls.sort_by(|a: &usize, b: &usize| out_links[*a].uuid.cmp(&out_links[*b].uuid));
        }
        let schedule_uuid = |r: &ScheduleFullRow| SourceRef::new(&r.source, &r.source_id).uuid();
        for v in service_schedules.values_mut() {
            v.sort_by_key(schedule_uuid);
        }
        for v in facility_schedules.values_mut() {
            v.sort_by_key(schedule_uuid);
        }
        let service_hours = (0..services.len())
            .map(|s| {
                let slots = service_schedules
                    .get(&s)
                    .map(|r| weekly_slots(r))
                    .unwrap_or_default();
                if slots.is_empty() {
                    return Hours::Unknown { raw: String::new() };
                }
                let tz = sl[s]
                    .first()
                    .and_then(|&l: &usize| {
                        facilities[out_links[l].facility as usize]
                            .timezone
                            .as_deref()
                    })
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(chrono_tz::UTC);
                Hours::from_weekly(slots, tz)
            })
            .collect();
        let service_org = services
            .iter()
            .map(|s| s.organization_id.and_then(|o| org_ix.get(&o).copied()))
            .collect();
        let mut facility_org = HashMap::new();
        let mut locations = Vec::new();
        let linked: std::collections::HashSet<u32> = out_links.iter().map(|l| l.facility).collect();
        for (i, f) in facilities.iter().enumerate() {
            let org = f.organization_id.and_then(|o| org_ix.get(&o).copied());
            if let Some(o) = org {
                facility_org.insert(i as u32, o);
            }
            if org.is_some() || linked.contains(&(i as u32)) {
                locations.push(i as u32);
            }
        }
        let service_org: Vec<Option<usize>> = service_org;
        let index = build_index(IndexInput {
            services: &services,
            service_terms: &st,
            terms: &terms,
            service_org: &service_org,
            organizations: &organizations,
            service_links: &sl,
            links: &out_links,
            facilities,
        });
        let facility_links = Lists::from_pairs(
            facilities.len(),
            out_links
                .iter()
                .enumerate()
                .map(|(i, l)| (l.facility as usize, i as u32)),
        );
        let link_order = order_of(out_links.len(), |a, b| {
            out_links[a].uuid.cmp(&out_links[b].uuid)
        });
        // Each service's places in link order: a service listed once (the HSDS
        // services list) without a point to measure from is listed at its
        // first place, read without comparing the others.
        let links_ref = &out_links;
        let link_order_ref = &link_order;
        let service_places = Lists::from_pairs(
            services.len(),
            sl.iter().enumerate().flat_map(|(s, ls)| {
                let mut ls = ls.clone();
                ls.sort_by_key(|&l| link_order_ref[l]);
                ls.into_iter()
                    .map(move |l| (s, (l as u32, links_ref[l].facility)))
            }),
        );
        let n_terms = terms.len() as u32;
        let index_ref = &index;
        let service_facets = Lists::from_pairs(
            services.len(),
            st.iter()
                .enumerate()
                .flat_map(|(s, ts)| ts.iter().map(move |&t| (s, t as u32)))
                .chain(
                    (0..services.len())
                        .flat_map(|s| index_ref.needs_of(s).iter().map(move |&n| (s, n_terms + n))),
                ),
        );
        let service_order = order_of(services.len(), |a, b| {
            services[a]
                .name
                .cmp(&services[b].name)
                .then_with(|| services[a].uuid.cmp(&services[b].uuid))
        });
        ServiceDirectory {
            index,
            facility_links,
            service_places,
            service_facets,
            service_order,
            link_order,
            organizations,
            services,
            terms,
            links: out_links,
            taxonomies,
            service_terms: st,
            service_links: sl,
            service_org,
            term_taxonomy,
            service_schedules,
            facility_schedules,
            service_hours,
            by_uuid,
            facility_org,
            locations,
        }
    }

    pub fn service(&self, uuid: &str) -> Option<usize> {
        match self.by_uuid.get(uuid) {
            Some(Entity::Service(i)) => Some(*i),
            _ => None,
        }
    }

    pub fn organization(&self, uuid: &str) -> Option<usize> {
        match self.by_uuid.get(uuid) {
            Some(Entity::Organization(i)) => Some(*i),
            _ => None,
        }
    }

    pub fn link(&self, uuid: &str) -> Option<usize> {
        match self.by_uuid.get(uuid) {
            Some(Entity::Link(i)) => Some(*i),
            _ => None,
        }
    }

    pub fn term(&self, uuid: &str) -> Option<usize> {
        match self.by_uuid.get(uuid) {
            Some(Entity::Term(i)) => Some(*i),
            _ => None,
        }
    }

    /// The vocabulary's need with this id.
    pub fn need(&self, id: &str) -> Option<u32> {
        self.index
            .needs
            .needs
            .iter()
            .position(|n| n.id == id)
            .map(|n| n as u32)
    }

    pub fn taxonomy(&self, uuid: &str) -> Option<usize> {
        self.taxonomies.iter().position(|t| t.uuid == uuid)
    }
}
