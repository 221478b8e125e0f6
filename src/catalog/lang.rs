//! The languages medication names are shown in. Every concept's display name in each
//! is worked out once per catalog (`build`), so a request picks a string instead of
//! scanning names; the parser sits here so the API's `lang=` and the pages agree on
//! what a language code means.

use super::CatalogError;

/// `lang=`: the language names are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum DisplayLang {
    En = 0,
    Uk = 1,
    Ru = 2,
}

impl DisplayLang {
    pub const ALL: [DisplayLang; 3] = [DisplayLang::En, DisplayLang::Uk, DisplayLang::Ru];

    pub fn code(self) -> &'static str {
        match self {
            DisplayLang::En => "en",
            DisplayLang::Uk => "uk",
            DisplayLang::Ru => "ru",
        }
    }

    /// A language code as a client writes it (`en`, ` UK `), or `None`.
    pub fn from_code(code: &str) -> Option<DisplayLang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(DisplayLang::En),
            "uk" => Some(DisplayLang::Uk),
            "ru" => Some(DisplayLang::Ru),
            _ => None,
        }
    }

    /// The API's `lang` parameter: absent or empty means English; anything but our
    /// three codes is an error (a typo must not silently answer in English).
    pub fn parse_param(value: Option<&str>) -> Result<DisplayLang, CatalogError> {
        match value.map(str::trim) {
            None | Some("") | Some("en") => Ok(DisplayLang::En),
            Some("uk") => Ok(DisplayLang::Uk),
            Some("ru") => Ok(DisplayLang::Ru),
            Some(o) => Err(CatalogError::UnknownLang(o.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_is_strict_code_is_lenient() {
        assert_eq!(DisplayLang::parse_param(None).ok(), Some(DisplayLang::En));
        assert_eq!(
            DisplayLang::parse_param(Some(" ru ")).ok(),
            Some(DisplayLang::Ru)
        );
        assert!(DisplayLang::parse_param(Some("UK")).is_err());
        assert_eq!(DisplayLang::from_code("UK"), Some(DisplayLang::Uk));
        assert_eq!(DisplayLang::from_code("de"), None);
        for l in DisplayLang::ALL {
            assert_eq!(DisplayLang::from_code(l.code()), Some(l));
        }
    }
}
