//! The service archetypes of the synthetic national directory: what kinds of
//! service exist, how they are named, described and classified. The wording is
//! written after the bundled real records (the Ohana San Mateo sample's services
//! and keywords, its Open Eligibility taxonomy, the HSDS examples) and the English
//! labels of `data/needs/needs.csv`, so the words a search meets are the words
//! real directories use, and they overlap across archetypes as they do there
//! (counseling, free, seniors, families, low-income).

/// One kind of service. Name templates may hold `{city}`, `{org}` (the running
/// organization's name) and `{place}` (a neighbourhood-like word).
#[derive(Debug, Clone, Copy)]
pub struct Archetype {
    /// Stable id, part of every generated service's source id (`gen/<slug>/<n>`).
    pub slug: &'static str,
    pub names: &'static [&'static str],
    /// Description sentences specific to the archetype (2–4 are used per service).
    pub sentences: &'static [&'static str],
    /// Taxonomy term names (Open Eligibility and Ohana keyword style).
    pub terms: &'static [&'static str],
    pub eligibility: &'static str,
    pub min_age: Option<f64>,
    pub max_age: Option<f64>,
    /// Relative frequency in the directory.
    pub weight: u32,
}

const fn a(
    slug: &'static str,
    names: &'static [&'static str],
    sentences: &'static [&'static str],
    terms: &'static [&'static str],
    eligibility: &'static str,
    weight: u32,
) -> Archetype {
    Archetype {
        slug,
        names,
        sentences,
        terms,
        eligibility,
        min_age: None,
        max_age: None,
        weight,
    }
}

const fn aged(arch: Archetype, min_age: Option<f64>, max_age: Option<f64>) -> Archetype {
    Archetype {
        min_age,
        max_age,
        ..arch
    }
}

/// Every archetype of the generator; a service's archetype is recorded in its
/// source id, so an evaluation can tell what a hit is.
pub const ARCHETYPES: &[Archetype] = &[
    a(
        "food-pantry",
        &["{place} Food Pantry", "{org} Food Pantry", "Community Food Bank", "Emergency Food Boxes", "{city} Food Shelf"],
        &[
            "Provides emergency food boxes and groceries to low-income individuals and families.",
            "Offers a Brown Bag Program in which seniors can receive a bag of groceries each week.",
            "Food pantry open to residents in need; canned goods, fresh produce and bread are distributed.",
            "Food vouchers are available in times of crisis.",
            "Clients may visit the pantry once a month and receive a three-day supply of food.",
        ],
        &["Food Pantry", "Emergency Food", "Food Boxes/Food Vouchers", "Brown Bag Food Programs", "Food"],
        "Low-income residents; proof of address requested",
        9,
    ),
    aged(
        a(
            "home-delivered-meals",
            &["Meals on Wheels - {place}", "{org} Home Delivered Meals", "Senior Meal Delivery", "Homebound Meals Program"],
            &[
                "Delivers a hot meal to the home of persons age 60 or over who are homebound and unable to prepare their own meals.",
                "Meals are delivered between 9 am and 1:30 pm, Monday through Friday.",
                "Special diets, including diabetic and low-sodium meals, are available.",
                "Also delivers meals to disabled adults who cannot shop or cook for themselves.",
                "Volunteer drivers check on the wellbeing of each client during delivery.",
            ],
            &["Home Delivered Meals", "Meal Sites/Home-delivered Meals", "Food Delivery", "Older Adults", "Nutrition"],
            "Age 60 or over and homebound, or disabled",
            4,
        ),
        Some(60.0),
        None,
    ),
    a(
        "free-meals",
        &["{place} Soup Kitchen", "{org} Community Meal", "Free Hot Lunch", "Saturday Breakfast Program"],
        &[
            "Serves a free hot lunch to anyone in need, no questions asked.",
            "Community meal served every evening in the church hall.",
            "Offers a Saturday morning homeless feeding program.",
            "Congregate meals at the nutrition site for seniors and families.",
        ],
        &["Free Meals", "Congregate Meals/Nutrition Sites", "Emergency Food", "Homeless"],
        "Open to all",
        5,
    ),
    a(
        "dental-free",
        &["{org} Dental Clinic", "Project Smile {place}", "Free Dental Care", "Community Dental Services"],
        &[
            "Provides free dental exams, dental cleaning and oral hygiene instruction.",
            "Low-cost dental care for adults and children without dental insurance.",
            "Emergency tooth extractions and fillings are offered on a sliding fee scale.",
            "Dentists and hygienists volunteer their time to treat uninsured patients.",
        ],
        &["Dental Care", "Discounted Healthcare", "Community Clinics", "Outpatient Care"],
        "Uninsured or low-income",
        3,
    ),
    a(
        "free-clinic",
        &["{city} Free Medical Clinic", "{org} Community Health Center", "{place} Family Health Clinic", "Walk-in Clinic"],
        &[
            "Provides free medical care to those in need and basic medical care for adults.",
            "Primary care, checkups, vaccinations and screenings for uninsured patients.",
            "Assists people with questions relating to Medicaid, Medicare and health insurance.",
            "Sliding scale fees based on income; no one is turned away for inability to pay.",
        ],
        &["Primary Care", "Medical Care", "Discounted Healthcare", "Community Clinics", "Checkup & Test"],
        "Uninsured or underinsured residents",
        4,
    ),
    aged(
        a(
            "adult-day-care-dementia",
            &["{place} Adult Day Services", "{org} Memory Care Day Program", "Adult Day Health Care", "Alzheimer's Day Center"],
            &[
                "A day center for older adults who may be unable to live independently but do not require 24-hour nursing care.",
                "Specialized program for people with Alzheimer's disease and other forms of dementia.",
                "Provides assistance with activities of daily living and gives the caregiver a break.",
                "Nurses, social workers and activity staff offer a planned activity program.",
            ],
            &["Adult Day Health Care", "Dementia Management", "Adult Day Programs", "Adult Daycare", "Older Adults"],
            "Older adults with memory loss or frail health",
            2,
        ),
        Some(55.0),
        None,
    ),
    aged(
        a(
            "lgbt-seniors",
            &["{org} LGBT Senior Program", "Rainbow Elders", "Pride Seniors Network", "SAGE {city}"],
            &[
                "Offers peer support and social activities for lesbian, gay, bisexual and transgender older adults.",
                "Friendly visiting and support groups reduce isolation for LGBTQ elders.",
                "Volunteer counselors are trained in cultural competence and sexuality.",
            ],
            &["Gay, Lesbian, Bisexual, Transgender Individuals", "Older Adults", "Peer Support", "Support Groups"],
            "LGBT adults age 50 or over",
            1,
        ),
        Some(50.0),
        None,
    ),
    aged(
        a(
            "senior-center",
            &["{place} Senior Center", "{org} Adult Activity Center", "{city} Senior Citizens Club", "Older Adults Recreation Center"],
            &[
                "A walk-in center for older adults that provides social services, wellness, recreational and educational activities.",
                "Activities include arts and crafts, computer classes, gardening, yoga and tai chi.",
                "Coffee and healthy breakfasts are available daily.",
                "Free monthly blood pressure screenings for seniors.",
            ],
            &["Senior Centers", "Older Adults", "Recreation", "Arts and Crafts", "Sports/Games/Exercise"],
            "Age 55 or over",
            3,
        ),
        Some(55.0),
        None,
    ),
    a(
        "car-loans",
        &["{org} Car Loan Program", "Wheels to Work", "Economic Self-Sufficiency Program", "Affordable Auto Loans"],
        &[
            "Provides low-interest loans to eligible applicants for the purchase of a reliable used automobile.",
            "Loans are up to $6,000 over 30 months and must go towards the purchase of the car.",
            "Helps working families who need a car to get to work.",
            "Financial coaching and credit repair are part of the program.",
        ],
        &["Automobile Loans", "Financial Aid & Loans", "Transportation", "Financial Education"],
        "Working adults with a low income and a valid driver's license",
        1,
    ),
    a(
        "large-print-library",
        &["{place} Branch Library", "{city} Public Library - {place}", "{org} Library Outreach", "Books by Mail"],
        &[
            "Provides general reading materials, including large-type books, audiobooks and books on CD.",
            "Large print books and magnifiers for readers with low vision.",
            "Home delivery of library books for homebound readers.",
            "Books on tape and talking books for people who are blind or visually impaired.",
        ],
        &["Libraries", "Large Print Materials", "Books", "Public Libraries", "Visual Impairment"],
        "Library card holders",
        2,
    ),
    a(
        "public-library",
        &["{city} Main Library", "{place} Branch", "{place} Community Library", "{org} Reading Room"],
        &[
            "Provides general reading and media materials, literacy and homework assistance, and programs for all ages.",
            "Public computers, free wireless internet and a children's room.",
            "Offers children's programs and a Summer Reading Club.",
            "Meeting room is available to nonprofit groups.",
        ],
        &["Public Libraries", "Library", "Books", "Education"],
        "Open to the public",
        3,
    ),
    a(
        "legal-aid",
        &["{org} Legal Aid", "{city} Legal Services", "Free Legal Clinic", "Law Center of {place}"],
        &[
            "Free legal advice and representation for low-income people in civil matters.",
            "Attorneys help with evictions, landlord disputes, debt collection and public benefits.",
            "Volunteer lawyers hold a walk-in legal clinic twice a month.",
            "Help filling out court forms, restraining orders and divorce papers.",
        ],
        &["Advocacy & Legal Aid", "Legal", "Representation", "Help Fill out Forms", "Workplace Rights"],
        "Income at or below 200% of the federal poverty level",
        4,
    ),
    a(
        "shelter",
        &["{place} Emergency Shelter", "{org} Homeless Shelter", "Night Shelter", "{city} Rescue Mission"],
        &[
            "Provides emergency shelter beds for homeless men and women.",
            "Overnight shelter with dinner, showers and a bed; check-in begins at 6 pm.",
            "Case managers help shelter guests find permanent housing.",
            "Family shelter rooms for parents with children.",
        ],
        &["Emergency Shelter", "Shelter/Refuge", "Homeless", "Short-Term Housing"],
        "Homeless adults and families",
        4,
    ),
    a(
        "domestic-violence",
        &["{org} Domestic Violence Services", "Safe House {place}", "Women's Refuge", "Family Violence Hotline"],
        &[
            "Confidential shelter and support for survivors of domestic violence and their children.",
            "24-hour crisis hotline, safety planning and help with restraining orders.",
            "Counseling and support groups for women who have experienced abuse.",
            "Advocates accompany survivors to court and help them escape violence.",
        ],
        &["Domestic Violence", "Help Escape Violence", "Safe Housing", "Abuse Prevention", "Immediate Safety"],
        "Survivors of domestic or family violence",
        3,
    ),
    a(
        "job-training",
        &["{org} Career Center", "{city} Workforce Development", "Second Career Employment Program", "Job Skills Academy"],
        &[
            "Provides job training and job placement to eligible people who meet certain income qualifications.",
            "Resume writing, interview training and job search workshops.",
            "Staff locate appropriate placements and provide on-the-job training.",
            "Job bank and referrals to classroom training for unemployed workers.",
        ],
        &["Job Training", "Job Search/Placement", "Help Find Work", "Resume Development", "Interview Training"],
        "Unemployed or underemployed adults",
        5,
    ),
    a(
        "esl-classes",
        &["{org} English Classes", "ESL at {place}", "English for Speakers of Other Languages", "Adult English School"],
        &[
            "Free English as a Second Language classes for adult immigrants.",
            "Beginner, intermediate and advanced English conversation groups.",
            "Classes in reading, writing and speaking English for newcomers.",
            "Evening and weekend ESL classes with childcare available.",
        ],
        &["English as a Second Language (ESL)", "English Language", "Adult Education", "Foreign Languages"],
        "Adults whose first language is not English",
        3,
    ),
    a(
        "mental-health-counseling",
        &["{org} Counseling Center", "Community Counselling", "{place} Mental Health Clinic", "Family Counseling Services"],
        &[
            "Individual, couples and family counseling for depression, anxiety and stress.",
            "Licensed therapists offer talking therapy on a sliding fee scale.",
            "Mental health evaluation and psychiatric referrals.",
            "Counseling is offered in person or via video conferencing.",
        ],
        &["Counseling", "Individual/Group Counseling", "Mental Health Evaluation", "Understand Mental Health"],
        "Children, adults and families",
        5,
    ),
    a(
        "addiction",
        &["{org} Recovery Center", "Adult Rehabilitation Center", "{place} Substance Abuse Program", "Detox and Recovery Services"],
        &[
            "Long-term residential rehabilitation program for men and women with alcohol and drug problems.",
            "Outpatient treatment, detox referral and 12-step meetings.",
            "Residents receive individual counseling and drug and alcohol education.",
            "Sober living houses for people in recovery from addiction.",
        ],
        &["Addiction & Recovery", "Residential Treatment", "Outpatient Treatment", "Detox", "12-Step"],
        "Adults seeking recovery from substance abuse",
        3,
    ),
    a(
        "utility-help",
        &["{org} Energy Assistance", "Utility Bill Help", "{city} Heating Assistance Program", "Project REACH"],
        &[
            "One-time payment to prevent energy shut-off for low-income households.",
            "Help paying gas, electric and water bills.",
            "Winter heating assistance and weatherization for seniors and families.",
            "Administers energy assistance funds through community partners.",
        ],
        &["Help Pay for Utilities", "Utilities", "Financial Assistance", "Emergency Cash"],
        "Low-income households with a shut-off notice",
        3,
    ),
    a(
        "rent-help",
        &["{org} Rental Assistance", "Homelessness Prevention Program", "{city} Housing Help", "Eviction Prevention Fund"],
        &[
            "Provides rental assistance when funds are available to prevent eviction.",
            "Help with the first month's rent and security deposit.",
            "Housing counselors help families find affordable housing.",
            "Emergency cash assistance for back rent.",
        ],
        &["Help Pay for Housing", "Help Find Housing", "Housing Advice", "Emergency Cash"],
        "Tenants facing eviction",
        3,
    ),
    a(
        "tax-help",
        &["Free Tax Preparation - {place}", "{org} VITA Tax Site", "Volunteer Income Tax Assistance", "Tax Help for Seniors"],
        &[
            "Free tax preparation and e-filing for households with low and moderate incomes.",
            "IRS-certified volunteers help you claim the Earned Income Tax Credit.",
            "Bring your W-2 forms, photo ID and social security cards.",
        ],
        &["Tax Preparation", "Financial Education", "Money", "Help Fill out Forms"],
        "Household income under $60,000",
        2,
    ),
    aged(
        a(
            "child-care",
            &["{place} Child Care Center", "{org} Preschool", "Early Learning Center", "Head Start {place}"],
            &[
                "Licensed child care and preschool for children from infancy to age five.",
                "Subsidized day care for working parents and parents in school.",
                "Afterschool care and help finding childcare near you.",
                "Head Start offers free preschool to low-income families.",
            ],
            &["Childcare", "Day Care", "Preschool", "Help Pay for Childcare", "Afterschool Care"],
            "Children up to age 12",
            4,
        ),
        None,
        Some(12.0),
    ),
    aged(
        a(
            "youth",
            &["{org} Youth Center", "Boys & Girls Club of {place}", "{city} Teen Center", "Youth Mentoring Program"],
            &[
                "Afterschool programs, sports and mentoring for youth and teens.",
                "Youth programs offer tutoring, music and troops.",
                "Safe place for teenagers with homework help and recreation.",
                "Summer day camp and leadership training for young people.",
            ],
            &["Youth", "Mentoring", "Recreation", "Day Camp", "Afterschool Care"],
            "Ages 6-18",
            4,
        ),
        Some(6.0),
        Some(18.0),
    ),
    aged(
        a(
            "tutoring",
            &["Project Read {place}", "{org} Literacy Program", "Homework Help Center", "Adult Literacy Tutoring"],
            &[
                "One-to-one tutoring to improve basic skills in reading, writing and math.",
                "Families for Literacy, a home-based family literacy program.",
                "GED preparation and high school equivalency classes.",
                "Volunteer tutors help students with homework after school.",
            ],
            &["Tutoring", "Literacy Programs", "Basic Literacy", "GED/High-School Equivalency"],
            "Children and adults who want to read better",
            3,
        ),
        Some(5.0),
        None,
    ),
    a(
        "veterans",
        &["{org} Veterans Services", "{city} Veterans Center", "Veterans Outreach", "Vet Center {place}"],
        &[
            "Helps veterans and their families apply for VA benefits and health care.",
            "Readjustment counseling for combat veterans and military families.",
            "Housing and employment help for homeless veterans.",
            "Veterans service officers assist with disability claims.",
        ],
        &["Veterans", "Military Families", "Government Benefits", "Disability Benefits"],
        "Veterans, service members and their families",
        3,
    ),
    a(
        "immigration",
        &["{org} Immigration Legal Services", "New Americans Center", "Refugee and Immigrant Services", "{city} Citizenship Clinic"],
        &[
            "Help with citizenship applications, green cards and DACA renewals.",
            "Accredited representatives give low-cost immigration legal advice.",
            "Refugee resettlement, case management and help for displaced families.",
            "Citizenship and naturalization classes for immigrants.",
        ],
        &["Citizenship & Immigration", "Advocacy & Legal Aid", "Refugees", "Translation & Interpretation"],
        "Immigrants and refugees",
        3,
    ),
    a(
        "clothing",
        &["{org} Clothing Closet", "{place} Thrift Store", "Free Clothing Bank", "Clothes for Work Program"],
        &[
            "Free clothing, shoes and coats for individuals and families in need.",
            "Clothing vouchers for the thrift store.",
            "Professional clothes for job interviews.",
            "Winter coats and blankets are distributed in November.",
        ],
        &["Clothing", "Clothing/Personal Items", "Clothes for Work", "Clothing Vouchers"],
        "Low-income residents",
        3,
    ),
    a(
        "caregiver-respite",
        &["{org} Caregiver Support", "Respite Care Program", "Family Caregiver Alliance", "{place} Caregiver Resource Center"],
        &[
            "Respite care gives family caregivers a break from caring for a loved one.",
            "Support groups and training for caregivers of people with dementia.",
            "In-home respite and help with personal care.",
        ],
        &["Relief for Caregivers", "Caregiver Support", "In-Home Support", "Support Groups"],
        "Unpaid family caregivers",
        2,
    ),
    a(
        "crisis-hotline",
        &["{city} Crisis Line", "{org} Suicide Prevention Hotline", "24/7 Crisis Support", "Warm Line"],
        &[
            "Free, confidential crisis counseling by phone, 24 hours a day.",
            "Trained volunteers answer calls from people thinking about suicide.",
            "Psychiatric emergency services and mobile crisis teams.",
        ],
        &["Help Hotlines", "Psychiatric Emergency Services", "Suicide Prevention", "Crisis Intervention"],
        "Anyone in crisis",
        2,
    ),
    a(
        "transportation",
        &["{org} Dial-a-Ride", "Medical Transportation Program", "{city} Senior Shuttle", "Rides to Health Care"],
        &[
            "Door-to-door rides to medical appointments for seniors and people with disabilities.",
            "Bus passes and bus tokens for people with a low income.",
            "Wheelchair accessible van service within the county.",
        ],
        &["Transportation", "Transportation for Healthcare", "Bus Passes", "Help Pay for Transit"],
        "Seniors and people with disabilities",
        2,
    ),
    a(
        "health-insurance",
        &["{org} Health Insurance Counseling", "Medicare Help Desk", "Health Coverage Enrollment", "HICAP {place}"],
        &[
            "Free, unbiased counseling about Medicare, Medicaid and health insurance plans.",
            "Navigators help families enroll in health coverage.",
            "Help understanding medical bills and insurance appeals.",
        ],
        &["Health Insurance", "Medicare", "Government Benefits", "Navigating the System"],
        "Residents without health coverage and Medicare beneficiaries",
        2,
    ),
    a(
        "prescription-help",
        &["{org} Prescription Assistance", "Free Pharmacy Program", "Medication Access Program", "{place} Community Pharmacy"],
        &[
            "Help paying for prescription medicines for people without insurance.",
            "Free and discounted medications through manufacturer programs.",
            "Pharmacists review medications for seniors.",
        ],
        &["Prescription Assistance", "Help Pay for Healthcare", "Medical Supplies"],
        "Uninsured or low-income",
        2,
    ),
    a(
        "baby-supplies",
        &["{org} Diaper Bank", "Baby Pantry", "{place} Mothers and Babies Program", "WIC Office {place}"],
        &[
            "Free diapers, wipes and baby formula for families with infants.",
            "WIC (Women, Infants and Children) nutrition services for pregnant women and new mothers.",
            "Baby clothes, car seats and cribs for new parents.",
        ],
        &["Baby Supplies", "Diapers & Formula", "Baby Clothes", "Maternity Care"],
        "Pregnant women and families with children under 3",
        2,
    ),
    a(
        "hiv-testing",
        &["{org} HIV Testing", "Sexual Health Clinic", "{place} STD Clinic", "HIV/AIDS Services"],
        &[
            "Free, confidential HIV and STD testing with results in 20 minutes.",
            "HIV treatment, PrEP and case management.",
            "Condoms and sex education for young people.",
        ],
        &["HIV Treatment", "Disease Screening", "Sex Education", "Prevent & Treat"],
        "Open to all",
        2,
    ),
    a(
        "disability-services",
        &["{org} Independent Living Center", "{city} Disability Resource Center", "Assistive Technology Lab", "Supported Employment Services"],
        &[
            "Independent living skills, advocacy and peer support for people with disabilities.",
            "Assistive technology and home modifications such as ramps and grab bars.",
            "Supported employment for adults with developmental disabilities.",
        ],
        &["Disabilities Issues", "Assistive Technology", "Understand Disability", "Supported Employment"],
        "People with disabilities",
        2,
    ),
    a(
        "computer-classes",
        &["{org} Digital Literacy Classes", "Computer Lab {place}", "Tech Help for Seniors", "Free Computer Classes"],
        &[
            "Free computer classes covering email, the internet and Microsoft Word.",
            "One-on-one tech help with smartphones and tablets.",
            "Public computers and printing for job seekers.",
        ],
        &["Computer Class", "Digital Literacy", "Skills & Training", "Education"],
        "Adults",
        2,
    ),
    a(
        "family-visitation",
        &["{org} Family Visitation Center", "Supervised Visitation Program", "Kids in the Middle", "Parenting Center {place}"],
        &[
            "Provides supervised visitation and a neutral site for parents to exchange children in a safe manner.",
            "Education class for separating or divorcing parents.",
            "Parenting education and counseling for child abuse prevention.",
        ],
        &["Parental Visitation Monitoring", "Divorce Counseling", "Mediation", "Parenting Education", "Child Abuse"],
        "Parents going through separation or divorce",
        1,
    ),
    a(
        "bereavement",
        &["{org} Grief Support", "Hospice of {place}", "Bereavement Support Group", "End-of-Life Care Services"],
        &[
            "Grief counseling and bereavement support groups for adults and children.",
            "Hospice care and pain management for people with a terminal illness.",
            "Help with burial and funeral costs for low-income families.",
        ],
        &["Bereavement", "Hospice", "End-of-Life Care", "Burial & Funeral Help"],
        "Families who have lost a loved one",
        1,
    ),
];

/// Sentences every archetype draws from: hours, eligibility, how to apply,
/// languages, fees.
pub const FILLER: &[&str] = &[
    "Call to make an appointment.",
    "Walk-ins welcome Monday through Friday.",
    "Services are free of charge.",
    "Serves residents of {city} and surrounding areas.",
    "Spanish-speaking staff available.",
    "Bring a photo ID and proof of address.",
    "Donations appreciated but not required.",
    "Information and referral to other community services.",
    "Open to low-income individuals and families.",
    "Apply by phone or in person.",
    "Wheelchair accessible.",
    "Interpretation is available in many languages.",
    "Call ahead; hours vary on holidays.",
    "No one is turned away for inability to pay.",
    "Staff can help you apply for other benefits.",
];

/// How to apply, one per service.
pub const APPLY: &[&str] = &[
    "Walk in or apply by phone.",
    "Apply by phone for an appointment.",
    "Call for an intake interview.",
    "Walk in during open hours.",
    "Referral from a case manager required.",
    "Apply online or in person.",
];

/// Fees, one per service.
pub const FEES: &[&str] = &[
    "None.",
    "Free.",
    "Sliding scale based on income.",
    "Donations requested of clients who can afford it.",
    "Small fee; waived for those who cannot pay.",
];
