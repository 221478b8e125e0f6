//! Medication name search.
//!
//! People type drug names badly: misspelt (`ibuprophen`, `amoxacillan`), in the
//! other script (`ибупрофен` for ibuprofen), with the wrong keyboard layout
//! (`gfhfwtnfvjk`), as a brand (`Нурофен`) when they want the generic, with a
//! strength and a form (`paracetamol 500 mg`). This module turns all of that into
//! ranked medication concepts (substances and products), in memory, with no I/O.
//!
//! Layers: [`normalize`](mod@normalize) (one normaliser for names and queries),
//! [`translit`] (Cyrillic ↔ Latin and the cross-script [`skeleton`] key),
//! [`layout`] (ЙЦУКЕН ↔ QWERTY), the edit distance shared by the fuzzy fst walk
//! and the re-ranker (`edit.rs`), the query parser (`query.rs`: which words of a
//! query name the medication), then the index itself ([`NameIndex`], one file
//! per stage under `index/`). [`eval`] measures its recall.

pub(crate) mod edit;
pub mod eval;
mod index;
pub mod layout;
pub mod model;
pub mod normalize;
mod query;
pub mod translit;

pub use index::{is_noise_token, NameIndex, MAX_QUERY_CHARS};
pub use layout::{switch_layout, switch_layout_all};
pub use model::{ConceptInfo, ConceptInput, ConceptKind, Hit, Lang, MatchKind, NameInput};
pub use normalize::normalize;
pub use translit::{is_cyrillic, latin_variants, skeleton, to_cyrillic, to_latin};
