# medmap pages: Russian.
skip-to-content = Перейти к содержанию
nav-main = Главное меню
nav-language = Язык
nav-medications = Лекарства
nav-where = Где купить
nav-services = Услуги
nav-status = Свежесть данных
footer-privacy = Без слежки и без запросов к сторонним сайтам.
back-home = На главную
search = Искать
more = ещё…
any = Любая

error-bad-request = Что-то не так с запросом
error-not-found = Не найдено
error-not-ready = Запуск
error-not-ready-text = medmap загружает данные. Попробуйте через несколько секунд.
error-internal = Что-то пошло не так
error-internal-text = Произошла внутренняя ошибка. Попробуйте позже.

home-title = Поиск лекарств и услуг
home-lead = Введите название лекарства так, как помните (торговое или международное, с ошибками, любым алфавитом), или нужную помощь.
home-label = Лекарство или услуга
home-placeholder = напр. парацетамол, Nurofen, продуктовый банк
home-what = Искать
home-what-medication = лекарство
home-what-service = услугу
home-more = Ещё
home-where = В какой аптеке рядом оно есть?
home-services = Услуги по потребности, месту и часам работы
home-status = Насколько свежи данные о наличии?

medications-title = Лекарства
medications-results-for = Результаты для «{ $q }»
medication-label = Название лекарства
medication = Лекарство
medications-none = Ничего не найдено. Проверьте написание или попробуйте международное название.
did-you-mean = Возможно, вы имели в виду
kind-substance = Действующее вещество
kind-product = Торговое название
match-exact = точное совпадение
match-prefix = начало названия
match-fuzzy = исправлено написание
match-translit = другой алфавит
match-layout = исправлена раскладка
ingredients = Действующие вещества
brands = Торговые названия
analogs = Аналоги (те же действующие вещества)
forms = Формы выпуска
other-names = Другие названия и написания
registrations = Регистрационные номера
find-in-pharmacies = Найти в аптеках

where-title = Где купить
where-title-for = Где купить { $name }
where-near-label = Рядом с (город, почтовый индекс или «шир,долг»)
where-near-placeholder = напр. London
use-my-location = Моё местоположение
radius = В пределах
sort = Сортировать по
sort-distance = расстоянию
sort-price = цене
open-now-only = Открыто сейчас
reimbursed-only = Отпускает по программе «Доступные лекарства»
open-at-label = Открыто в
include-analogs = Вместе с аналогами
where-need-medication = Введите название лекарства.
where-need-place = Укажите, где вы: город или индекс, или ваше местоположение.
where-unknown-place = Место «{ $place }» нам неизвестно. Попробуйте город, индекс или «шир,долг».
near-chosen = Рядом с: { $place }.
near-others = Другие места с таким названием: { $places }.
where-none = Ни одна аптека поблизости его не указывает. Увеличьте радиус или добавьте аналоги.
showing-for = Аптеки для
not-it = не то, что искали?
pharmacies = Аптеки
demo-data = демо-данные
map = Карта

unit-m = { $n } м
unit-km = { $n } км
ago-minutes = { $n ->
    [one] обновлено { $n } минуту назад
    [few] обновлено { $n } минуты назад
   *[other] обновлено { $n } минут назад
}
ago-hours = { $n ->
    [one] обновлено { $n } час назад
    [few] обновлено { $n } часа назад
   *[other] обновлено { $n } часов назад
}
ago-days = { $n ->
    [one] обновлено { $n } день назад
    [few] обновлено { $n } дня назад
   *[other] обновлено { $n } дней назад
}
never = никогда
call-to-confirm = позвоните, чтобы уточнить ({ $ago })
stock-in = в наличии
stock-low = осталось мало
stock-out = нет в наличии
stock-listed = в списке, уточните по телефону
stock-quantity = { $n ->
    [one] { $n } упаковка
    [few] { $n } упаковки
   *[other] { $n } упаковок
}
price = Цена
availability = Наличие

open-now = Открыто
open-closes-at = Открыто · закрывается в { $time }
closed = Закрыто
closed-opens-at = Закрыто · открывается { $time }
hours-unknown = Часы работы неизвестны
special-times = Дежурства и особый график
special-open = Дежурит: { $span }
special-closed = Закрыто: { $span }
special-now = сейчас
hours = Часы работы
today = Сегодня
address = Адрес
phone = Телефон
website = Сайт
email = Эл. почта
stock = В наличии здесь
stock-summary = Доступно позиций: { $available }, из них обновлено за сутки: { $fresh }

facility-kind-pharmacy = Аптека
facility-kind-clinic = Поликлиника или семейный врач
facility-kind-hospital = Больница
facility-kind-dentist = Стоматология
facility-kind-social = Социальная служба

services-title = Услуги
services-q = Потребность или название, на любом языке
services-age = Возраст (лет)
services-language = Язык общения
services-ages = Возраст { $min }–{ $max }
services-ages-from = Возраст от { $min }
services-ages-to = Возраст до { $max }
services-languages = Языки: { $list }
services-today = Сегодня { $hours }
category = Категория
open-when = Открыто
open-on-day = в день
at-time = в
results = Результаты
services-none = Ничего не найдено. Увеличьте радиус или уберите фильтры.
services-why = Совпадение: { $list }
services-beyond = По всем фильтрам ничего нет. Ближайшие совпадения без условия «{ $filters }»:
services-facets = Уточнить поиск
services-facet-needs = Потребности
services-relaxed-radius-km = расстояние
services-relaxed-postcode = почтовый индекс
services-relaxed-open-at = время работы
services-relaxed-open-on = день и время работы
services-relaxed-age = возраст
services-relaxed-language = язык
list-hint = Отметьте места, чтобы составить короткий список для печати или отправки.
add-to-list = Добавить в список
make-list = Составить список для печати
list-title = Ваш список
list-printed = Составлено
list-empty = Список пуст. Выберите места в разделе
list-share = Чтобы поделиться списком, отправьте эту ссылку или распечатайте страницу.
list-link = Ссылка на этот список
list-privacy = Ничего о человеке, которому вы помогаете, не хранится: список существует только в этой ссылке.

status-title = Свежесть данных
status-lead = Аптеки публикуют остатки; данные старше суток помечены «позвоните, чтобы уточнить», старше трёх суток скрыты.
status-built = Поисковые данные собраны
status-facilities = Места
status-lines = Строки остатков
status-publishers = Поставщики данных
status-publisher = Поставщик
status-last-push = Последнее обновление
status-stale = Места без обновлений за сутки
status-no-publishers = Пока ни одна аптека не публикует здесь остатки; показаны демо-данные.

month-1 = янв
month-2 = фев
month-3 = мар
month-4 = апр
month-5 = мая
month-6 = июн
month-7 = июл
month-8 = авг
month-9 = сен
month-10 = окт
month-11 = ноя
month-12 = дек
weekday-1 = пн
weekday-2 = вт
weekday-3 = ср
weekday-4 = чт
weekday-5 = пт
weekday-6 = сб
weekday-7 = вс
weekday-long-1 = понедельник
weekday-long-2 = вторник
weekday-long-3 = среда
weekday-long-4 = четверг
weekday-long-5 = пятница
weekday-long-6 = суббота
weekday-long-7 = воскресенье

# Конфиденциальные службы (убежище): адрес скрыт, показана горячая линия.
quick-exit = Быстрый выход
quick-exit-hint = Немедленно перейти на нейтральный сайт (или нажмите Escape)
address-withheld = Адрес скрыт в целях безопасности
address-withheld-call = Адрес скрыт в целях безопасности. Звоните { $contact }.
public-contact = Звоните

# Запись на приём (публикации SMART Scheduling Links)
next-appointment = Ближайший свободный приём
appointment-book = Записаться на сайте учреждения
appointment-call = Записаться по телефону:
appointment-out-of-date = может быть устаревшим: учреждение вовремя не обновило расписание
appointments-title = Приём рядом со мной
appointments-service-label = Вид услуги (код)
appointments-from-label = С
appointments-need-place = Укажите, где вы, чтобы увидеть ближайшие свободные приёмы.
appointments-place-unknown = Такое место неизвестно. Попробуйте город, почтовый индекс или «широта,долгота».
appointments-none = В этом радиусе на ближайшие две недели свободных приёмов не опубликовано.
appointments-privacy = medmap ничего не бронирует и ничего о вас не хранит: вы записываетесь на сайте учреждения или по телефону.
waiting-list-days = { $n ->
    [one] Очередь: около { $n } дня
    [few] Очередь: около { $n } дней
   *[other] Очередь: около { $n } дней
}
waiting-list-weeks = { $n ->
    [one] Очередь: около { $n } недели
    [few] Очередь: около { $n } недель
   *[other] Очередь: около { $n } недель
}
