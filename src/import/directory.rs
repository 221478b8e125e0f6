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

    /// Writes the batch in one transaction: all of it or, if anything fails or the
    /// process dies, none of it.
    pub async fn save(&self, store: &Store) -> Result<()> {
        let mut tx = store.begin_import().await?;
        tx.upsert_organizations(&self.organizations).await?;
        tx.upsert_facilities(&crate::geo::completed(&self.facilities))
            .await?;
        tx.upsert_taxonomy(&self.taxonomy).await?;
        tx.upsert_services(&self.services).await?;
        tx.upsert_schedules(&self.schedules).await?;
        tx.commit().await
    }
}
