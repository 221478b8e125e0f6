//! Medication name search.
