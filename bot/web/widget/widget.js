/*
 * Chat widget of the orientation assistant (Rasa socket.io channel).
 *
 * Embed it in any page with a config object and one script tag:
 *   <script>window.CmqChatConfig = { rasaUrl: "https://assistant.example.fr:5005", schoolName: "Lycée X" };</script>
 *   <script src="https://assistant.example.fr/widget/widget.js" defer></script>
 *
 * Message content is only ever inserted with textContent (never as HTML); links are built
 * as <a> elements whose address must be http(s) or mailto.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var BASE_URL = new URL(".", script ? script.src : window.location.href).href;

  var DEFAULT_STRINGS = {
    title: "Assistant orientation",
    launcherOpen: "Ouvrir l'assistant orientation",
    launcherClose: "Fermer l'assistant orientation",
    close: "Fermer l'assistant",
    restart: "Recommencer",
    privacy: "Ne donnez pas d'informations personnelles (nom, adresse, téléphone).",
    inputLabel: "Votre message",
    placeholder: "Posez votre question…",
    send: "Envoyer",
    you: "Vous :",
    bot: "Assistant :",
    history: "Conversation",
    typing: "L'assistant écrit…",
    suggestions: "Réponses proposées",
    feedbackQuestion: "Cette réponse vous a-t-elle aidé ?",
    feedbackUp: "Réponse utile",
    feedbackDown: "Réponse pas utile",
    feedbackSent: "Merci, votre avis est enregistré.",
    connecting: "Connexion à l'assistant…",
    reconnecting: "Connexion perdue. Nouvelle tentative en cours…",
    unavailable: "L'assistant ne répond pas pour le moment. Vos messages partiront dès le retour de la connexion.",
    campus: "Campus",
    excellence: "Campus d'excellence",
    why: "Pourquoi ce campus :",
    distance: function (km) { return km < 1 ? "à moins de 1 km" : "à " + Math.round(km) + " km"; },
    website: "Site du campus",
    source: "Source",
    newWindow: " (nouvelle fenêtre)",
    counsellorTitle: "Vue conseiller",
    counsellorTokenLabel: "Code d'accès conseiller",
    counsellorActivate: "Activer",
    counsellorLeave: "Quitter la vue conseiller",
    counsellorActive: "Vue conseiller active : ce que l'assistant a compris s'affiche sous ses réponses.",
    counsellorRefused: "Code d'accès refusé. Vérifiez-le auprès de l'administrateur de l'assistant.",
    understood: "Ce que l'assistant a compris",
    understoodMessage: "Message (masqué)",
    understoodIntent: "Intention",
    understoodEntities: "Entités",
    understoodFaq: "Réponse FAQ",
    none: "aucune"
  };

  var DEFAULTS = {
    rasaUrl: null,              // Rasa server; by default the page's host on port 5005
    socketPath: "/socket.io/",
    schoolName: "",
    lang: "fr",
    colors: { primary: "#1f4e8c", onPrimary: "#ffffff" },
    initialPayload: "/greet",   // sent, unseen, when a new conversation opens
    storageKey: "cmq-chat",
    maxTranscript: 200,
    typingTimeoutMs: 20000,
    strings: {}
  };

  // The counsellor's access token: typed on the page opened with #counsellor, kept for this tab only.
  var COUNSELLOR_TOKEN_KEY = "cmq-counsellor-token";
  var FEEDBACK_PAYLOAD = { up: '/feedback{"feedback_value":"up"}', down: '/feedback{"feedback_value":"down"}' };
  var LINK_PATTERN = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"]+)|([\w.+-]+@[\w-]+(?:\.[\w-]+)+)/g;
  var TRAILING_PUNCTUATION = /[.,;:!?)»\]'"]+$/;

  // --- configuration and stored state ---------------------------------------------------------

  function readConfig() {
    var given = window.CmqChatConfig || {};
    var config = Object.assign({}, DEFAULTS, given);
    config.colors = Object.assign({}, DEFAULTS.colors, given.colors || {});
    config.strings = Object.assign({}, DEFAULT_STRINGS, given.strings || {});
    if (!config.rasaUrl) {
      config.rasaUrl = window.location.protocol + "//" + window.location.hostname + ":5005";
    }
    return config;
  }

  function newSessionId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // The transcript lives in sessionStorage: a reload in the same tab shows the conversation again
  // and keeps the same Rasa session; a new tab starts a new conversation.
  function Store(key, limit) {
    this.key = key;
    this.limit = limit;
    this.state = this.load();
  }
  Store.prototype.load = function () {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(this.key) || "null");
      if (saved && typeof saved.sessionId === "string" && Array.isArray(saved.entries)) {
        saved.feedback = saved.feedback || {};
        return saved;
      }
    } catch (error) { /* unreadable or blocked storage: start afresh */ }
    return { sessionId: newSessionId(), open: false, entries: [], feedback: {}, nextTurn: 1 };
  };
  Store.prototype.save = function () {
    this.state.entries = this.state.entries.slice(-this.limit);
    try {
      window.sessionStorage.setItem(this.key, JSON.stringify(this.state));
    } catch (error) { /* storage full or blocked: the conversation still works, without history */ }
  };
  Store.prototype.reset = function () {
    this.state = { sessionId: newSessionId(), open: this.state.open, entries: [], feedback: {}, nextTurn: 1 };
    this.save();
  };

  // --- incoming messages -------------------------------------------------------------------------

  function cleanButtons(list) {
    if (!Array.isArray(list)) return [];
    return list.filter(function (b) {
      return b && (typeof b.title === "string" || typeof b.title === "number") && typeof b.payload === "string";
    }).map(function (b) { return { title: String(b.title), payload: b.payload }; });
  }

  function optionalString(value) {
    return typeof value === "string" && value ? value : null;
  }

  function cleanCard(data) {
    return {
      name: String(data.name || ""),
      sector: optionalString(data.sector),
      town: optionalString(data.town),
      region: optionalString(data.region),
      excellence: data.excellence === true,
      toConfirm: optionalString(data.to_confirm),
      distanceKm: typeof data.distance_km === "number" ? data.distance_km : null,
      reasons: Array.isArray(data.reasons) ? data.reasons.filter(function (r) { return typeof r === "string"; }) : [],
      website: optionalString(data.website),
      sourceUrl: optionalString(data.source_url),
      text: optionalString(data.text),
      buttons: cleanButtons(data.buttons)
    };
  }

  function cleanUnderstanding(data) {
    if (!data || typeof data !== "object" || typeof data.intent !== "string") return null;
    var entities = Array.isArray(data.entities) ? data.entities : [];
    return {
      text: optionalString(data.text) || "",
      intent: data.intent,
      confidence: Number(data.confidence) || 0,
      entities: entities.filter(function (e) { return e && typeof e.entity === "string"; })
        .map(function (e) { return { entity: e.entity, value: String(e.value) }; }),
      faq: data.faq && typeof data.faq.key === "string"
        ? { key: data.faq.key, confidence: Number(data.faq.confidence) || 0 } : null
    };
  }

  // Keeps the fields the widget knows; anything else a message carries is ignored.
  function normaliseBotMessage(data) {
    if (!data || typeof data !== "object") return null;
    var understanding = cleanUnderstanding(data.understanding);
    var message = normaliseMessageContent(data);
    if (message && understanding) message.understanding = understanding;
    return message;
  }

  function normaliseMessageContent(data) {
    // A custom payload an action wrapped as {"data": ...} for Rasa's socket.io output.
    if (data.data && typeof data.data === "object" && data.data.type) data = data.data;
    if (data.type === "campus_card") return { card: cleanCard(data) };
    var message = {};
    if (typeof data.text === "string" && data.text.trim()) message.text = data.text;
    var buttons = cleanButtons(data.quick_replies || data.buttons);
    if (buttons.length) message.buttons = buttons;
    var attachment = data.attachment;
    if (!message.text && attachment && attachment.payload && typeof attachment.payload.src === "string") {
      message.text = attachment.payload.src;
    }
    return message.text || message.buttons ? message : null;
  }

  // --- DOM building (text only, never HTML) -----------------------------------------------------

  function sessionValue(key) {
    try { return window.sessionStorage.getItem(key); } catch (error) { return null; }
  }

  function setSessionValue(key, value) {
    try {
      if (value) window.sessionStorage.setItem(key, value); else window.sessionStorage.removeItem(key);
    } catch (error) { /* storage disabled: the token lasts until the page is left */ }
  }

  function counsellorRequested() {
    return window.location.hash === "#counsellor" || /[?&]counsellor\b/.test(window.location.search);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function srOnly(text) {
    return el("span", "cmq-sr-only", text);
  }

  function safeHref(address) {
    try {
      var url = new URL(address);
      return url.protocol === "https:" || url.protocol === "http:" || url.protocol === "mailto:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function link(href, label, newWindowText) {
    var anchor = el("a", "cmq-link", label);
    anchor.href = href;
    if (!href.startsWith("mailto:")) {
      anchor.target = "_blank";
      anchor.rel = "noopener noreferrer";
      if (newWindowText) anchor.appendChild(srOnly(newWindowText));
    }
    return anchor;
  }

  // Appends text to parent, turning URLs, [label](url) and e-mail addresses into links.
  function appendRichText(parent, text, newWindowText) {
    var last = 0;
    text.replace(LINK_PATTERN, function (match, label, labelledUrl, bareUrl, email, offset) {
      var shown = match;
      var address = labelledUrl || bareUrl;
      var trailing = "";
      if (bareUrl) {
        trailing = (bareUrl.match(TRAILING_PUNCTUATION) || [""])[0];
        shown = bareUrl.slice(0, bareUrl.length - trailing.length);
        address = shown;
      } else if (email) {
        address = "mailto:" + email;
      } else {
        shown = label;
      }
      var href = safeHref(address);
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      parent.appendChild(href ? link(href, shown, newWindowText) : document.createTextNode(match.slice(0, match.length - trailing.length)));
      if (trailing) parent.appendChild(document.createTextNode(trailing));
      last = offset + match.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // --- the widget ---------------------------------------------------------------------------------

  function Widget(config, io) {
    this.config = config;
    this.strings = config.strings;
    this.io = io;
    this.store = new Store(config.storageKey + ":" + config.rasaUrl, config.maxTranscript);
    this.socket = null;
    this.sessionReady = false;
    this.outbox = [];
    this.turn = null;
    this.typingTimer = null;
    this.uid = 0;
    this.counsellorToken = sessionValue(COUNSELLOR_TOKEN_KEY);
    this.build();
    this.renderTranscript();
    if (this.store.state.open) this.open({ focus: false });
  }

  Widget.prototype.nextId = function (prefix) {
    this.uid += 1;
    return "cmq-" + prefix + "-" + this.uid;
  };

  Widget.prototype.build = function () {
    var s = this.strings;
    var root = el("aside", "cmq-root");
    root.setAttribute("aria-label", s.title);
    root.lang = this.config.lang;
    root.style.setProperty("--cmq-primary", this.config.colors.primary);
    root.style.setProperty("--cmq-on-primary", this.config.colors.onPrimary);

    var panelId = this.nextId("panel");
    var titleId = this.nextId("title");
    var launcher = el("button", "cmq-launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", panelId);
    launcher.appendChild(chatIcon());
    launcher.appendChild(el("span", "cmq-launcher-label", s.title));
    launcher.setAttribute("aria-label", s.launcherOpen);

    var panel = el("div", "cmq-panel");
    panel.id = panelId;
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-labelledby", titleId);

    var header = el("div", "cmq-header");
    var heading = el("div", "cmq-heading");
    var title = el("h2", "cmq-title", s.title);
    title.id = titleId;
    heading.appendChild(title);
    if (this.config.schoolName) heading.appendChild(el("p", "cmq-school", this.config.schoolName));
    var restart = el("button", "cmq-header-button", s.restart);
    restart.type = "button";
    var close = el("button", "cmq-header-button cmq-close");
    close.type = "button";
    close.appendChild(el("span", null, "×")).setAttribute("aria-hidden", "true");
    close.appendChild(srOnly(s.close));
    header.appendChild(heading);
    header.appendChild(restart);
    header.appendChild(close);

    var privacy = el("p", "cmq-privacy", s.privacy);
    var status = el("p", "cmq-status");
    status.setAttribute("role", "status");
    status.hidden = true;

    var log = el("section", "cmq-log");
    log.setAttribute("aria-label", s.history);
    log.tabIndex = 0;
    var list = el("ol", "cmq-messages");
    log.appendChild(list);
    var typing = el("p", "cmq-typing");
    typing.hidden = true;
    typing.appendChild(el("span", "cmq-dots")).setAttribute("aria-hidden", "true");
    typing.appendChild(srOnly(s.typing));
    log.appendChild(typing);

    var form = el("form", "cmq-form");
    var inputId = this.nextId("input");
    var label = el("label", "cmq-sr-only", s.inputLabel);
    label.htmlFor = inputId;
    var input = el("input", "cmq-input");
    input.id = inputId;
    input.type = "text";
    input.autocomplete = "off";
    input.placeholder = s.placeholder;
    input.setAttribute("enterkeyhint", "send");
    var send = el("button", "cmq-send", s.send);
    send.type = "submit";
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(send);

    panel.appendChild(header);
    panel.appendChild(privacy);
    var counsellor = this.counsellorToken || counsellorRequested() ? this.buildCounsellorForm() : null;
    if (counsellor) panel.appendChild(counsellor.form);
    panel.appendChild(status);
    panel.appendChild(log);
    panel.appendChild(form);

    // Announces bot messages to screen readers; kept outside the panel so it always exists.
    var live = el("div", "cmq-sr-only");
    live.setAttribute("aria-live", "polite");
    live.setAttribute("aria-atomic", "false");

    root.appendChild(panel);
    root.appendChild(launcher);
    root.appendChild(live);
    document.body.appendChild(root);

    this.dom = { counsellorState: counsellor && counsellor.state, counsellorLeave: counsellor && counsellor.leave,
                 root: root, launcher: launcher, panel: panel, log: log, list: list, typing: typing,
                 form: form, input: input, status: status, live: live };

    var widget = this;
    launcher.addEventListener("click", function () { widget.isOpen() ? widget.close() : widget.open({ focus: true }); });
    close.addEventListener("click", function () { widget.close(); });
    restart.addEventListener("click", function () { widget.restart(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      widget.send(text, { shown: text });
    });
    root.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && widget.isOpen()) {
        event.stopPropagation();
        widget.close();
      }
    });
  };

  // The token field of the counsellor view: only on a page opened with #counsellor (or ?counsellor).
  Widget.prototype.buildCounsellorForm = function () {
    var s = this.strings;
    var widget = this;
    var form = el("form", "cmq-counsellor");
    form.setAttribute("aria-label", s.counsellorTitle);
    var tokenId = this.nextId("counsellor-token");
    var label = el("label", null, s.counsellorTokenLabel);
    label.htmlFor = tokenId;
    var token = el("input", "cmq-counsellor-token");
    token.id = tokenId;
    token.type = "password";
    token.autocomplete = "off";
    var activate = el("button", "cmq-header-button", s.counsellorActivate);
    activate.type = "submit";
    var leave = el("button", "cmq-header-button", s.counsellorLeave);
    leave.type = "button";
    var state = el("p", "cmq-counsellor-state");
    state.setAttribute("role", "status");
    [label, token, activate, leave, state].forEach(function (node) { form.appendChild(node); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (token.value.trim()) widget.useCounsellorToken(token.value.trim());
      token.value = "";
    });
    leave.addEventListener("click", function () { widget.useCounsellorToken(null); });
    if (this.counsellorToken) state.textContent = s.counsellorActive;
    leave.hidden = !this.counsellorToken;
    return { form: form, state: state, leave: leave };
  };

  Widget.prototype.showCounsellorState = function (text) {
    if (!this.dom.counsellorState) return;
    this.dom.counsellorState.textContent = text;
    this.dom.counsellorLeave.hidden = !this.counsellorToken;
  };

  // A new token (or none) takes effect on a new connection: the server checks it on connect.
  Widget.prototype.useCounsellorToken = function (token) {
    this.counsellorToken = token;
    setSessionValue(COUNSELLOR_TOKEN_KEY, token);
    this.showCounsellorState(token ? this.strings.counsellorActive : "");
    if (this.socket) {
      this.sessionReady = false;
      this.socket.disconnect().connect();
    } else {
      this.connect();
    }
  };

  Widget.prototype.isOpen = function () {
    return !this.dom.panel.hidden;
  };

  Widget.prototype.open = function (options) {
    this.dom.panel.hidden = false;
    this.dom.root.classList.add("cmq-is-open");
    this.dom.launcher.setAttribute("aria-expanded", "true");
    this.dom.launcher.setAttribute("aria-label", this.strings.launcherClose);
    this.store.state.open = true;
    this.store.save();
    this.scrollToEnd();
    if (options.focus) this.dom.input.focus();
    this.connect();
    if (!this.store.state.entries.length && this.config.initialPayload) {
      this.send(this.config.initialPayload, { silent: true });
    }
  };

  Widget.prototype.close = function () {
    this.dom.panel.hidden = true;
    this.dom.root.classList.remove("cmq-is-open");
    this.dom.launcher.setAttribute("aria-expanded", "false");
    this.dom.launcher.setAttribute("aria-label", this.strings.launcherOpen);
    this.store.state.open = false;
    this.store.save();
    this.dom.launcher.focus();
  };

  Widget.prototype.restart = function () {
    this.store.reset();
    this.dom.list.textContent = "";
    this.turn = null;
    this.hideTyping();
    if (this.socket) {
      this.sessionReady = false;
      this.socket.emit("session_request", { session_id: this.store.state.sessionId });
    }
    this.dom.input.focus();
    if (this.config.initialPayload) this.send(this.config.initialPayload, { silent: true });
  };

  // --- connection -----------------------------------------------------------------------------------

  Widget.prototype.connect = function () {
    if (this.socket) return;
    var widget = this;
    var socket = this.io(this.config.rasaUrl, {
      path: this.config.socketPath,
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000,
      // Read at every (re)connection: the server checks the counsellor token there.
      auth: function (send) { send(widget.counsellorToken ? { counsellor_token: widget.counsellorToken } : {}); }
    });
    this.socket = socket;
    this.setStatus(this.strings.connecting);
    // (Re)joins the conversation's room: also after every reconnection.
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: widget.store.state.sessionId });
    });
    socket.on("session_confirm", function (data) {
      var sessionId = typeof data === "string" ? data : data && data.session_id;
      if (sessionId !== widget.store.state.sessionId) return;
      widget.sessionReady = true;
      widget.setStatus("");
      widget.flushOutbox();
    });
    socket.on("bot_uttered", function (data) { widget.receive(data); });
    socket.on("disconnect", function (reason) {
      widget.sessionReady = false;
      widget.setStatus(widget.strings.reconnecting);
      // The server closed the socket: socket.io does not retry by itself in that case.
      if (reason === "io server disconnect") socket.connect();
    });
    socket.on("connect_error", function (error) {
      // The server refused the token (a network error is a TransportError): go on as a visitor.
      if (widget.counsellorToken && error && error.type !== "TransportError") {
        widget.useCounsellorToken(null);
        widget.showCounsellorState(widget.strings.counsellorRefused);
        return;
      }
      widget.setStatus(widget.outbox.length ? widget.strings.unavailable : widget.strings.reconnecting);
    });
  };

  Widget.prototype.setStatus = function (text) {
    this.dom.status.textContent = text;
    this.dom.status.hidden = !text;
  };

  Widget.prototype.flushOutbox = function () {
    while (this.sessionReady && this.outbox.length) {
      this.socket.emit("user_uttered", { message: this.outbox.shift(), session_id: this.store.state.sessionId });
    }
  };

  // Sends a message; `shown` is the bubble the user sees (none for silent payloads such as
  // the greeting or a thumbs click). Messages wait in the outbox while the connection is down.
  Widget.prototype.send = function (message, options) {
    this.connect();
    this.startTurn(Boolean(options.silent));
    if (options.shown) {
      this.addEntry({ role: "user", text: options.shown });
    }
    this.outbox.push(message);
    this.flushOutbox();
    this.showTyping();
  };

  Widget.prototype.startTurn = function (silent) {
    var state = this.store.state;
    this.turn = { id: state.nextTurn, silent: silent, feedbackBar: null };
    state.nextTurn += 1;
  };

  Widget.prototype.receive = function (data) {
    var message = normaliseBotMessage(data);
    if (!message) return;
    if (!this.turn) this.startTurn(true);
    // Shown once per reply, under its first message.
    if (message.understanding && this.turn.understandingShown) delete message.understanding;
    if (message.understanding) this.turn.understandingShown = true;
    this.hideTyping();
    this.addEntry({ role: "bot", turn: this.turn.id, silent: this.turn.silent, message: message });
    this.announce(message);
  };

  Widget.prototype.addEntry = function (entry) {
    this.store.state.entries.push(entry);
    this.store.save();
    this.renderEntry(entry);
    this.placeFeedbackBar(entry);
    this.scrollToEnd();
  };

  // --- rendering ------------------------------------------------------------------------------------

  Widget.prototype.renderTranscript = function () {
    var entries = this.store.state.entries;
    for (var i = 0; i < entries.length; i += 1) {
      this.renderEntry(entries[i]);
      var next = entries[i + 1];
      var endsTurn = entries[i].role === "bot" && (!next || next.turn !== entries[i].turn);
      if (endsTurn && !entries[i].silent) {
        this.dom.list.appendChild(this.feedbackBar(entries[i].turn));
      }
    }
  };

  Widget.prototype.renderEntry = function (entry) {
    var item = el("li", "cmq-message cmq-from-" + entry.role);
    item.appendChild(srOnly(entry.role === "user" ? this.strings.you : this.strings.bot));
    if (entry.role === "user") {
      item.appendChild(el("p", "cmq-bubble", entry.text));
    } else if (entry.message.card) {
      item.appendChild(this.renderCard(entry.message.card));
    } else {
      if (entry.message.text) {
        var bubble = el("p", "cmq-bubble");
        appendRichText(bubble, entry.message.text, this.strings.newWindow);
        item.appendChild(bubble);
      }
      if (entry.message.buttons) item.appendChild(this.renderButtons(entry.message.buttons));
    }
    if (entry.role === "bot" && entry.message.understanding) {
      item.appendChild(this.renderUnderstanding(entry.message.understanding));
    }
    this.dom.list.appendChild(item);
  };

  // What was understood of the message this reply answers (counsellor view only), as a
  // disclosure with a description list: screen readers announce its summary and terms.
  Widget.prototype.renderUnderstanding = function (understood) {
    var s = this.strings;
    var details = el("details", "cmq-understanding");
    details.open = true;
    details.appendChild(el("summary", null, s.understood));
    var list = el("dl");
    var entities = understood.entities.map(function (e) { return e.entity + " = " + e.value; }).join(", ");
    [[s.understoodMessage, understood.text],
     [s.understoodIntent, understood.intent + " (" + understood.confidence.toFixed(2) + ")"],
     [s.understoodEntities, entities || s.none],
     [s.understoodFaq, understood.faq ? understood.faq.key + " (" + understood.faq.confidence.toFixed(2) + ")" : s.none]
    ].forEach(function (pair) {
      list.appendChild(el("dt", null, pair[0]));
      list.appendChild(el("dd", null, pair[1]));
    });
    details.appendChild(list);
    return details;
  };

  Widget.prototype.renderButtons = function (buttons) {
    var group = el("div", "cmq-suggestions");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", this.strings.suggestions);
    var widget = this;
    buttons.forEach(function (button) {
      var chip = el("button", "cmq-chip", button.title);
      chip.type = "button";
      chip.addEventListener("click", function () {
        widget.send(button.payload, { shown: button.title });
        widget.dom.input.focus();
      });
      group.appendChild(chip);
    });
    return group;
  };

  Widget.prototype.renderCard = function (card) {
    var s = this.strings;
    var article = el("article", "cmq-card");
    var titleId = this.nextId("card");
    article.setAttribute("aria-labelledby", titleId);
    var name = el("h3", "cmq-card-title", card.name);
    name.id = titleId;
    article.appendChild(name);
    if (card.excellence) article.appendChild(el("p", "cmq-badge", s.excellence));
    if (card.toConfirm) article.appendChild(el("p", "cmq-badge cmq-badge-unconfirmed", card.toConfirm));
    if (card.sector) article.appendChild(el("p", "cmq-card-sector", card.sector));
    var where = [card.town, card.region].filter(Boolean).join(", ");
    if (card.distanceKm !== null) where += (where ? " · " : "") + s.distance(card.distanceKm);
    if (where) article.appendChild(el("p", "cmq-card-place", where));
    if (card.reasons.length) {
      article.appendChild(el("p", "cmq-card-why", s.why));
      var reasons = el("ul", "cmq-card-reasons");
      card.reasons.forEach(function (reason) { reasons.appendChild(el("li", null, reason)); });
      article.appendChild(reasons);
    }
    var links = el("p", "cmq-card-links");
    [[card.website, s.website], [card.sourceUrl, s.source]].forEach(function (pair) {
      var href = pair[0] && safeHref(pair[0]);
      if (!href) return;
      var anchor = link(href, pair[1], "");
      anchor.appendChild(srOnly(" – " + card.name + s.newWindow));
      links.appendChild(anchor);
    });
    if (links.childNodes.length) article.appendChild(links);
    if (card.buttons.length) article.appendChild(this.renderButtons(card.buttons));
    return article;
  };

  // One pair of thumbs per answer, after its last message (an answer may span several messages).
  Widget.prototype.placeFeedbackBar = function (entry) {
    if (entry.role !== "bot" || entry.silent || !this.turn) return;
    if (!this.turn.feedbackBar) this.turn.feedbackBar = this.feedbackBar(this.turn.id);
    this.dom.list.appendChild(this.turn.feedbackBar);
  };

  Widget.prototype.feedbackBar = function (turnId) {
    var s = this.strings;
    var item = el("li", "cmq-feedback");
    var group = el("div", "cmq-feedback-group");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", s.feedbackQuestion);
    var given = this.store.state.feedback[turnId];
    var widget = this;
    var buttons = ["up", "down"].map(function (value) {
      var button = el("button", "cmq-thumb cmq-thumb-" + value);
      button.type = "button";
      button.appendChild(thumbIcon(value));
      button.appendChild(el("span", "cmq-thumb-label", value === "up" ? s.feedbackUp : s.feedbackDown));
      button.setAttribute("aria-pressed", given === value ? "true" : "false");
      button.disabled = Boolean(given);
      button.addEventListener("click", function () { widget.giveFeedback(turnId, value, buttons, note); });
      group.appendChild(button);
      return button;
    });
    var note = el("span", "cmq-feedback-note", given ? s.feedbackSent : "");
    item.appendChild(group);
    item.appendChild(note);
    return item;
  };

  Widget.prototype.giveFeedback = function (turnId, value, buttons, note) {
    if (this.store.state.feedback[turnId]) return;
    this.store.state.feedback[turnId] = value;
    this.store.save();
    buttons.forEach(function (button) {
      button.setAttribute("aria-pressed", button.classList.contains("cmq-thumb-" + value) ? "true" : "false");
      button.disabled = true;
    });
    note.textContent = this.strings.feedbackSent;
    this.dom.input.focus();
    this.send(FEEDBACK_PAYLOAD[value], { silent: true });
  };

  Widget.prototype.announce = function (message) {
    var text = message.card
      ? [this.strings.campus, message.card.name, message.card.sector, message.card.town].filter(Boolean).join(" – ")
      : message.text || (message.buttons || []).map(function (b) { return b.title; }).join(", ");
    var live = this.dom.live;
    live.appendChild(el("p", null, this.strings.bot + " " + text));
    while (live.childNodes.length > 5) live.removeChild(live.firstChild);
  };

  Widget.prototype.showTyping = function () {
    var widget = this;
    this.dom.typing.hidden = false;
    this.scrollToEnd();
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(function () { widget.hideTyping(); }, this.config.typingTimeoutMs);
  };

  Widget.prototype.hideTyping = function () {
    window.clearTimeout(this.typingTimer);
    this.dom.typing.hidden = true;
  };

  Widget.prototype.scrollToEnd = function () {
    this.dom.log.scrollTop = this.dom.log.scrollHeight;
  };

  // --- icons (decorative) ---------------------------------------------------------------------------

  function svg(pathData, className) {
    var ns = "http://www.w3.org/2000/svg";
    var icon = document.createElementNS(ns, "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    icon.setAttribute("focusable", "false");
    icon.setAttribute("class", className);
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", pathData);
    icon.appendChild(path);
    return icon;
  }

  function chatIcon() {
    return svg("M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z", "cmq-icon");
  }

  // Material Design "thumb up" shape (Apache 2.0); the "down" one is the same, turned over in CSS.
  function thumbIcon(value) {
    return svg("M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
      "cmq-icon cmq-icon-" + value);
  }

  // --- start-up ---------------------------------------------------------------------------------------

  function loadStylesheet(href) {
    return new Promise(function (resolve) {
      var sheet = document.createElement("link");
      sheet.rel = "stylesheet";
      sheet.href = href;
      sheet.onload = resolve;
      sheet.onerror = resolve;
      document.head.appendChild(sheet);
    });
  }

  // Loads our socket.io client without replacing one the host page may already use.
  function loadSocketIo(src) {
    return new Promise(function (resolve, reject) {
      var hostIo = window.io;
      var tag = document.createElement("script");
      tag.src = src;
      tag.onload = function () {
        var io = window.io;
        if (hostIo === undefined) delete window.io; else window.io = hostIo;
        resolve(io);
      };
      tag.onerror = function () { reject(new Error("socket.io client not found at " + src)); };
      document.head.appendChild(tag);
    });
  }

  function start() {
    var config = readConfig();
    Promise.all([loadSocketIo(BASE_URL + "vendor/socket.io.min.js"), loadStylesheet(BASE_URL + "widget.css")])
      .then(function (loaded) { window.CmqChat = new Widget(config, loaded[0]); })
      .catch(function (error) { console.error("Assistant orientation :", error); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
