// Web chat client: posts each message to /api/messages and shows the replies.
(function () {
  "use strict";
  const UI = JSON.parse(document.body.dataset.ui);
  const log = document.getElementById("log");
  const input = document.getElementById("input");
  const STORE = "kc-transcript";
  const SHOWN = "kc-shown";  // ids of inbox messages already shown, so none shows twice
  let locale = sessionStorage.getItem("kc-locale") || "vi";
  let transcript = JSON.parse(sessionStorage.getItem(STORE) || "[]");
  let shown = JSON.parse(sessionStorage.getItem(SHOWN) || "[]");
  // One request at a time: a poll, its acknowledgement and a message never overlap, so a
  // queued staff answer cannot come both from the inbox and with a reply.
  let queue = Promise.resolve();

  function serially(task) {
    queue = queue.then(task, task);
    return queue;
  }

  function ui() { return UI[locale] || UI.vi; }

  function applyUi() {
    document.getElementById("heading").textContent = ui().heading;
    document.getElementById("send").textContent = ui().send;
    input.placeholder = ui().placeholder;
    document.title = ui().title;
    document.documentElement.lang = locale;
  }

  // Text with the names of its links made clickable (only http(s) addresses).
  function linkedText(parent, text, links) {
    let rest = text;
    while (rest) {
      let first = null, at = -1;
      (links || []).forEach(function (l) {
        const i = l.label ? rest.indexOf(l.label) : -1;
        if (i >= 0 && (at < 0 || i < at) && /^https?:\/\//.test(l.url)) { at = i; first = l; }
      });
      if (!first) { parent.appendChild(document.createTextNode(rest)); return; }
      if (at > 0) parent.appendChild(document.createTextNode(rest.slice(0, at)));
      const a = document.createElement("a");
      a.href = first.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.textContent = first.label;
      parent.appendChild(a);
      rest = rest.slice(at + first.label.length);
    }
  }

  function render(entry, live) {
    const div = document.createElement("div");
    div.className = "msg " + entry.from + (entry.notice ? " notice" : "");
    let body = entry.text || "";
    if (entry.attachment) {
      // The photo or document first, the text under it, as on the messaging channels.
      const file = entry.attachment;
      if (file.kind === "photo") {
        const img = document.createElement("img");
        img.className = "attachment";
        img.src = file.url;
        img.alt = file.filename;
        div.appendChild(img);
      } else {
        const link = document.createElement("a");
        link.className = "attachment";
        link.href = file.url;
        link.download = file.filename;
        link.textContent = "📎 " + file.filename;
        div.appendChild(link);
      }
    }
    if (entry.titled) {
      const end = body.indexOf("\n");
      const title = document.createElement("strong");
      title.className = "title";
      title.textContent = end < 0 ? body : body.slice(0, end);
      div.appendChild(title);
      body = end < 0 ? "" : body.slice(end + 1);
    }
    linkedText(div, body, entry.links);
    if (entry.document) {
      const link = document.createElement("a");
      link.href = entry.document.url;
      link.download = entry.document.filename;
      link.textContent = entry.document.filename;
      div.appendChild(document.createElement("br"));
      div.appendChild(link);
    }
    if (entry.buttons && entry.buttons.length) {
      const box = document.createElement("div");
      box.className = "choices";
      entry.buttons.forEach(function (b) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = b.label;
        button.disabled = !live;
        button.dataset.payload = b.data;
        button.addEventListener("click", function () {
          send({payload: b.data}, b.label, {data: b.data, top: button.getBoundingClientRect().top});
        });
        box.appendChild(button);
      });
      div.appendChild(box);
    }
    log.appendChild(div);
    return div;
  }

  // A new reply taller than the view is shown from its start, which is where reading begins;
  // a short one brings the view to the end.
  function reveal(first) {
    const bottom = log.scrollHeight - log.clientHeight;
    log.scrollTop = first ? Math.min(first.offsetTop - log.offsetTop - 8, bottom) : bottom;
  }

  function remember(entry) {
    transcript.push(entry);
    sessionStorage.setItem(STORE, JSON.stringify(transcript.slice(-200)));
  }

  function showReply(r) {
    const entry = {from: "bot", text: r.text, buttons: r.buttons, document: r.document,
                   attachment: r.attachment, titled: r.titled, links: r.links};
    remember(entry);
    return render(entry, true);
  }

  // Shows new replies; the first of them starts the view when they are long. When they offer
  // again the button just tapped (ticking one of many choices re-sends the question), that
  // button stays where the finger was, instead of the view jumping to the question's top.
  function showReplies(replies, tapped) {
    const shownNow = replies.map(showReply);
    const again = tapped && shownNow.map(function (div) {
      return Array.from(div.querySelectorAll(".choices button")).find(function (b) {
        return b.dataset.payload === tapped.data;
      });
    }).find(Boolean);
    if (again) {
      log.scrollTop += again.getBoundingClientRect().top - tapped.top;
    } else {
      reveal(shownNow[0]);
    }
  }

  // The server says why it refused (too fast, briefly unavailable): a bot message, not kept.
  function showRefusal(data) {
    if (data && data.message) {
      reveal(render({from: "bot", text: data.message, notice: true}, false));
    } else {
      const err = document.createElement("div");
      err.className = "error";
      err.textContent = ui().offline;
      log.appendChild(err);
      reveal(null);
    }
  }

  // The visitor deleted their data: nothing of the conversation stays in this browser.
  function forget() {
    log.replaceChildren();  // what was typed (a tax code, a phone) leaves the screen too
    sessionStorage.clear();
    localStorage.clear();
    transcript = [];
    shown = [];
    locale = "vi";
  }

  async function post(path, body) {
    return fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                        body: JSON.stringify(body), credentials: "same-origin"});
  }

  function send(body, label, tapped) {
    // Old buttons stop working once the conversation moves on, as on Telegram; if the server
    // refuses the message (too fast, unavailable), nothing moved on and they work again, and
    // what was typed goes back in the box to send again (it had to be typed anew).
    const live = Array.from(log.querySelectorAll(".choices button:not(:disabled)"));
    live.forEach(function (b) { b.disabled = true; });
    const refused = function (data) {
      showRefusal(data);
      live.forEach(function (b) { b.disabled = false; });
      if (body.text && !body.payload && !input.value.trim()) {
        input.value = body.text;
        fit();
      }
    };
    if (label) {
      const mine = {from: "user", text: label};
      remember(mine); render(mine, false); reveal(null);
    }
    body.id = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now() + Math.random()));
    return serially(async function () {
      let response, data;
      try {
        response = await post("/api/messages", body);
        data = await response.json();
      } catch (e) {
        refused(null);
        return;
      }
      if (!response.ok) { refused(data); return; }
      if (data.replies.some(function (r) { return r.forget; })) {
        forget();
        // Said, with a way to start again, and kept nowhere.
        data.replies.forEach(function (r) {
          render({from: "bot", text: r.text, buttons: r.buttons}, true);
        });
        reveal(null);
        applyUi();
        return;
      }
      locale = data.locale || locale;
      sessionStorage.setItem("kc-locale", locale);
      applyUi();
      showReplies(data.replies, tapped);
    });
  }

  document.getElementById("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    // Too long for the bot: say so and keep the text to shorten (a paste was cut silently).
    const limit = Number(input.dataset.limit);
    // Counted as the server counts: characters (an emoji is one), not UTF-16 units.
    const count = Array.from(text.normalize("NFC")).length;
    if (limit && count > limit) {
      const number = function (n) { return n.toLocaleString(locale === "vi" ? "vi-VN" : "en"); };
      reveal(render({from: "bot", notice: true, text: ui().too_long
        .replace("{count}", number(count)).replace("{limit}", number(limit))}, false));
      return;
    }
    input.value = "";
    fit();
    send({text: text}, text);
  });

  // Enter sends, as in every chat; Shift+Enter starts a new line. The box grows with its text.
  function fit() {
    input.style.height = "auto";
    input.style.height = input.scrollHeight + 2 + "px";
  }
  input.addEventListener("input", fit);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      document.getElementById("composer").requestSubmit();
    }
  });

  // Staff answers arrive while the visitor is not typing: look for them now and then, and
  // tell the server once they are on screen (until then they stay queued).
  function poll() {
    return serially(async function () {
      try {
        const response = await fetch("/api/inbox", {credentials: "same-origin"});
        if (!response.ok) return;
        const replies = (await response.json()).replies;
        if (!replies.length) return;
        showReplies(replies.filter(function (r) { return shown.indexOf(r.id) < 0; }));
        shown = shown.concat(replies.map(function (r) { return r.id; })).slice(-100);
        sessionStorage.setItem(SHOWN, JSON.stringify(shown));
        await post("/api/inbox/ack", {ids: replies.map(function (r) { return r.id; })});
      } catch (e) { /* offline: try again later */ }
    });
  }
  setInterval(poll, 15000);

  applyUi();
  transcript.forEach(function (entry, i) { render(entry, i === transcript.length - 1); });
  reveal(null);
  if (!transcript.length) send({text: "/start"}, null);
})();
