// The agent console: one WebSocket (/server/ws/agent) for availability, the chat list and
// every chat's messages and typing; one JSON read per chat for what the visitor did.
//
// Each chat's messages carry their number in the chat. The console keeps the last one it
// has, and asks for what came after it when it (re)connects: nothing twice, nothing lost.
// Everything a visitor wrote, or that came from their browsing, is set with textContent.
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('gwe-console').textContent);
  var PING_MS = 15000;
  var TYPING_SHOWN_MS = 4000;
  var TYPING_SENT_EVERY_MS = 2000;
  var CONTEXT_REFRESH_MS = 20000;
  var ALERT_WITHIN_MS = 60000;

  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    availability: $('availability'), connection: $('connection'), list: $('chat-list'),
    noChats: $('no-chats'), title: $('conversation-title'), answer: $('answer'),
    end: $('end-chat'), dismiss: $('dismiss'), transcript: $('transcript'), typing: $('typing'),
    error: $('error'), composer: $('composer'), input: $('message-input'), send: $('send'),
    context: $('context'), transfer: $('transfer'), transferPanel: $('transfer-panel'),
    transferTo: $('transfer-to'), transferNote: $('transfer-note'),
    transferCancel: $('transfer-cancel'), canned: $('canned-list'), replies: $('replies-list'),
    replyForm: $('reply-form'), replyShortcut: $('reply-shortcut'), replyText: $('reply-text'),
    alerts: $('alerts'), leftList: $('messages-list'), leftCount: $('messages-count'),
    noLeft: $('no-messages')
  };

  var chats = {};      // chat ID → {summary, messages, lastSeq, state, unread, typingUntil, followedOn}
  var order = [];      // chat IDs, oldest first
  var selected = null;
  var available = false;
  var socket = null;
  var generation = 0;  // which connection a chat was followed on
  var retries = 0;
  var stopped = false;
  var typingSent = 0;
  var pinger = null;
  var replies = [];    // canned replies: {shortcut, text, own}
  var suggested = [];  // those the composer's "/…" matches, and which one is picked
  var picked = 0;
  var listedOnce = false;
  var leftSeen = null; // IDs of the messages left already listed (null: none listed yet)

  // ---- the socket ---------------------------------------------------------------------

  function connect() {
    var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(scheme + '//' + location.host + config.socket);
    generation += 1;
    socket.onopen = function () {
      retries = 0;
      ui.connection.textContent = 'Connected';
      clearInterval(pinger);
      pinger = setInterval(function () { send({type: 'ping'}); }, PING_MS);
    };
    socket.onmessage = function (event) { receive(JSON.parse(event.data)); };
    socket.onclose = function (event) {
      socket = null;
      clearInterval(pinger);
      ui.availability.disabled = true;
      if (event.code === 4403) {
        stopped = true;
        ui.connection.textContent = 'Not allowed: log in again as an agent.';
      }
      if (stopped) return;
      ui.connection.textContent = 'Reconnecting…';
      setTimeout(connect, Math.min(10000, 500 * Math.pow(2, retries++)));
    };
  }

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function receive(frame) {
    switch (frame.type) {
      case 'hello':
      case 'status':
        available = frame.available;
        renderAvailability();
        break;
      case 'chats':
        listed(frame.chats);
        break;
      case 'message':
        message(frame);
        break;
      case 'typing':
        if (frame.sender === 'visitor' && chats[frame.chat]) {
          chats[frame.chat].typingUntil = Date.now() + TYPING_SHOWN_MS;
          renderTyping();
          setTimeout(renderTyping, TYPING_SHOWN_MS + 50);
        }
        break;
      case 'messages-left':
        renderLeft(frame.messages);
        break;
      case 'canned':
        replies = frame.responses;
        renderReplies();
        break;
      case 'agents':
        offerTransfer(frame);
        break;
      case 'transferred':
        ui.transferPanel.hidden = true;
        forget(frame.chat);
        break;
      case 'error':
        ui.error.textContent = frame.message;
        break;
    }
  }

  // The agent's open chats, as the server lists them (on connect, and when they change).
  function listed(summaries) {
    summaries.forEach(function (summary) {
      var chat = chats[summary.id];
      if (!chat) {
        chat = chats[summary.id] = {messages: [], lastSeq: 0, unread: 0, typingUntil: 0, followedOn: 0};
        order.push(summary.id);
        if (listedOnce) tellAgent('New chat: ' + summary.visitor, summary.page.title || summary.page.url);
      }
      var wasOnSite = chat.summary && chat.summary.visitorOnSite;
      chat.summary = summary;
      chat.state = chat.state || summary.state;
      if (summary.id === selected && wasOnSite !== undefined && wasOnSite !== summary.visitorOnSite) {
        loadContext(selected);  // the visitor left the site, or came back
      }
      if (chat.followedOn !== generation) {
        send({type: 'follow', chat: summary.id, after: chat.lastSeq});
        chat.followedOn = generation;
      }
    });
    var listedIds = summaries.map(function (summary) { return summary.id; });
    order.slice().forEach(function (id) {
      var chat = chats[id];
      if (chat.state === 'ended' || listedIds.indexOf(id) !== -1) return;
      if (chat.followedOn !== generation) {
        // Not listed after a reconnect: it ended meanwhile, and following it brings the end.
        send({type: 'follow', chat: id, after: chat.lastSeq});
        chat.followedOn = generation;
      } else {
        // Not listed while connected, yet not ended: it was passed on to another agent.
        forget(id);
      }
    });
    listedOnce = true;
    if (!selected && order.length) select(order[0]);
    renderList();
    document.title = waiting() ? '(' + waiting() + ') Agent console · GWE' : 'Agent console · GWE';
  }

  function message(frame) {
    var chat = chats[frame.chat];
    if (!chat || frame.seq <= chat.lastSeq) return;
    chat.lastSeq = frame.seq;
    chat.messages.push(frame);
    if (frame.state) chat.state = frame.state;
    if (frame.sender === 'visitor') chat.typingUntil = 0;
    if (frame.chat === selected) {
      appendMessage(frame);
      renderConversation();
      markRead();
    } else if (frame.sender === 'visitor') {
      chat.unread += 1;
    }
    var fresh = Date.now() - Date.parse(frame.sentAt) < ALERT_WITHIN_MS;  // not a replay of old ones
    if (frame.sender === 'visitor' && fresh && (frame.chat !== selected || !inFront())) {
      tellAgent(chat.summary.visitor + ' wrote', frame.text);
    }
    renderList();
  }

  // ---- messages visitors left --------------------------------------------------------

  // Every console lists those not answered yet, again whenever one is left, taken or answered.
  function renderLeft(messages) {
    var seen = {};
    ui.leftList.textContent = '';
    messages.forEach(function (left) {
      seen[left.id] = true;
      if (leftSeen && !leftSeen[left.id]) tellAgent('Message from ' + left.name, left.text);
      var item = el('li');
      item.setAttribute('data-message', left.id);
      var head = el('div', 'head');
      head.appendChild(el('span', 'name', left.name));
      var contact = [left.email, left.phone].filter(Boolean).join(' · ');
      head.appendChild(el('span', '', contact + (left.callBack ? ' · please call back' : '')));
      head.appendChild(el('span', 'sub', new Date(left.leftAt).toLocaleString()));
      head.appendChild(el('span', 'sub', left.takenBy ? (left.mine ? 'Taken by you' : 'Taken by ' + left.takenBy) : 'Not taken'));
      item.appendChild(head);
      item.appendChild(el('p', 'text', left.text));
      if (left.page.url || left.page.title) item.appendChild(el('span', 'sub', 'On ' + (left.page.title || left.page.url)));
      var actions = el('div', 'actions');
      if (!left.takenBy) actions.appendChild(leftAction('Take', 'take', left.id, true));
      if (!left.takenBy || left.mine) actions.appendChild(leftAction('Answered', 'answered', left.id));
      item.appendChild(actions);
      ui.leftList.appendChild(item);
    });
    leftSeen = seen;
    ui.noLeft.hidden = messages.length > 0;
    var untaken = messages.filter(function (left) { return !left.takenBy; }).length;
    ui.leftCount.textContent = untaken ? '(' + untaken + ')' : '';
  }

  function leftAction(label, type, id, primary) {
    var button = el('button', primary ? 'action primary' : 'action', label);
    button.type = 'button';
    button.addEventListener('click', function () {
      button.disabled = true;
      send({type: type, ids: [id]});
    });
    return button;
  }

  // ---- read marks and alerts ----------------------------------------------------------

  function inFront() { return !document.hidden && document.hasFocus(); }

  // The visitor sees "Read" once the agent has the chat in front of them.
  function markRead() {
    var chat = selected && chats[selected];
    if (!chat || !chat.lastSeq || !inFront() || chat.readSent >= chat.lastSeq) return;
    if (send({type: 'read', chat: selected, seq: chat.lastSeq})) chat.readSent = chat.lastSeq;
  }
  window.addEventListener('focus', markRead);
  document.addEventListener('visibilitychange', markRead);

  // A new chat or message while the console is not in front: a sound, and a desktop
  // notification when the agent allowed them.
  function tellAgent(title, body) {
    if (inFront()) return;
    beep();
    if (window.Notification && Notification.permission === 'granted') {
      try { new Notification(title, {body: body || '', tag: 'gwe-console'}); } catch (error) { /* ignored */ }
    }
  }

  var audio = null;
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.3);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.3);
    } catch (error) { /* no sound on this browser */ }
  }

  function renderAlerts() {
    var on = window.Notification && Notification.permission === 'granted';
    ui.alerts.textContent = 'Desktop alerts: ' + (on ? 'on' : 'off');
    ui.alerts.disabled = !window.Notification || Notification.permission === 'denied';
  }
  ui.alerts.addEventListener('click', function () {
    if (!window.Notification) return;
    Notification.requestPermission().then(renderAlerts);
  });
  renderAlerts();

  // ---- canned replies -----------------------------------------------------------------

  function renderReplies() {
    ui.replies.textContent = '';
    replies.forEach(function (reply) {
      var item = el('li');
      item.appendChild(el('strong', null, '/' + reply.shortcut));
      item.appendChild(document.createTextNode(' ' + reply.text + (reply.own ? '' : ' (shared)')));
      if (reply.own) {
        var remove = el('button', 'action', 'Delete');
        remove.type = 'button';
        remove.addEventListener('click', function () { send({type: 'canned-delete', shortcut: reply.shortcut}); });
        item.appendChild(remove);
      }
      ui.replies.appendChild(item);
    });
    if (!replies.length) ui.replies.appendChild(el('li', 'muted', 'None yet.'));
  }

  function suggest() {
    var typed = ui.input.value;
    var match = /^\/([a-z0-9_-]*)$/.exec(typed);
    suggested = match ? replies.filter(function (reply) { return reply.shortcut.indexOf(match[1]) === 0; }) : [];
    picked = Math.min(picked, Math.max(0, suggested.length - 1));
    ui.canned.textContent = '';
    ui.canned.hidden = !suggested.length;
    suggested.forEach(function (reply, index) {
      var item = el('li');
      item.setAttribute('role', 'option');
      item.setAttribute('aria-selected', String(index === picked));
      item.appendChild(el('span', 'shortcut', '/' + reply.shortcut));
      item.appendChild(document.createTextNode(reply.text));
      item.addEventListener('mousedown', function (event) { event.preventDefault(); insert(reply); });
      ui.canned.appendChild(item);
    });
  }

  function insert(reply) {
    ui.input.value = reply.text;
    suggested = [];
    ui.canned.hidden = true;
    ui.input.focus();
  }

  ui.replyForm.addEventListener('submit', function (event) {
    event.preventDefault();
    if (send({type: 'canned-save', shortcut: ui.replyShortcut.value.trim(), text: ui.replyText.value})) {
      ui.replyShortcut.value = ui.replyText.value = '';
    }
  });

  // ---- passing a chat on --------------------------------------------------------------

  function offerTransfer(frame) {
    if (frame.chat !== selected) return;
    ui.transferTo.textContent = '';
    frame.agents.forEach(function (agent) {
      var option = el('option', null, agent.name);
      option.value = agent.id;
      ui.transferTo.appendChild(option);
    });
    if (!frame.agents.length) {
      ui.error.textContent = 'No other agent is free to take it now.';
      return;
    }
    ui.transferPanel.hidden = false;
    ui.transferNote.focus();
  }
  ui.transfer.addEventListener('click', function () { send({type: 'agents', chat: selected}); });
  ui.transferCancel.addEventListener('click', function () { ui.transferPanel.hidden = true; });
  ui.transferPanel.addEventListener('submit', function (event) {
    event.preventDefault();
    send({type: 'transfer', chat: selected, to: Number(ui.transferTo.value), note: ui.transferNote.value});
    ui.transferNote.value = '';
  });

  function waiting() {
    return order.filter(function (id) { return chats[id].state === 'waiting'; }).length;
  }

  // ---- rendering ----------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function renderAvailability() {
    ui.availability.disabled = false;
    ui.availability.textContent = available ? 'Available' : 'Away';
    ui.availability.setAttribute('aria-pressed', available ? 'true' : 'false');
    ui.availability.title = available ? 'You are offered chats. Click to go away.' : 'Click to take chats.';
  }

  function renderList() {
    ui.list.textContent = '';
    ui.noChats.hidden = order.length > 0;
    order.forEach(function (id) {
      var chat = chats[id];
      var item = el('li');
      item.setAttribute('data-chat', id);
      item.setAttribute('aria-current', id === selected ? 'true' : 'false');
      var name = el('span', 'name', chat.summary.visitor);
      name.appendChild(el('span', 'badge ' + chat.state, chat.state === 'waiting' ? 'new' : chat.state));
      if (chat.unread) name.appendChild(el('span', 'badge unread', chat.unread));
      if (chat.summary.visitorOnSite === false) name.appendChild(el('span', 'badge left', 'left'));
      item.appendChild(name);
      item.appendChild(el('span', 'meta', chat.summary.page.title || chat.summary.page.url));
      item.addEventListener('click', function () { select(id); });
      ui.list.appendChild(item);
    });
  }

  // The chat leaves the console (dismissed once ended, or passed on to another agent).
  function forget(id) {
    delete chats[id];
    order = order.filter(function (other) { return other !== id; });
    if (selected === id) {
      selected = null;
      ui.transcript.textContent = '';
      ui.context.textContent = '';
      if (order.length) select(order[0]);
      else renderConversation();
    }
    renderList();
  }

  function select(id) {
    selected = id;
    chats[id].unread = 0;
    ui.error.textContent = '';
    ui.transcript.textContent = '';
    chats[id].messages.forEach(appendMessage);
    ui.transferPanel.hidden = true;
    renderConversation();
    renderList();
    loadContext(id);
    markRead();
  }

  function appendMessage(frame) {
    var item = el('li', frame.sender);
    if (frame.sender !== 'system') {
      var who = frame.sender === 'agent' ? (frame.name || 'You') : chats[frame.chat].summary.visitor;
      item.appendChild(el('span', 'who', who + ' · ' + clock(frame.sentAt)));
    }
    item.appendChild(document.createTextNode(frame.text));
    ui.transcript.appendChild(item);
    ui.transcript.scrollTop = ui.transcript.scrollHeight;
  }

  function renderConversation() {
    var chat = selected && chats[selected];
    var open = !!chat && chat.state !== 'ended';
    ui.title.textContent = chat ? chat.summary.visitor + ' · ' + chat.state : 'No chat selected';
    ui.answer.hidden = !chat || chat.state !== 'waiting';
    ui.end.hidden = !open;
    ui.transfer.hidden = !open;
    ui.dismiss.hidden = !chat || open;
    ui.input.disabled = ui.send.disabled = !open;
    renderTyping();
  }

  function renderTyping() {
    var chat = selected && chats[selected];
    ui.typing.textContent = chat && chat.typingUntil > Date.now() ? 'Visitor is typing…' : '';
  }

  // ---- what the visitor did -----------------------------------------------------------

  function loadContext(id) {
    fetch(config.contextUrl.replace('CHAT', encodeURIComponent(id)), {credentials: 'same-origin'})
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (context) { if (id === selected) renderContext(context); })
      .catch(function (error) {
        if (id !== selected) return;
        ui.context.textContent = '';
        ui.context.appendChild(el('p', 'empty', 'Could not load the visitor\'s history (' + error.message + ').'));
      });
  }

  function renderContext(context) {
    var box = ui.context;
    box.textContent = '';

    box.appendChild(el('h2', null, 'Visitor'));
    var about = {Name: context.chat.visitor};
    Object.keys(context.identity || {}).forEach(function (key) { about[key] = context.identity[key]; });
    Object.keys(context.fields || {}).forEach(function (key) { if (context.fields[key]) about[key] = context.fields[key]; });
    if (context.visit) {
      about['Visit started'] = clock(context.visit.startTime);
      about.Language = context.visit.languageCode || '—';
      about.Browser = context.visit.userAgent || '—';
      about['On the site now'] = context.visit.onSite ? 'yes' : 'no: no page of the visit is open';
    }
    box.appendChild(definitions(about));

    var pages = section(box, 'Pages of this visit', 'context-pages');
    if (!context.pages.length) pages.appendChild(el('p', 'muted', 'None recorded.'));
    var pageList = el('ol');
    context.pages.forEach(function (page) {
      var item = el('li');
      item.appendChild(el('div', null, page.title || page.url));
      item.appendChild(el('div', 'muted', page.url));
      item.appendChild(el('div', 'muted', clock(page.startTime) + ' · ' + duration(page.seconds) +
        (page.current ? ' so far (current page)' : '')));
      pageList.appendChild(item);
    });
    pages.appendChild(pageList);

    var events = section(box, 'Business events', 'context-events');
    if (!context.businessEvents.length) events.appendChild(el('p', 'muted', 'None.'));
    var eventList = el('ul');
    context.businessEvents.forEach(function (event) {
      var item = el('li', null, event.eventName + ' · ' + clock(event.timestamp));
      if (event.data && Object.keys(event.data).length) item.appendChild(el('div', 'muted', JSON.stringify(event.data)));
      eventList.appendChild(item);
    });
    events.appendChild(eventList);

    var invitation = section(box, 'Invitation', 'context-invitation');
    if (context.invitation) {
      invitation.appendChild(definitions({
        Template: context.invitation.templateName
          ? context.invitation.template + ' (' + context.invitation.templateName + ')'
          : context.invitation.template,
        Rule: context.invitation.rule || 'none: engaged through the API',
        State: context.invitation.state || '—'
      }));
      var steps = el('ol');
      context.invitation.events.forEach(function (event) {
        steps.appendChild(el('li', null, event.eventName + ' · ' + clock(event.timestamp)));
      });
      invitation.appendChild(steps);
    } else {
      invitation.appendChild(el('p', 'muted', 'Not started by an invitation.'));
    }

    var earlier = section(box, 'Earlier visits', 'context-earlier');
    if (!context.earlierVisits.length) earlier.appendChild(el('p', 'muted', 'None known.'));
    var visits = el('ul');
    context.earlierVisits.forEach(function (visit) {
      var item = el('li', null, day(visit.startTime) + ' · ' + visit.pages.length + ' page(s)');
      var titles = visit.pages.slice(0, 5).map(function (page) { return page.title || page.url; });
      if (titles.length) item.appendChild(el('div', 'muted', titles.join(' › ')));
      visits.appendChild(item);
    });
    earlier.appendChild(visits);

    if (context.transferNote) {
      var note = section(box, 'Passed on to you', 'context-transfer');
      note.appendChild(el('p', null, context.transferNote));
    }

    var attached = section(box, 'Attached data', 'context-attached');
    attached.appendChild(definitions(context.attachedData || {}));
  }

  function section(box, title, id) {
    var part = el('div');
    part.id = id;
    part.appendChild(el('h3', null, title));
    box.appendChild(part);
    return part;
  }

  function definitions(values) {
    var list = el('dl');
    Object.keys(values).forEach(function (key) {
      list.appendChild(el('dt', null, key));
      list.appendChild(el('dd', null, typeof values[key] === 'string' ? values[key] : JSON.stringify(values[key])));
    });
    return list;
  }

  function clock(iso) {
    return iso ? new Date(iso).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'}) : '';
  }

  function day(iso) {
    return new Date(iso).toLocaleString([], {dateStyle: 'medium', timeStyle: 'short'});
  }

  function duration(seconds) {
    if (seconds < 60) return seconds + ' s';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min ' + (seconds % 60) + ' s';
    return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
  }

  // ---- what the agent does ------------------------------------------------------------

  ui.availability.addEventListener('click', function () {
    send({type: 'available', available: !available});
  });
  ui.answer.addEventListener('click', function () { send({type: 'answer', chat: selected}); });
  ui.end.addEventListener('click', function () { send({type: 'end', chat: selected}); });
  ui.dismiss.addEventListener('click', function () { forget(selected); });
  ui.composer.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = ui.input.value.trim();
    if (!text || !selected) return;
    if (send({type: 'message', chat: selected, text: text})) {
      ui.input.value = '';
      ui.error.textContent = '';
    } else {
      ui.error.textContent = 'Not connected: please send it again in a moment.';
    }
  });
  ui.input.addEventListener('keydown', function (event) {
    if (suggested.length && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
      event.preventDefault();
      picked = (picked + (event.key === 'ArrowDown' ? 1 : suggested.length - 1)) % suggested.length;
      return suggest();
    }
    if (suggested.length && (event.key === 'Enter' || event.key === 'Tab')) {
      event.preventDefault();
      return insert(suggested[picked]);
    }
    if (event.key === 'Escape' && suggested.length) {
      suggested = [];
      ui.canned.hidden = true;
      return;
    }
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  });
  ui.input.addEventListener('input', function () {
    picked = 0;
    suggest();
    if (selected && Date.now() - typingSent > TYPING_SENT_EVERY_MS && send({type: 'typing', chat: selected})) {
      typingSent = Date.now();
    }
  });
  ui.input.maxLength = config.maxText;
  setInterval(function () { if (selected) loadContext(selected); }, CONTEXT_REFRESH_MS);

  connect();
})();
