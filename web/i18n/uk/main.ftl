# medmap pages: Ukrainian.
skip-to-content = Перейти до змісту
nav-main = Головне меню
nav-language = Мова
nav-medications = Ліки
nav-where = Де купити
nav-services = Послуги
nav-status = Свіжість даних
footer-privacy = Без стеження і без запитів до сторонніх сайтів.
back-home = На головну
search = Шукати
more = ще…
any = Будь-яка

error-bad-request = Щось не так із запитом
error-not-found = Не знайдено
error-not-ready = Запуск
error-not-ready-text = medmap завантажує дані. Спробуйте за кілька секунд.
error-internal = Щось пішло не так
error-internal-text = Сталася внутрішня помилка. Спробуйте пізніше.

home-title = Пошук ліків і послуг
home-lead = Введіть назву ліків так, як пам'ятаєте (торгову чи міжнародну, з помилками, будь-якою абеткою), або потрібну допомогу.
home-label = Ліки або послуга
home-placeholder = напр. парацетамол, Nurofen, продуктовий банк
home-what = Шукати
home-what-medication = ліки
home-what-service = послугу
home-more = Більше
home-where = Яка аптека поруч має їх у наявності?
home-services = Послуги за потребою, місцем і годинами роботи
home-status = Наскільки свіжі дані про наявність?

medications-title = Ліки
medications-results-for = Результати для «{ $q }»
medication-label = Назва ліків
medication = Ліки
medications-none = Нічого не знайдено. Перевірте написання або спробуйте міжнародну назву.
did-you-mean = Можливо, ви мали на увазі
kind-substance = Діюча речовина
kind-product = Торгова назва
match-exact = точний збіг
match-prefix = початок назви
match-fuzzy = виправлено написання
match-translit = інша абетка
match-layout = виправлено розкладку
ingredients = Діючі речовини
brands = Торгові назви
analogs = Аналоги (ті самі діючі речовини)
forms = Форми випуску
other-names = Інші назви та написання
registrations = Реєстраційні номери
find-in-pharmacies = Знайти в аптеках

where-title = Де купити
where-title-for = Де купити { $name }
where-near-label = Поруч із (місто, поштовий індекс або «шир,довг»)
where-near-placeholder = напр. London
use-my-location = Моє місцезнаходження
radius = У межах
sort = Сортувати за
sort-distance = відстанню
sort-price = ціною
open-now-only = Відчинено зараз
reimbursed-only = Відпускає за програмою «Доступні ліки»
open-at-label = Відчинено о
include-analogs = Разом з аналогами
where-need-medication = Введіть назву ліків.
where-need-place = Вкажіть, де ви: місто чи індекс, або ваше місцезнаходження.
where-unknown-place = Місце «{ $place }» нам невідоме. Спробуйте місто, індекс або «шир,довг».
near-chosen = Поблизу: { $place }.
near-others = Інші місця з такою назвою: { $places }.
where-none = Жодна аптека поблизу їх не має. Збільште радіус або додайте аналоги.
showing-for = Аптеки для
not-it = не те, що шукали?
pharmacies = Аптеки
demo-data = демо-дані
map = Мапа

unit-m = { $n } м
unit-km = { $n } км
ago-minutes = { $n ->
    [one] оновлено { $n } хвилину тому
    [few] оновлено { $n } хвилини тому
   *[other] оновлено { $n } хвилин тому
}
ago-hours = { $n ->
    [one] оновлено { $n } годину тому
    [few] оновлено { $n } години тому
   *[other] оновлено { $n } годин тому
}
ago-days = { $n ->
    [one] оновлено { $n } день тому
    [few] оновлено { $n } дні тому
   *[other] оновлено { $n } днів тому
}
never = ніколи
call-to-confirm = зателефонуйте, щоб уточнити ({ $ago })
stock-in = є в наявності
stock-low = залишилось мало
stock-out = немає в наявності
stock-listed = у переліку, уточніть телефоном
stock-quantity = { $n ->
    [one] { $n } упаковка
    [few] { $n } упаковки
   *[other] { $n } упаковок
}
price = Ціна
availability = Наявність

open-now = Відчинено
open-closes-at = Відчинено · зачиняється о { $time }
closed = Зачинено
closed-opens-at = Зачинено · відчиняється { $time }
hours-unknown = Години роботи невідомі
special-times = Чергування та особливий розклад
special-open = Чергує: { $span }
special-closed = Зачинено: { $span }
special-now = зараз
hours = Години роботи
today = Сьогодні
address = Адреса
phone = Телефон
website = Сайт
email = Ел. пошта
stock = Є в наявності тут
stock-summary = Доступно позицій: { $available }, з них оновлено за добу: { $fresh }

facility-kind-pharmacy = Аптека
facility-kind-clinic = Поліклініка або сімейний лікар
facility-kind-hospital = Лікарня
facility-kind-dentist = Стоматологія
facility-kind-social = Соціальна служба

services-title = Послуги
services-q = Потреба або назва, будь-якою мовою
services-age = Вік (років)
services-language = Мова спілкування
services-ages = Вік { $min }–{ $max }
services-ages-from = Вік від { $min }
services-ages-to = Вік до { $max }
services-languages = Мови: { $list }
services-today = Сьогодні { $hours }
category = Категорія
open-when = Відчинено
open-on-day = у день
at-time = о
results = Результати
services-none = Нічого не знайдено. Збільште радіус або приберіть фільтри.
services-why = Збіг: { $list }
services-beyond = За всіма фільтрами нічого немає. Найближчі збіги без умови «{ $filters }»:
services-facets = Уточнити пошук
services-facet-needs = Потреби
services-relaxed-radius-km = відстань
services-relaxed-postcode = поштовий індекс
services-relaxed-open-at = час роботи
services-relaxed-open-on = день і час роботи
services-relaxed-age = вік
services-relaxed-language = мова
list-hint = Позначте місця, щоб скласти короткий список для друку чи надсилання.
add-to-list = Додати до списку
make-list = Скласти список для друку
list-title = Ваш список
list-printed = Складено
list-empty = Список порожній. Оберіть місця в розділі
list-share = Щоб поділитися списком, надішліть це посилання або роздрукуйте сторінку.
list-link = Посилання на цей список
list-privacy = Нічого про людину, якій ви допомагаєте, не зберігається: список існує лише в цьому посиланні.

status-title = Свіжість даних
status-lead = Аптеки публікують залишки; дані, старші за добу, позначено «зателефонуйте, щоб уточнити», старші за три доби приховано.
status-built = Пошукові дані зібрано
status-facilities = Місця
status-lines = Рядки залишків
status-publishers = Постачальники даних
status-publisher = Постачальник
status-last-push = Останнє оновлення
status-stale = Місця без оновлень за добу
status-no-publishers = Поки жодна аптека не публікує тут залишки; показано демо-дані.

month-1 = січ
month-2 = лют
month-3 = бер
month-4 = квіт
month-5 = трав
month-6 = черв
month-7 = лип
month-8 = серп
month-9 = вер
month-10 = жовт
month-11 = лист
month-12 = груд
weekday-1 = пн
weekday-2 = вт
weekday-3 = ср
weekday-4 = чт
weekday-5 = пт
weekday-6 = сб
weekday-7 = нд
weekday-long-1 = понеділок
weekday-long-2 = вівторок
weekday-long-3 = середа
weekday-long-4 = четвер
weekday-long-5 = пʼятниця
weekday-long-6 = субота
weekday-long-7 = неділя

# Конфіденційні служби (притулок): адресу приховано, показано гарячу лінію.
quick-exit = Швидкий вихід
quick-exit-hint = Негайно перейти на нейтральний сайт (або натисніть Escape)
address-withheld = Адресу приховано з міркувань безпеки
address-withheld-call = Адресу приховано з міркувань безпеки. Телефонуйте { $contact }.
public-contact = Телефонуйте

# Запис на прийом (публікації SMART Scheduling Links)
next-appointment = Найближчий вільний прийом
appointment-book = Записатися на сайті закладу
appointment-call = Записатися телефоном:
appointment-out-of-date = може бути застарілим: заклад вчасно не оновив розклад
appointments-title = Прийом поруч зі мною
appointments-service-label = Вид послуги (код)
appointments-from-label = Від
appointments-need-place = Вкажіть, де ви, щоб побачити найближчі вільні прийоми.
appointments-place-unknown = Таке місце невідоме. Спробуйте місто, поштовий індекс або «широта,довгота».
appointments-none = У цьому радіусі на найближчі два тижні вільних прийомів не опубліковано.
appointments-privacy = medmap нічого не бронює і нічого про вас не зберігає: ви записуєтеся на сайті закладу або телефоном.
waiting-list-days = { $n ->
    [one] Черга: близько { $n } дня
    [few] Черга: близько { $n } днів
   *[other] Черга: близько { $n } днів
}
waiting-list-weeks = { $n ->
    [one] Черга: близько { $n } тижня
    [few] Черга: близько { $n } тижнів
   *[other] Черга: близько { $n } тижнів
}
