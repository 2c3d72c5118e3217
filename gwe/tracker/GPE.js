/*
 * GWE tracker: the _gt Monitoring JS API (docs/tracker.md, docs/tracker-protocol.md).
 *
 *   _gt.push(['config', {httpEndpoint: 'https://gwe.example.com'}]);
 *   _gt.push(['event', 'AddToCart', {data: {sku: 'SHOE-1'}}]);
 *   _gt.push(['getIDs', function (ids) { ... }]);
 *   _gt.push(['subscribe', 'offers', function (data, message) { ... }]);
 *   _gt.push(['chat']);  // the visitor asks to chat (or ['config', {chatButton: true}])
 *
 * Plain JavaScript, no dependencies. It keeps one WebSocket per tab (HTTP when WebSockets are
 * blocked: messages are POSTed, notifications come by long poll), resends what the server has
 * not acknowledged, and sends the rest with a beacon when the page goes away.
 */
(function (window, document) {
  'use strict';

  if (window._gt && window._gt.gwe) return; // loaded twice

  var VISIT_COOKIE = '_gwe_visit';
  var GLOBAL_COOKIE = '_gwe_gvid';
  var GLOBAL_COOKIE_SECONDS = 2 * 365 * 24 * 3600;
  var MAX_BATCH = 50;
  var FRAME_STYLE = 'position:fixed;right:20px;bottom:20px;width:380px;max-width:calc(100% - 40px);' +
    'height:240px;border:0;z-index:2147483647;background:transparent;color-scheme:normal;';

  // GWE's words in each of its languages ({"fr": {"chat": ...}}), written in by the server
  // that serves this script (gwe/languages.py); chosen by the page's languageCode.
  var WORDS = {};

  var settings = {httpEndpoint: '', httpsEndpoint: '', debug: false, languageCode: '',
    consentRequired: false, chatButton: false};
  var consent = null;          // null: not asked; true / false: the visitor's answer
  var started = false;
  var stopped = false;
  var replaying = false;

  var page = {id: null, token: null, url: location.href, referrer: document.referrer};
  var ids = null;              // {visitID, pageID, globalVisitID} once the server gave them
  var visitToken = null;       // proves this browser holds the visit: later pages join it
  var idWaiters = [];
  var outbox = [];             // events not yet acknowledged: {message, sent}
  var subscribers = {};
  var definitions = [];
  var pageTimers = [];
  var firedOnPage = {};
  var lastSeq = null;
  var delivered = {};          // notification ids already handed to this page

  var socket = null;
  var socketOpen = false;
  var everAnswered = false;    // a socket that opens but never answers is as good as blocked
  var answerTimer = null;
  var failedAttempts = 0;
  var useHttp = false;
  var reconnectTimer = null;
  var httpBusy = false;
  var poller = null;           // the long poll under way over HTTP: {abort}
  var pollTimer = null;
  var pollFailures = 0;
  var receipts = [];           // over HTTP: ids received, confirmed with the next poll

  // ---- small helpers ----------------------------------------------------------------

  function languageCode() {
    return settings.languageCode || navigator.language || '';
  }

  function word(name) {
    var code = languageCode().toLowerCase();
    var words = WORDS[code] || WORDS[code.split('-')[0]] || WORDS.en || {};
    return words[name] || {chat: 'Chat with us', frame: 'Invitation'}[name];
  }

  function log() {
    if (settings.debug && window.console) console.log.apply(console, ['[GWE]'].concat([].slice.call(arguments)));
  }

  function warn() {
    if (settings.debug && window.console) console.warn.apply(console, ['[GWE]'].concat([].slice.call(arguments)));
  }

  function randomId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return 'c-' + Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function endpoint() {
    var chosen = location.protocol === 'https:' && settings.httpsEndpoint ? settings.httpsEndpoint : settings.httpEndpoint;
    return String(chosen || '').replace(/\/+$/, '');
  }

  function readCookie(name) {
    var match = document.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
    return match ? decodeURIComponent(match[1]) : null;
  }

  function writeCookie(name, value, maxAge) {
    if (!mayStore()) return;
    var secure = location.protocol === 'https:' ? '; Secure' : '';
    var age = maxAge ? '; Max-Age=' + maxAge : '';
    document.cookie = name + '=' + encodeURIComponent(value) + '; Path=/; SameSite=Lax' + age + secure;
  }

  // The visit cookie holds the visit's token ("visitID:signature"): a page joins the visit
  // only with it, so a visit id seen elsewhere joins nothing.
  function visitOfCookie() {
    var token = readCookie(VISIT_COOKIE);
    return token ? token.split(':')[0] : null;
  }

  function deleteCookie(name) {
    document.cookie = name + '=; Path=/; Max-Age=0';
  }

  function mayStore() {
    return !settings.consentRequired || consent === true;
  }

  function safely(callback, args) {
    try {
      callback.apply(null, args);
    } catch (error) {
      if (window.console) console.error('[GWE] callback failed', error);
    }
  }

  // ---- commands -----------------------------------------------------------------------

  var commands = {
    config: function (options) {
      for (var key in options || {}) {
        if (Object.prototype.hasOwnProperty.call(settings, key)) settings[key] = options[key];
      }
      start();
    },
    getIDs: function (callback) {
      if (typeof callback !== 'function') return;
      if (ids) safely(callback, [copyIds()]);
      else idWaiters.push(callback);
    },
    event: function (name, options) {
      track(String(name), 'BUSINESS', (options && options.data) || {});
    },
    // The visitor asks to chat (the site's own button): a chat frame, once the page is known.
    chat: function () {
      if (ids && page.token) return openChat();
      idWaiters.push(openChat);
    },
    subscribe: function (channel, callback) {
      if (typeof callback !== 'function') return;
      (subscribers[channel] = subscribers[channel] || []).push(callback);
    },
    consent: function (given) {
      var withdrawn = consent !== false && !given && started && page.token;
      consent = !!given;
      if (consent) {
        start();
      } else {
        if (withdrawn) sayConsentWithdrawn();
        stop();
      }
    }
  };

  function run(command) {
    if (!command || !command.length) return;
    var handler = commands[command[0]];
    if (handler) handler.apply(null, [].slice.call(command, 1));
    else warn('unknown command', command[0]);
  }

  function copyIds() {
    return {visitID: ids.visitID, pageID: ids.pageID, globalVisitID: ids.globalVisitID};
  }

  // ---- life of the tracker -------------------------------------------------------------

  function start() {
    if (replaying || started || stopped || !endpoint()) return;
    if (settings.consentRequired && consent !== true) return;
    started = true;
    watchRoutes();
    window.addEventListener('pagehide', onPageHide);
    window.addEventListener('pageshow', function (event) { if (event.persisted) newPage(document.referrer); });
    connect();
  }

  function stop() {
    stopped = true;
    started = false;
    outbox = [];
    clearPageTimers();
    deleteCookie(VISIT_COOKIE);
    deleteCookie(GLOBAL_COOKIE);
    if (reconnectTimer) clearTimeout(reconnectTimer);
    stopPolling();
    if (socket) socket.close();
    socket = null;
    log('stopped: no consent');
  }

  function pageMessage() {
    var message = {
      type: 'page',
      visitID: (ids && ids.visitID) || visitOfCookie() || null,
      visitToken: visitToken || readCookie(VISIT_COOKIE) || null,
      globalVisitID: (ids && ids.globalVisitID) || readCookie(GLOBAL_COOKIE) || null,
      url: location.href,
      title: document.title,
      referrer: page.referrer || '',
      languageCode: languageCode(),
      timestamp: Date.now()
    };
    if (page.id && page.token) {
      message.pageID = page.id;  // a reconnect: the same page goes on
      message.token = page.token;
    }
    if (useHttp) message.poll = true;  // its live channel: the server may push to it
    return message;
  }

  // ---- transport: WebSocket, HTTP when it is blocked -----------------------------------

  function connect() {
    if (stopped) return;
    if (useHttp) {
      httpSend([pageMessage()]);
      return;
    }
    var url = endpoint().replace(/^http/, 'ws') + '/server/ws/tracker';
    try {
      socket = new WebSocket(url);
    } catch (error) {
      return socketFailed();
    }
    socket.onopen = function () {
      socketOpen = true;
      socket.send(JSON.stringify(pageMessage()));
      answerTimer = setTimeout(function () { if (socket) socket.close(); }, 10000);
    };
    socket.onmessage = function (event) {
      if (answerTimer) answerTimer = clearTimeout(answerTimer);
      everAnswered = true;
      failedAttempts = 0;
      var reply;
      try { reply = JSON.parse(event.data); } catch (error) { return; }
      receive(reply);
    };
    socket.onclose = function () {
      if (answerTimer) answerTimer = clearTimeout(answerTimer);
      socketOpen = false;
      socket = null;
      outbox.forEach(function (entry) { entry.sent = false; });
      socketFailed();
    };
  }

  function socketFailed() {
    failedAttempts += 1;
    if (!everAnswered && failedAttempts >= 2) {
      log('WebSockets are blocked: using HTTP');
      useHttp = true;
      return connect();
    }
    reconnectLater();
  }

  function reconnectLater() {
    if (stopped || reconnectTimer) return;
    var delay = Math.min(30000, 500 * Math.pow(2, failedAttempts)) * (0.5 + Math.random() / 2);
    reconnectTimer = setTimeout(function () { reconnectTimer = null; connect(); }, delay);
  }

  function httpSend(messages) {
    if (!messages.length) return;
    httpBusy = true;
    fetch(endpoint() + '/server/data/tracker', {
      method: 'POST',
      body: JSON.stringify(messages),
      headers: {'Content-Type': 'text/plain'},
      keepalive: true,
      credentials: 'omit'
    }).then(function (response) {
      return response.json().then(function (body) {
        httpBusy = false;
        if (body.replies) body.replies.forEach(receive);
        else receive({type: 'error', status: response.status, message: body.error, index: body.index, batch: messages});
        flush();
      });
    }).catch(function () {
      httpBusy = false;
      outbox.forEach(function (entry) { entry.sent = false; });
      setTimeout(function () { if (!page.token) connect(); else flush(); }, 2000);
    });
  }

  function send(message) {
    if (useHttp) return httpSend([message]);
    if (socketOpen) socket.send(JSON.stringify(message));
  }

  // Over HTTP, the page's notifications come by long poll: the server answers at once with
  // what the page missed after lastSeq, or when something arrives (or after ~25 s, with
  // nothing), and the next poll starts at once with the receipts of what came.
  function poll() {
    if (stopped || !useHttp || !page.token || poller) return;
    var current = poller = {abort: window.AbortController ? new AbortController() : null};
    var confirming = receipts.splice(0, 100);
    fetch(endpoint() + '/server/data/tracker/poll', {
      method: 'POST',
      body: JSON.stringify({token: page.token, lastSeq: lastSeq, received: confirming}),
      headers: {'Content-Type': 'text/plain'},
      credentials: 'omit',
      signal: current.abort ? current.abort.signal : undefined
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error || 'poll refused: ' + response.status);
        return body;
      });
    }).then(function (body) {
      if (poller !== current) return;  // given up (a new page, the page hidden)
      poller = null;
      pollFailures = 0;
      (body.notifications || []).forEach(receive);
      lastSeq = Math.max(lastSeq || 0, body.lastSeq || 0);
      poll();
    }).catch(function (error) {
      if (poller !== current) return;
      poller = null;
      receipts = confirming.concat(receipts);
      pollFailures += 1;
      warn('poll failed', error && error.message);
      var delay = Math.min(10000, 1000 * Math.pow(2, pollFailures - 1)) * (0.5 + Math.random() / 2);
      pollTimer = setTimeout(function () { pollTimer = null; poll(); }, delay);
    });
  }

  function stopPolling() {
    if (pollTimer) pollTimer = clearTimeout(pollTimer);
    var current = poller;
    poller = null;
    if (current && current.abort) current.abort.abort();
  }

  function confirmReceived(id) {
    if (useHttp) receipts.push(id);
    else send({type: 'received', ids: [id]});
  }

  // ---- what the server says ------------------------------------------------------------

  function receive(reply) {
    switch (reply.type) {
      case 'ids': return onIds(reply);
      case 'ack': return acknowledged(reply.id);
      case 'error': return onError(reply);
      case 'notification': return onNotification(reply);
      case 'subscribed': lastSeq = Math.max(lastSeq || 0, reply.lastSeq); return;
    }
  }

  function onIds(reply) {
    var newPage = !reply.resumed;
    ids = {visitID: reply.visitID, pageID: reply.pageID, globalVisitID: reply.globalVisitID};
    page.id = reply.pageID;
    page.token = reply.token;
    visitToken = reply.visitToken || null;
    writeCookie(VISIT_COOKIE, visitToken || reply.visitID);
    writeCookie(GLOBAL_COOKIE, reply.globalVisitID, GLOBAL_COOKIE_SECONDS);
    log(newPage ? 'page started' : 'page resumed', ids);
    if (newPage) setUpDefinitions(reply.definitions || []);
    showLauncher();
    var waiting = idWaiters;
    idWaiters = [];
    waiting.forEach(function (callback) { safely(callback, [copyIds()]); });
    if (useHttp) {
      stopPolling();  // the page's earlier poll, if any: this page polls with its own token
      poll();
    } else {
      send({type: 'subscribe', token: page.token, lastSeq: lastSeq});
    }
    flush();
  }

  function onError(reply) {
    if (reply.status === 410) {
      // The visit expired while the page stayed open: a new page, in a new visit.
      log('visit expired: starting a new one');
      ids = null;
      page.id = page.token = null;
      deleteCookie(VISIT_COOKIE);
      // What belonged to the expired visit's page ends with it; the rest goes to the new page.
      outbox = outbox.filter(function (entry) { return !entry.ended; });
      outbox.forEach(function (entry) { entry.sent = false; entry.message.token = null; });
      return send(pageMessage());
    }
    var refused = reply.id || (reply.batch && reply.batch[reply.index] && reply.batch[reply.index].id);
    warn('refused', reply.status, reply.message);
    if (refused) acknowledged(refused);
    else if (reply.batch) outbox.forEach(function (entry) { entry.sent = false; });
  }

  function acknowledged(id) {
    outbox = outbox.filter(function (entry) { return entry.message.id !== id; });
  }

  // ---- events ---------------------------------------------------------------------------

  // Milliseconds since the epoch, to the microsecond and always later than the page's last
  // event: the history orders a page's events by their time.
  var lastEventTime = 0;
  function eventTime() {
    var now = window.performance && performance.timeOrigin
      ? performance.timeOrigin + performance.now() : Date.now();
    lastEventTime = Math.max(now, lastEventTime + 0.001);
    return lastEventTime;
  }

  function track(name, type, data) {
    if (stopped) return;
    outbox.push({sent: false, message: {
      type: 'event', id: randomId(), token: null, eventName: name, eventType: type, data: data,
      timestamp: eventTime(), url: location.href, title: document.title
    }});
    flush();
  }

  // Sends what waits, once the page has its token (events pushed earlier take it now).
  function flush() {
    if (!started || !page.token || (useHttp && httpBusy)) return;
    var waiting = outbox.filter(function (entry) { return !entry.sent; });
    if (!waiting.length || (!useHttp && !socketOpen)) return;
    waiting.forEach(function (entry) {
      entry.message.token = entry.message.token || page.token;
      entry.sent = true;
    });
    if (useHttp) return httpSend(waiting.slice(0, MAX_BATCH).map(function (entry) { return entry.message; }));
    waiting.forEach(function (entry) { socket.send(JSON.stringify(entry.message)); });
  }

  // Recorded on the visit, so that what was stored before is known to be the last of it. By
  // beacon, as a page that closes does: the socket closes at once after it.
  function sayConsentWithdrawn() {
    var body = JSON.stringify([{
      type: 'event', id: randomId(), token: page.token, eventName: 'ConsentWithdrawn', eventType: 'SYSTEM',
      data: {}, timestamp: eventTime(), url: page.url, title: document.title
    }]);
    if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint() + '/server/data/tracker', body))) {
      httpSend(JSON.parse(body));
    }
  }

  function endPage() {
    if (!page.token) return;
    outbox.push({sent: false, ended: true, message: {
      type: 'event', id: randomId(), token: page.token, eventName: 'PageExited', eventType: 'SYSTEM',
      data: {}, timestamp: eventTime(), url: page.url, title: document.title
    }});
  }

  // The page is going away: whatever was not acknowledged goes with a beacon.
  function onPageHide() {
    if (!started || !page.token) return;
    endPage();
    stopPolling();
    var messages = outbox.map(function (entry) {
      entry.message.token = entry.message.token || page.token;
      return entry.message;
    }).slice(-(MAX_BATCH - 1));
    if (receipts.length) messages.push({type: 'received', token: page.token, ids: receipts.splice(0, 100)});
    var body = JSON.stringify(messages);
    if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint() + '/server/data/tracker', body))) {
      httpSend(messages);
    }
    outbox = [];
    page.id = page.token = null;  // restored from the back-forward cache, it is a new page
  }

  // ---- single-page apps: a route change ends the page and starts the next ----------------

  function watchRoutes() {
    var pushState = history.pushState;
    history.pushState = function () {
      var result = pushState.apply(this, arguments);
      routeChanged();
      return result;
    };
    window.addEventListener('popstate', routeChanged);
    window.addEventListener('hashchange', routeChanged);
  }

  function routeChanged() {
    if (location.href === page.url) return;
    newPage(page.url);
  }

  function newPage(referrer) {
    endPage();
    flush();
    page = {id: null, token: null, url: location.href, referrer: referrer};
    ids = null;
    clearPageTimers();
    send(pageMessage());
  }

  // ---- business-event definitions ------------------------------------------------------

  var domListeners = {};

  function setUpDefinitions(list) {
    definitions = list;
    firedOnPage = {};
    clearPageTimers();
    definitions.forEach(function (definition) {
      var timer = /^timer:(\d+)$/.exec(definition.action);
      if (timer) {
        pageTimers.push(setTimeout(function () { fire(definition, null); }, Number(timer[1])));
      } else if (!domListeners[definition.action]) {
        domListeners[definition.action] = true;
        document.addEventListener(definition.action, onDomEvent, true);
      }
    });
  }

  function clearPageTimers() {
    pageTimers.forEach(clearTimeout);
    pageTimers = [];
  }

  function onDomEvent(event) {
    var target = event.target && event.target.closest ? event.target : null;
    if (!target) return;
    definitions.forEach(function (definition) {
      if (definition.action !== event.type || !definition.selector) return;
      var element;
      try { element = target.closest(definition.selector); } catch (error) { return; }
      if (element) fire(definition, element);
    });
  }

  function fire(definition, element) {
    if (definition.urlPattern) {
      try {
        if (!new RegExp(definition.urlPattern).test(location.href)) return;
      } catch (error) {
        return warn('bad urlPattern for', definition.name);
      }
    }
    var count = firedOnPage[definition.name] || 0;
    if (definition.maxPerPage && count >= definition.maxPerPage) return;
    firedOnPage[definition.name] = count + 1;
    var data = {};
    (definition.values || []).forEach(function (value) { data[value.name] = capture(value, element); });
    track(definition.name, element ? 'BUSINESS' : 'SYSTEM', data);
  }

  function capture(value, element) {
    if (value.source === 'url') return location.href;
    if (value.source === 'title') return document.title;
    var source = value.selector ? document.querySelector(value.selector) : element;
    if (!source) return null;
    if (value.source === 'value') return source.value === undefined ? null : source.value;
    if (value.source === 'attribute') return source.getAttribute(value.attribute);
    return (source.textContent || '').trim();
  }

  // ---- notifications ---------------------------------------------------------------------

  function onNotification(message) {
    lastSeq = Math.max(lastSeq || 0, message.seq);
    if (delivered[message.id]) return;
    delivered[message.id] = true;
    confirmReceived(message.id);
    var meta = {id: message.id, channel: message.channel, pageID: message.pageID, timestamp: message.timestamp};
    if (message.channel === 'gpe.appendContent') appendContent(message.data || {}, meta);
    if (message.channel === 'gpe.removeContent') removeContent((message.data || {}).notificationID);
    (subscribers[message.channel] || []).forEach(function (callback) { safely(callback, [message.data, meta]); });
  }

  // Loads GWE content (an invitation) into the page, in an iframe: the page's CSS and
  // scripts cannot reach it, nor it them; it talks to the tracker with postMessage.
  // One frame per engagement: a single-page app keeps its document across route changes,
  // so the chat that follows the visitor to the new page is already there.
  function appendContent(data, meta) {
    var engagement = data.engagement ? String(data.engagement) : '';
    if (engagement && frameOf(engagement)) return log('already shown', engagement);
    var url = new URL(data.url, endpoint() + '/').href;
    var container = (data.container && document.querySelector(data.container)) || document.body;
    var frame = document.createElement('iframe');
    frame.name = 'gwe-' + meta.id;
    frame.title = word('frame');
    frame.setAttribute('data-gwe-notification', meta.id);
    if (engagement) frame.setAttribute('data-gwe-engagement', engagement);
    frame.setAttribute('style', FRAME_STYLE);
    // No sandbox attribute: GWE's pages sandbox themselves (gwe/embedding.py).
    container.appendChild(frame);
    if ((data.method || 'GET').toUpperCase() === 'POST') {
      var form = document.createElement('form');
      form.method = 'POST';
      form.action = url;
      form.target = frame.name;
      form.style.display = 'none';
      container.appendChild(form);
      form.submit();
      container.removeChild(form);
    } else {
      frame.src = url;
    }
  }

  var VISITOR_CHAT = 'visitor-chat';
  var LAUNCHER_STYLE = 'position:fixed;right:20px;bottom:20px;z-index:2147483646;padding:10px 18px;' +
    'border:0;border-radius:22px;background:#1f4fd1;color:#fff;font:600 14px system-ui,sans-serif;' +
    'box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer;';

  function openChat() {
    var url = '/server/resources/chat/start.html?token=' + encodeURIComponent(page.token) +
      '&lang=' + encodeURIComponent(languageCode());
    appendContent({url: url, engagement: VISITOR_CHAT}, {id: VISITOR_CHAT});
  }

  // ['config', {chatButton: true}]: a small launcher that opens the chat (chatButton: 'text',
  // one with the site's own words).
  function showLauncher() {
    if (!settings.chatButton || document.getElementById('gwe-chat-launcher')) return;
    var button = document.createElement('button');
    button.type = 'button';
    button.id = 'gwe-chat-launcher';
    button.textContent = typeof settings.chatButton === 'string' ? settings.chatButton : word('chat');
    button.setAttribute('style', LAUNCHER_STYLE);
    button.addEventListener('click', function () { commands.chat(); });
    document.body.appendChild(button);
  }

  // A frame as tall as it asks (within bounds); on a phone, one that asks for most of the
  // screen (a chat) takes all of it.
  var FULL_SCREEN = 'top:0;left:0;right:0;bottom:0;width:100%;max-width:100%;height:100%;';
  function resize(frame, height) {
    if (window.innerWidth <= 480 && height > window.innerHeight * 0.6) {
      frame.setAttribute('style', FRAME_STYLE + FULL_SCREEN);
    } else {
      frame.style.height = Math.max(120, Math.min(height, 640)) + 'px';
    }
  }

  function frameOf(engagement) {
    var frames = document.querySelectorAll('iframe[data-gwe-engagement]');
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].getAttribute('data-gwe-engagement') === engagement) return frames[i];
    }
    return null;
  }

  // Takes back content GWE withdrew (an invitation cancelled by the engagement gateway).
  function removeContent(notificationID) {
    var frames = document.querySelectorAll('iframe[data-gwe-notification]');
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].getAttribute('data-gwe-notification') === notificationID) frames[i].parentNode.removeChild(frames[i]);
    }
  }

  window.addEventListener('message', function (event) {
    if (!event.data || event.data.gwe !== 'action') return;
    var frames = document.querySelectorAll('iframe[data-gwe-notification]');
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow !== event.source) continue;
      var action = event.data.action;
      var notificationID = frames[i].getAttribute('data-gwe-notification');
      if (action === 'close' || action === 'reject' || action === 'timeout') frames[i].parentNode.removeChild(frames[i]);
      if (action === 'resize') resize(frames[i], Number(event.data.height) || 240);
      (subscribers['gpe.invitation'] || []).forEach(function (callback) {
        safely(callback, [{action: action, notificationID: notificationID}, {channel: 'gpe.invitation'}]);
      });
    }
  });

  // ---- the queue: replay what the page pushed before we loaded --------------------------

  // All of it first, then start: a later 'config' (consentRequired) must apply from the outset.
  var queued = Array.isArray(window._gt) ? window._gt.slice() : [];
  window._gt = {gwe: true, push: function () { for (var i = 0; i < arguments.length; i++) run(arguments[i]); }};
  replaying = true;
  queued.forEach(run);
  replaying = false;
  start();
})(window, document);
