// The invitation template's live preview in the admin: what the visitor would see, desktop
// and mobile, redrawn as the form is edited (nothing is saved). The preview runs in a
// sandboxed frame without the admin's origin: the template's own scripts cannot reach it.
// When the form cannot be previewed, the server answers 400 with what is wrong, drawn in the
// admin's colours: the admin's theme (light, dark or auto) goes with the form.
(function () {
  'use strict';

  function start() {
    var box = document.querySelector('[data-gwe-preview-url]');
    var form = box && box.closest('form');
    if (!form) return;
    var url = box.getAttribute('data-gwe-preview-url');
    var timer = null;
    var latest = 0;

    function draw(frame, mobile, ticket) {
      var data = new FormData(form);
      data.set('_preview_mobile', mobile ? '1' : '0');
      data.set('_preview_theme', document.documentElement.dataset.theme || 'auto');
      return fetch(url, {
        method: 'POST',
        body: data,
        credentials: 'same-origin',
        headers: {'X-CSRFToken': data.get('csrfmiddlewaretoken') || ''}
      }).then(function (response) {
        return response.text();
      }).then(function (html) {
        if (ticket === latest) frame.srcdoc = html;  // an older answer never overwrites a newer
      }, function () {
        if (ticket === latest) frame.srcdoc = '<p>The preview could not be drawn (offline?).</p>';
      });
    }

    function redraw() {
      var ticket = ++latest;
      box.querySelectorAll('iframe[data-gwe-preview]').forEach(function (frame) {
        draw(frame, frame.getAttribute('data-gwe-preview') === 'mobile', ticket);
      });
    }

    function soon() {
      clearTimeout(timer);
      timer = setTimeout(redraw, 400);
    }

    form.addEventListener('input', soon);
    form.addEventListener('change', soon);
    // The admin's theme toggle: a message about the form follows the admin's colours.
    new MutationObserver(soon).observe(document.documentElement, {attributeFilter: ['data-theme']});
    redraw();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
