//! A batch of social-services directory records (HSDS-shaped), written to the store
//! in dependency order: organizations, then locations and terms, then services and
//! their schedules.

use crate::model::{Facility, Organization, Schedule, Service, TaxonomyTerm};
use crate::store::{Result, Store};

#[derive(Debug, Default)]
pub struct Directory {
    pub organizations: Vec<Organization>,
    pub facilities: Vec<Facility>,
    pub services: Vec<Service>,
    pub schedules: Vec<Schedule>,
    pub taxonomy: Vec<TaxonomyTerm>,
}

impl Directory {
    pub fn extend(&mut self, other: Directory) {
        self.organizations.extend(other.organizations);
        self.facilities.extend(other.facilities);
        self.services.extend(other.services);
        self.schedules.extend(other.schedules);
        self.taxonomy.extend(other.taxonomy);
    }

    pub async fn save(&self, store: &Store) -> Result<()> {
        store.upsert_organizations(&self.organizations).await?;
        store
            .upsert_facilities(&crate::geo::completed(&self.facilities))
            .await?;
        store.upsert_taxonomy(&self.taxonomy).await?;
        store.upsert_services(&self.services).await?;
        store.upsert_schedules(&self.schedules).await?;
        Ok(())
    }
}
