/* medmap pages: progressive enhancement only. Every page works without this file:
   searches are GET forms and results are links. This adds
   - autocomplete from /api/v1/medications/suggest as an ARIA 1.2 combobox
     (arrow keys, Enter, Escape, mouse),
   - "use my location" (the position is rounded to about 100 m and only fills the form),
   - the map: Leaflet (vendored) is loaded only on pages that have a map, and only
     after the page has loaded, so the list is on screen first.
   No request goes anywhere but this server (tiles only if the operator set a URL). */
(function () {
  'use strict';
  var lang = document.documentElement.lang || 'en';

  function combobox(input) {
    var form = input.form;
    var hidden = form && form.querySelector('input[name=medication_id]');
    var listId = input.id + '-listbox';
    var list = document.createElement('ul');
    var items = [];
    var active = -1;
    var timer = 0;
    var seq = 0;
    list.id = listId;
    list.setAttribute('role', 'listbox');
    var label = form && form.querySelector('label[for="' + input.id + '"]');
    if (label) list.setAttribute('aria-label', label.textContent);
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', listId);

    function wanted() {
      var what = form && form.querySelector('input[name=what]:checked');
      return !what || what.value === 'medication';
    }
    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
    }
    function render() {
      list.textContent = '';
      if (!items.length) { close(); return; }
      items.forEach(function (it, i) {
        var li = document.createElement('li');
        li.id = listId + '-' + i;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', i === active ? 'true' : 'false');
        li.textContent = it.name;
        li.addEventListener('mousedown', function (e) { e.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      if (active >= 0) {
        input.setAttribute('aria-activedescendant', listId + '-' + active);
        list.children[active].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }
    function pick(i) {
      var it = items[i];
      if (!it) return;
      input.value = it.name;
      if (hidden) hidden.value = it.id;
      close();
      if (input.hasAttribute('data-pick') && form) {
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      }
    }
    function fetchSuggestions() {
      var q = input.value.trim();
      if (q.length < 2 || !wanted()) { items = []; render(); return; }
      var mine = ++seq;
      fetch('/api/v1/medications/suggest?q=' + encodeURIComponent(q) + '&lang=' + lang,
        { headers: { accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (b) {
          if (mine !== seq) return;
          items = b.items || [];
          active = -1;
          render();
        })
        .catch(function () { /* the form still works without suggestions */ });
    }
    input.addEventListener('input', function () {
      if (hidden) hidden.value = '';
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 150);
    });
    input.addEventListener('keydown', function (e) {
      var n = items.length;
      if (e.key === 'ArrowDown' && n) {
        e.preventDefault();
        active = (active + 1) % n;
        render();
      } else if (e.key === 'ArrowUp' && n) {
        e.preventDefault();
        active = active <= 0 ? n - 1 : active - 1;
        render();
      } else if (e.key === 'Enter' && !list.hidden && active >= 0) {
        e.preventDefault();
        pick(active);
      } else if (e.key === 'Escape' && !list.hidden) {
        e.preventDefault();
        close();
      }
    });
    input.addEventListener('blur', function () { setTimeout(close, 150); });
  }

  function locator(button) {
    var target = document.getElementById(button.getAttribute('data-locate'));
    if (!target || !navigator.geolocation) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        target.value = pos.coords.latitude.toFixed(3) + ',' + pos.coords.longitude.toFixed(3);
        button.disabled = false;
        target.focus();
      }, function () { button.disabled = false; }, { maximumAge: 600000, timeout: 15000 });
    });
  }

  function load(tag, attrs) {
    return new Promise(function (resolve, reject) {
      var el = document.createElement(tag);
      Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
      el.onload = resolve;
      el.onerror = reject;
      document.head.appendChild(el);
    });
  }

  function drawMap(el) {
    var list = document.getElementById(el.getAttribute('data-list'));
    var rows = list ? [].slice.call(list.querySelectorAll(':scope > li[data-lat]')) : [];
    if (!rows.length) return;
    var base = '/static/vendor/leaflet/';
    Promise.all([
      load('link', { rel: 'stylesheet', href: base + 'leaflet.css' }),
      load('script', { src: base + 'leaflet.js' })
    ]).then(function () {
      var L = window.L;
      var tiles = el.getAttribute('data-tiles');
      el.classList.add('on');
      var map = L.map(el, { attributionControl: !!tiles, scrollWheelZoom: false });
      if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
      var points = rows.map(function (li) {
        var ll = [parseFloat(li.getAttribute('data-lat')), parseFloat(li.getAttribute('data-lon'))];
        var a = li.querySelector('a');
        var marker = L.circleMarker(ll, { radius: 8, color: '#0b5a2a', weight: 2, fillOpacity: 0.7 }).addTo(map);
        if (a) {
          var link = document.createElement('a');
          link.href = a.href;
          link.textContent = a.textContent;
          marker.bindPopup(link);
        }
        return ll;
      });
      map.fitBounds(points, { padding: [24, 24], maxZoom: 15 });
      el.setAttribute('data-ready', String(points.length));
    }).catch(function () { /* the list is the map's text equivalent */ });
  }

  function start() {
    [].forEach.call(document.querySelectorAll('input[data-suggest]'), combobox);
    [].forEach.call(document.querySelectorAll('[data-locate]'), locator);
    var share = document.getElementById('share');
    if (share) share.value = location.href;
    var map = document.getElementById('map');
    if (map) {
      var later = function () {
        (window.requestIdleCallback || function (f) { setTimeout(f, 50); })(function () { drawMap(map); });
      };
      if (document.readyState === 'complete') later(); else window.addEventListener('load', later);
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
