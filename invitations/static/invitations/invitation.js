// Wires the invitation: reports each step to GWE, and tells the page's tracker (which
// holds this iframe) when to remove it. Runs isolated from the host page.
(function () {
  var runtime = JSON.parse(document.getElementById('gwe-invitation').textContent);
  var done = false;

  function fields() {
    var values = {};
    document.querySelectorAll('input[name], select[name], textarea[name]').forEach(function (field) {
      values[field.name] = field.value;
    });
    return values;
  }

  function report(step, extra) {
    if (!runtime.invitation) return Promise.resolve({state: step});  // a preview
    return fetch(runtime.steps + step, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(Object.assign({token: runtime.token}, extra || {}))
    }).then(function (response) {
      return response.json().then(function (body) { body.status = response.status; return body; });
    });
  }

  function tell(action) { window.parent.postMessage({gwe: 'action', action: action}, '*'); }

  // What the visitor sees after answering: words, an optional menu or link, and a way out.
  function show(text, options) {
    options = options || {};
    var box = document.querySelector('.invitation') || document.body;
    box.querySelectorAll('.actions, form, .gwe-result').forEach(function (el) { el.remove(); });
    var result = document.createElement('div');
    result.className = 'gwe-result';
    result.setAttribute('role', 'status');
    var words = document.createElement('p');
    words.textContent = text;
    result.appendChild(words);
    if (options.choices && options.choices.length) {
      var list = document.createElement('ul');
      options.choices.forEach(function (choice) {
        var item = document.createElement('li');
        item.textContent = choice;
        list.appendChild(item);
      });
      result.appendChild(list);
    }
    if (options.link) {
      var link = document.createElement('a');
      link.href = options.link;
      link.target = '_blank';
      link.rel = 'noopener';
      link.textContent = options.linkText || runtime.openText;
      result.appendChild(link);
    }
    if (options.closable) {
      var close = document.createElement('button');
      close.type = 'button';
      close.className = 'gwe-close';
      close.textContent = runtime.closeText;
      close.addEventListener('click', function () { tell('close'); });
      result.appendChild(close);
    }
    box.appendChild(result);
  }

  // Only web and telephone links, or GWE's own pages: never script from an adapter's reply.
  function safeUrl(url) {
    return typeof url === 'string' && /^(https?:\/\/|tel:|\/[^\/])/i.test(url) ? url : '';
  }

  function engaged(reply) {
    var engagement = reply.engagement || {};
    var url = safeUrl(engagement.url);
    var instead = engagement.instead || {};
    if (engagement.status === 'failed' && safeUrl(instead.url) && instead.open === 'embed') {
      window.location.assign(safeUrl(instead.url));  // e.g. leave a message: nobody is free
    } else if (reply.error || engagement.status === 'failed') {
      show(reply.error || engagement.error, {closable: true});
    } else if (url && engagement.open === 'embed') {
      window.location.assign(url);
    } else {
      var opened = url && !/^tel:/i.test(url) && window.open(url, '_blank', 'noopener');
      show(engagement.text || runtime.acceptedText, {
        choices: engagement.choices,
        link: opened ? '' : url,
        linkText: /^tel:/i.test(url) ? url.slice(4) : runtime.openText,
        closable: true
      });
    }
  }

  report('shown');
  var timer = setTimeout(function () {
    if (done) return;
    done = true;
    report('timedout').then(function () { tell('timeout'); });
  }, runtime.timeoutSeconds * 1000);

  document.addEventListener('click', function (event) {
    var target = event.target.closest('[data-gwe-action]');
    if (!target || done) return;
    var action = target.getAttribute('data-gwe-action');
    done = true;
    clearTimeout(timer);
    if (action === 'accept') {
      show(runtime.connectingText);
      report('accepted', {fields: fields()}).then(function (reply) {
        tell('accept');
        engaged(reply);
      }, function () {
        show(runtime.offlineText, {closable: true});
      });
    } else {
      report('rejected').then(function () { tell(action); });
    }
  });
})();
