//! Need words in English, Ukrainian and Russian: what people type when they look for
//! a service ("їжа", "еда", "food"), grouped by need, so a query in any of the three
//! languages reaches services described in any of them. Words are stored already
//! normalised (lowercase, `ё` → `е`, no apostrophes); matching is typo tolerant, so
//! one form per word is usually enough.

/// One need: its words in each language. The first English word names the need.
pub struct Need {
    pub en: &'static [&'static str],
    pub uk: &'static [&'static str],
    pub ru: &'static [&'static str],
}

impl Need {
    pub fn words(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.en.iter().chain(self.uk).chain(self.ru).copied()
    }
}

pub const NEEDS: &[Need] = &[
    Need {
        en: &[
            "food",
            "meal",
            "meals",
            "lunch",
            "groceries",
            "pantry",
            "nutrition",
            "hunger",
            "breakfast",
            "dinner",
        ],
        uk: &[
            "їжа",
            "їжі",
            "харчування",
            "продукти",
            "обід",
            "обіди",
            "голод",
            "їдальня",
            "сніданок",
            "вечеря",
        ],
        ru: &[
            "еда",
            "еды",
            "питание",
            "продукты",
            "обед",
            "обеды",
            "голод",
            "столовая",
            "завтрак",
            "ужин",
        ],
    },
    Need {
        en: &[
            "shelter",
            "housing",
            "homeless",
            "homelessness",
            "accommodation",
            "lodging",
            "emergency housing",
        ],
        uk: &[
            "притулок",
            "житло",
            "бездомні",
            "безхатьки",
            "ночівля",
            "ночліг",
        ],
        ru: &["приют", "жилье", "бездомные", "ночлег", "убежище"],
    },
    Need {
        en: &[
            "health",
            "medical",
            "clinic",
            "doctor",
            "healthcare",
            "nurse",
        ],
        uk: &[
            "здоровя",
            "лікар",
            "медичний",
            "медична",
            "клініка",
            "медицина",
        ],
        ru: &[
            "здоровье",
            "врач",
            "медицинский",
            "медицинская",
            "клиника",
            "медицина",
        ],
    },
    Need {
        en: &[
            "counselling",
            "counseling",
            "therapy",
            "psychologist",
            "mental",
            "depression",
            "anxiety",
            "psychotherapy",
        ],
        uk: &[
            "психолог",
            "консультація",
            "терапія",
            "психічне",
            "депресія",
            "тривога",
            "психотерапія",
        ],
        ru: &[
            "психолог",
            "консультация",
            "терапия",
            "психическое",
            "депрессия",
            "тревога",
            "психотерапия",
        ],
    },
    Need {
        en: &[
            "employment",
            "job",
            "jobs",
            "work",
            "career",
            "training",
            "placement",
        ],
        uk: &[
            "робота",
            "роботи",
            "працевлаштування",
            "вакансії",
            "навчання",
            "кар'єра",
        ],
        ru: &[
            "работа",
            "работы",
            "трудоустройство",
            "вакансии",
            "обучение",
            "карьера",
        ],
    },
    Need {
        en: &["legal", "lawyer", "law", "rights", "attorney"],
        uk: &["юрист", "юридична", "правова", "адвокат", "право", "права"],
        ru: &[
            "юрист",
            "юридическая",
            "правовая",
            "адвокат",
            "право",
            "права",
        ],
    },
    Need {
        en: &["senior", "seniors", "elderly", "older", "aged", "aging"],
        uk: &["літні", "літніх", "пенсіонери", "пенсіонерів", "старші"],
        ru: &["пожилые", "пожилых", "пенсионеры", "пенсионеров", "старшие"],
    },
    Need {
        en: &[
            "child", "children", "kids", "youth", "family", "families", "parents",
        ],
        uk: &[
            "діти",
            "дітей",
            "дитина",
            "молодь",
            "сімя",
            "родина",
            "батьки",
        ],
        ru: &["дети", "детей", "ребенок", "молодежь", "семья", "родители"],
    },
    Need {
        en: &["clothing", "clothes"],
        uk: &["одяг"],
        ru: &["одежда"],
    },
    Need {
        en: &["transportation", "transport", "bus", "ride"],
        uk: &["транспорт", "перевезення"],
        ru: &["транспорт", "перевозка"],
    },
    Need {
        en: &[
            "library",
            "education",
            "books",
            "classes",
            "school",
            "literacy",
        ],
        uk: &["бібліотека", "освіта", "книги", "курси", "школа"],
        ru: &["библиотека", "образование", "книги", "курсы", "школа"],
    },
    Need {
        en: &[
            "money",
            "financial",
            "benefits",
            "cash",
            "assistance",
            "welfare",
        ],
        uk: &["гроші", "фінансова", "допомога", "виплати", "пільги"],
        ru: &["деньги", "финансовая", "помощь", "выплаты", "льготы"],
    },
    Need {
        en: &["disability", "disabled", "wheelchair", "accessibility"],
        uk: &["інвалідність", "інвалідністю", "візок"],
        ru: &["инвалидность", "инвалидностью", "коляска"],
    },
    Need {
        en: &["addiction", "alcohol", "drugs", "rehab", "recovery"],
        uk: &["залежність", "алкоголь", "наркотики", "реабілітація"],
        ru: &["зависимость", "алкоголь", "наркотики", "реабилитация"],
    },
    Need {
        en: &["interpretation", "interpreter", "translation", "translator"],
        uk: &["перекладач", "переклад"],
        ru: &["переводчик", "перевод"],
    },
    Need {
        en: &["volunteer", "volunteers", "volunteering"],
        uk: &["волонтер", "волонтери", "волонтерство"],
        ru: &["волонтер", "волонтеры", "волонтерство"],
    },
];

/// Words that carry no need ("help with", "near me"): dropped from queries so a
/// phrase does not fail on them.
pub const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "and",
    "the",
    "for",
    "with",
    "of",
    "in",
    "at",
    "to",
    "near",
    "me",
    "my",
    "i",
    "need",
    "help",
    "service",
    "services",
    "і",
    "й",
    "та",
    "в",
    "у",
    "на",
    "з",
    "для",
    "біля",
    "мені",
    "допомога",
    "послуги",
    "и",
    "с",
    "со",
    "для",
    "возле",
    "рядом",
    "мне",
    "нужна",
    "нужно",
    "услуги",
];

/// Language names in the three interface languages and English, by ISO 639-1
/// code, so `language=uk`, `Ukrainian` and `українська` find the same services.
pub const LANGUAGES: &[(&str, &[&str])] = &[
    ("en", &["english", "англійська", "английский", "eng"]),
    ("uk", &["ukrainian", "українська", "украинский", "ukr"]),
    ("ru", &["russian", "російська", "русский", "rus"]),
    (
        "es",
        &["spanish", "іспанська", "испанский", "spa", "español"],
    ),
    (
        "zh",
        &[
            "chinese",
            "китайська",
            "китайский",
            "mandarin",
            "cantonese",
            "zho",
        ],
    ),
    ("tl", &["tagalog", "filipino", "тагальська", "тагальский"]),
    ("vi", &["vietnamese", "вʼєтнамська", "вьетнамский"]),
    ("fr", &["french", "французька", "французский", "fra"]),
    ("de", &["german", "німецька", "немецкий", "deu"]),
    ("pl", &["polish", "польська", "польский", "pol"]),
    ("ar", &["arabic", "арабська", "арабский", "ara"]),
    ("ur", &["urdu", "урду", "urd"]),
    ("ko", &["korean", "корейська", "корейский", "kor"]),
    ("hi", &["hindi", "гінді", "хинди", "hin"]),
    ("it", &["italian", "італійська", "итальянский", "ita"]),
    ("fi", &["finnish", "фінська", "финский", "fin", "suomi"]),
    ("sv", &["swedish", "шведська", "шведский", "swe", "svenska"]),
];

/// The ISO 639-1 code of a language given by code or name in any of the tables'
/// spellings; `None` for a language the table does not know.
/// A qualified name (`Chinese (Mandarin)`) counts as its first word.
pub fn language_code(s: &str) -> Option<&'static str> {
    let l = s.trim().to_lowercase();
    let first = l
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("");
    let code = [l.as_str(), first].into_iter().find_map(|w| {
        LANGUAGES
            .iter()
            .find(|(code, names)| std::iter::once(code).chain(names.iter()).any(|n| *n == w))
            .map(|(code, _)| *code)
    });
    code
}
