# medmap pages: English. Keys are shared by en, uk and ru (web/i18n/<lang>/main.ftl).
skip-to-content = Skip to content
nav-main = Main
nav-language = Language
nav-medications = Medications
nav-where = Where to buy
nav-services = Services
nav-status = Data freshness
footer-privacy = No tracking, no third-party requests.
back-home = Back to the start page
search = Search
more = more…
any = Any

error-bad-request = Something in the request is not right
error-not-found = Not found
error-not-ready = Starting up
error-not-ready-text = medmap is loading its data. Try again in a few seconds.
error-internal = Something went wrong
error-internal-text = An internal error happened. Please try again later.

home-title = Find medications and services
home-lead = Type a medication the way you remember it (brand or generic, any spelling or alphabet), or a kind of help you need.
home-label = Medication or service
home-placeholder = e.g. paracetamol, Нурофен, food bank
home-what = Search for
home-what-medication = a medication
home-what-service = a service
home-more = More
home-where = Which pharmacy near me has it in stock?
home-services = Services by need, place and opening hours
home-status = How fresh is the stock data?

medications-title = Medications
medications-results-for = Results for “{ $q }”
medication-label = Medication name
medication = Medication
medications-none = Nothing found. Check the spelling, or try the generic name.
did-you-mean = Did you mean
kind-substance = Generic (active substance)
kind-product = Brand
match-exact = exact match
match-prefix = starts with
match-fuzzy = spelling corrected
match-translit = other alphabet
match-layout = keyboard layout corrected
ingredients = Active ingredients
brands = Brands
analogs = Analogs (same active ingredients)
forms = Forms
other-names = Other names and spellings
registrations = Registration numbers
find-in-pharmacies = Find in pharmacies

where-title = Where to buy
where-title-for = Where to buy { $name }
where-near-label = Near (town, postcode or “lat,lon”)
where-near-placeholder = e.g. London
use-my-location = Use my location
radius = Within
sort = Sort by
sort-distance = distance
sort-price = price
open-now-only = Open now
reimbursed-only = Reimbursed prescriptions (Ukraine: “Affordable Medicines”)
open-at-label = Open at
include-analogs = Include analogs
where-need-medication = Type a medication name.
where-need-place = Say where you are: a town or postcode, or use your location.
where-unknown-place = We do not know the place “{ $place }”. Try a town or postcode, or “lat,lon”.
near-chosen = Near { $place }.
near-others = Other places of that name: { $places }.
where-none = No pharmacy in this area lists it. Try a larger radius or include analogs.
showing-for = Showing pharmacies for
not-it = not what you meant?
pharmacies = Pharmacies
demo-data = demo data
map = Map

unit-m = { $n } m
unit-km = { $n } km
ago-minutes = { $n ->
    [one] updated { $n } minute ago
   *[other] updated { $n } minutes ago
}
ago-hours = { $n ->
    [one] updated { $n } hour ago
   *[other] updated { $n } hours ago
}
ago-days = { $n ->
    [one] updated { $n } day ago
   *[other] updated { $n } days ago
}
never = never
call-to-confirm = call to confirm ({ $ago })
stock-in = in stock
stock-low = few left
stock-out = out of stock
stock-listed = listed, call to check
stock-quantity = { $n ->
    [one] { $n } pack
   *[other] { $n } packs
}
price = Price
availability = Availability

open-now = Open now
open-closes-at = Open now · closes at { $time }
closed = Closed
closed-opens-at = Closed · opens { $time }
hours-unknown = Opening hours unknown
special-times = Duty and special times
special-open = On duty: { $span }
special-closed = Closed: { $span }
special-now = now
hours = Opening hours
today = Today
address = Address
phone = Phone
website = Website
email = Email
stock = In stock here
stock-summary = { $available ->
    [one] { $available } medication available
   *[other] { $available } medications available
}, { $fresh } updated in the last day

facility-kind-pharmacy = Pharmacy
facility-kind-clinic = Clinic or GP
facility-kind-hospital = Hospital
facility-kind-dentist = Dentist
facility-kind-social = Social service

services-title = Services
services-q = Need or name, in any language
services-age = Age (years)
services-language = Language spoken
services-ages = Ages { $min }–{ $max }
services-ages-from = Age { $min } and over
services-ages-to = Up to age { $max }
services-languages = Languages: { $list }
services-today = Today { $hours }
category = Category
open-when = Open
open-on-day = on
at-time = at
results = Results
services-none = Nothing matches. Try a larger radius or fewer filters.
services-why = Matches: { $list }
services-beyond = Nothing matches all your filters. The nearest matches without { $filters }:
services-facets = Narrow down
services-facet-needs = Needs
services-relaxed-radius-km = the distance limit
services-relaxed-postcode = the postcode
services-relaxed-open-at = the opening time
services-relaxed-open-on = the opening day and time
services-relaxed-age = the age
services-relaxed-language = the language
list-hint = Tick places to make a short list to print or share.
add-to-list = Add to list
make-list = Make a printable list
list-title = Your list
list-printed = Made on
list-empty = The list is empty. Pick places from
list-share = To share this list, send this link or print the page.
list-link = Link to this list
list-privacy = Nothing about the person you help is stored: the list lives only in this link.

status-title = Data freshness
status-lead = Pharmacies publish their stock; lines older than a day say “call to confirm”, and older than three days are hidden.
status-built = Search data built
status-facilities = Places
status-lines = Stock lines
status-publishers = Publishers
status-publisher = Publisher
status-last-push = Last update
status-stale = Places not updated in a day
status-no-publishers = No pharmacy publishes stock here yet; the stock shown is demo data.

month-1 = Jan
month-2 = Feb
month-3 = Mar
month-4 = Apr
month-5 = May
month-6 = Jun
month-7 = Jul
month-8 = Aug
month-9 = Sep
month-10 = Oct
month-11 = Nov
month-12 = Dec
weekday-1 = Mon
weekday-2 = Tue
weekday-3 = Wed
weekday-4 = Thu
weekday-5 = Fri
weekday-6 = Sat
weekday-7 = Sun
weekday-long-1 = Monday
weekday-long-2 = Tuesday
weekday-long-3 = Wednesday
weekday-long-4 = Thursday
weekday-long-5 = Friday
weekday-long-6 = Saturday
weekday-long-7 = Sunday

# Confidential services (a shelter): the address is withheld, a helpline is shown.
quick-exit = Quick exit
quick-exit-hint = Leave this page now for a neutral site (or press Escape)
address-withheld = Address withheld for safety
address-withheld-call = Address withheld for safety. Call { $contact }.
public-contact = Call

# Appointments (SMART Scheduling Links publications)
next-appointment = Next free appointment
appointment-book = Book on the provider's site
appointment-call = Book by phone:
appointment-out-of-date = may be out of date: the provider's list was not updated on time
appointments-title = Appointments near me
appointments-service-label = Service type (code)
appointments-from-label = From
appointments-need-place = Say where you are to see the earliest free appointments.
appointments-place-unknown = That place is not known. Try a town, a postcode or "lat,lon".
appointments-none = No free appointment is published within this distance in the next two weeks.
appointments-privacy = medmap books nothing and keeps nothing about you: you book on the provider's own site or by phone.
waiting-list-days = { $n ->
    [one] Waiting list: about { $n } day
   *[other] Waiting list: about { $n } days
}
waiting-list-weeks = { $n ->
    [one] Waiting list: about { $n } week
   *[other] Waiting list: about { $n } weeks
}
