// The console's "Visitors on the site": who is on the customer's site now, pushed by
// /server/ws/agent/visitors when what is shown changes (a page at a time, newest first), and
// an invitation offered by hand from a visitor's row. Everything that came from a visitor's
// browsing is set with textContent.
(function () {
  'use strict';

  var SOCKET = '/server/ws/agent/visitors';
  var PING_MS = 15000;
  var SEARCH_PAUSE_MS = 300;

  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    count: $('visitors-count'), search: $('visitors-search'),
    page: $('visitors-page'), identified: $('visitors-identified'),
    returning: $('visitors-returning'), template: $('invite-template'),
    status: $('visitors-status'), rows: $('visitors-rows'), none: $('no-visitors'),
    range: $('visitors-range'), previous: $('visitors-previous'), next: $('visitors-next')
  };

  var socket = null, retries = 0, stopped = false, pinger = null, pause = null;
  var listing = {total: 0, offset: 0, rows: []};
  var offset = 0, pageSize = 50;

  // ---- the console's views: chats, visitors, messages left -------------------------------

  var tabs = document.querySelectorAll('nav.views [role="tab"]');
  function show(tab) {
    for (var i = 0; i < tabs.length; i++) {
      tabs[i].setAttribute('aria-selected', String(tabs[i] === tab));
      $(tabs[i].getAttribute('aria-controls')).hidden = tabs[i] !== tab;
    }
  }
  for (var t = 0; t < tabs.length; t++) {
    tabs[t].addEventListener('click', function (event) { show(event.currentTarget); });
  }

  // ---- the socket ---------------------------------------------------------------------

  function connect() {
    var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(scheme + '//' + location.host + SOCKET);
    socket.onopen = function () {
      retries = 0;
      sendFilter();
      clearInterval(pinger);
      pinger = setInterval(function () { send({type: 'ping'}); }, PING_MS);
    };
    socket.onmessage = function (event) { receive(JSON.parse(event.data)); };
    socket.onclose = function (event) {
      socket = null;
      clearInterval(pinger);
      if (event.code === 4403) stopped = true;
      if (stopped) return;
      say('Reconnecting…');
      setTimeout(connect, Math.min(10000, 500 * Math.pow(2, retries++)));
    };
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function flag(select) { return select.value === '' ? null : select.value === 'true'; }

  function sendFilter() {
    send({
      type: 'filter', search: ui.search.value, page: ui.page.value,
      identified: flag(ui.identified), returning: flag(ui.returning), offset: offset
    });
  }

  function receive(frame) {
    if (frame.type === 'templates') {
      ui.template.textContent = '';
      frame.templates.forEach(function (template) {
        var option = document.createElement('option');
        option.value = template.slug;
        option.textContent = template.name;
        ui.template.appendChild(option);
      });
    } else if (frame.type === 'visitors') {
      listing = frame;
      render();
    } else if (frame.type === 'invited') {
      say('Invitation offered: it shows on the visitor\'s page now.');
    } else if (frame.type === 'error') {
      say(frame.message, true);
    }
  }

  function say(text, isError) {
    ui.status.textContent = text;
    ui.status.className = isError ? 'error' : '';
  }

  // ---- the list -----------------------------------------------------------------------

  function render() {
    ui.count.textContent = '(' + listing.total + ')';
    ui.rows.textContent = '';
    listing.rows.forEach(function (row) { ui.rows.appendChild(rowOf(row)); });
    ui.none.hidden = listing.total > 0;
    var first = listing.total ? listing.offset + 1 : 0;
    ui.range.textContent = first + '–' + (listing.offset + listing.rows.length) + ' of ' + listing.total;
    ui.previous.disabled = listing.offset === 0;
    ui.next.disabled = listing.offset + listing.rows.length >= listing.total;
    tick();
  }

  function cell(tr, main, sub) {
    var td = document.createElement('td');
    td.appendChild(document.createTextNode(main || ''));
    (sub || []).forEach(function (text) {
      if (!text) return;
      var span = document.createElement('span');
      span.className = 'sub';
      span.textContent = text;
      td.appendChild(span);
    });
    tr.appendChild(td);
    return td;
  }

  function rowOf(row) {
    var tr = document.createElement('tr');
    tr.setAttribute('data-visit', row.visitID);
    var who = row.identity ? (row.identity.name || row.identity.email || row.identity.id) : 'Anonymous';
    cell(tr, who, [
      row.identity && row.identity.name ? row.identity.email : '',
      [row.returning ? 'returning' : 'new', row.language, row.device].filter(Boolean).join(' · ')
    ]);
    cell(tr, row.title || row.url, [row.title ? row.url : '']);
    var time = cell(tr, '', [row.pagesViewed + (row.pagesViewed === 1 ? ' page' : ' pages')]);
    var since = document.createElement('span');
    since.className = 'on-site';
    since.setAttribute('data-since', row.startedAt);
    time.insertBefore(since, time.firstChild);
    cell(tr, row.lastEvents.join(', ') || '—', [row.inChat ? 'in a chat' : '']);
    var rule = row.rule;
    cell(tr, rule ? (rule.offered ? 'Invited by ' + rule.rule : 'Not invited') : '—', [
      rule && !rule.offered ? rule.rule + ': ' + rule.why : '',
      row.invitationOut ? 'an invitation is on their page' : ''
    ]);
    var actions = document.createElement('td');
    var invite = document.createElement('button');
    invite.type = 'button';
    invite.className = 'action primary';
    invite.textContent = 'Invite';
    invite.disabled = row.inChat || row.invitationOut;
    invite.title = row.inChat ? 'Already in a chat' : row.invitationOut ?
      'An invitation is on their page already' : 'Offer the invitation chosen above';
    invite.addEventListener('click', function () {
      say('Inviting…');
      send({type: 'invite', visit: row.visitID, template: ui.template.value});
    });
    actions.appendChild(invite);
    tr.appendChild(actions);
    return tr;
  }

  // Time on site, counted here: the list is not sent again only because a second passed.
  function tick() {
    var now = Date.now();
    ui.rows.querySelectorAll('.on-site').forEach(function (span) {
      var seconds = Math.max(0, Math.round((now - Date.parse(span.getAttribute('data-since'))) / 1000));
      var minutes = Math.floor(seconds / 60);
      span.textContent = minutes ? minutes + ' min ' + (seconds % 60) + ' s' : seconds + ' s';
    });
  }
  setInterval(tick, 1000);

  // ---- search, filters, pages ---------------------------------------------------------

  function refilter() { offset = 0; sendFilter(); }
  ui.search.addEventListener('input', function () {
    clearTimeout(pause);
    pause = setTimeout(refilter, SEARCH_PAUSE_MS);
  });
  ui.page.addEventListener('input', function () {
    clearTimeout(pause);
    pause = setTimeout(refilter, SEARCH_PAUSE_MS);
  });
  ui.identified.addEventListener('change', refilter);
  ui.returning.addEventListener('change', refilter);
  ui.previous.addEventListener('click', function () {
    offset = Math.max(0, listing.offset - pageSize);
    sendFilter();
  });
  ui.next.addEventListener('click', function () {
    offset = listing.offset + pageSize;
    sendFilter();
  });

  connect();
})();
