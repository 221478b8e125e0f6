//! `medmap eval`: search quality measured, not guessed (as imdb-rename's eval
//! crate does). [`names`] measures medication-name search; [`services`] measures
//! the services search against its truth file beside a trigram baseline.

pub mod names;
pub mod services;

pub use names::{run_names, run_on, truth_queries, EvalArgs};
