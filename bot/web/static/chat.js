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

  function render(entry, live) {
    const div = document.createElement("div");
    div.className = "msg " + entry.from + (entry.notice ? " notice" : "");
    div.textContent = entry.text;
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
        button.addEventListener("click", function () { send({payload: b.data}, b.label); });
        box.appendChild(button);
      });
      div.appendChild(box);
    }
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
  }

  function remember(entry) {
    transcript.push(entry);
    sessionStorage.setItem(STORE, JSON.stringify(transcript.slice(-200)));
  }

  function showReply(r) {
    const entry = {from: "bot", text: r.text, buttons: r.buttons, document: r.document};
    remember(entry);
    render(entry, true);
  }

  // The server says why it refused (too fast, briefly unavailable): a bot message, not kept.
  function showRefusal(data) {
    if (data && data.message) {
      render({from: "bot", text: data.message, notice: true}, false);
    } else {
      const err = document.createElement("div");
      err.className = "error";
      err.textContent = ui().offline;
      log.appendChild(err);
    }
  }

  // The visitor deleted their data: nothing of the conversation stays in this browser.
  function forget() {
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

  function send(body, label) {
    // Old buttons stop working once the conversation moves on, as on Telegram.
    log.querySelectorAll(".choices button").forEach(function (b) { b.disabled = true; });
    if (label) {
      const mine = {from: "user", text: label};
      remember(mine); render(mine, false);
    }
    body.id = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now() + Math.random()));
    return serially(async function () {
      let response, data;
      try {
        response = await post("/api/messages", body);
        data = await response.json();
      } catch (e) {
        showRefusal(null);
        return;
      }
      if (!response.ok) { showRefusal(data); return; }
      if (data.replies.some(function (r) { return r.forget; })) {
        forget();
        data.replies.forEach(function (r) { render({from: "bot", text: r.text}, false); });
        applyUi();
        return;
      }
      locale = data.locale || locale;
      sessionStorage.setItem("kc-locale", locale);
      applyUi();
      data.replies.forEach(showReply);
    });
  }

  document.getElementById("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({text: text}, text);
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
        replies.forEach(function (r) {
          if (shown.indexOf(r.id) < 0) showReply(r);
        });
        shown = shown.concat(replies.map(function (r) { return r.id; })).slice(-100);
        sessionStorage.setItem(SHOWN, JSON.stringify(shown));
        await post("/api/inbox/ack", {ids: replies.map(function (r) { return r.id; })});
      } catch (e) { /* offline: try again later */ }
    });
  }
  setInterval(poll, 15000);

  applyUi();
  transcript.forEach(function (entry, i) { render(entry, i === transcript.length - 1); });
  if (!transcript.length) send({text: "/start"}, null);
})();
