//! Services search: ranked, multilingual, typo-tolerant retrieval over a
//! social-services directory, for the way social workers and citizens write a
//! need ("dementia day care", "доставка гарячих обідів літнім людям").
//!
//! - [`analyze`]: one text pipeline (normalise, words, stems per language, stop
//!   words) for services, queries and the vocabulary;
//! - [`ukrainian`]: the light Ukrainian stemmer Snowball lacks;
//! - [`needs`]: the multilingual needs vocabulary that bridges languages;
//! - [`index`]: the inverted index (fst term dictionary, BM25F postings);
//! - [`query`]: query groups, scoring, proximity, explanations.
//!
//! Like the rest of this crate it does no I/O: the app hands in services and the
//! vocabulary rows, and applies its own filters (place, hours, age) to the ranked
//! services this returns.

pub mod analyze;
pub mod index;
pub mod needs;
pub mod query;
pub mod score;
pub mod ukrainian;

pub use index::{Field, ServiceDoc, ServiceIndex};
pub use needs::{Need, NeedInput, Needs};
pub use query::{MatchKind, Query, Why, MAX_QUERY_CHARS};
pub use score::{Scored, PROXIMITY_HEAD};

#[cfg(test)]
mod tests;
