// Web chat client: posts each message to /api/messages and shows the replies.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const input = document.getElementById("input");
  const STORE = "kc-transcript";
  let locale = sessionStorage.getItem("kc-locale") || "vi";
  let transcript = JSON.parse(sessionStorage.getItem(STORE) || "[]");

  function applyUi() {
    const ui = window.UI[locale] || window.UI.vi;
    document.getElementById("heading").textContent = ui.heading;
    document.getElementById("send").textContent = ui.send;
    input.placeholder = ui.placeholder;
    document.documentElement.lang = locale;
  }

  function render(entry, live) {
    const div = document.createElement("div");
    div.className = "msg " + entry.from;
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

  async function send(body, shown) {
    // Old buttons stop working once the conversation moves on, as on Telegram.
    log.querySelectorAll(".choices button").forEach(function (b) { b.disabled = true; });
    if (shown) {
      const mine = {from: "user", text: shown};
      remember(mine); render(mine, false);
    }
    body.id = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now() + Math.random()));
    let data;
    try {
      const response = await fetch("/api/messages", {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify(body), credentials: "same-origin"});
      if (!response.ok) throw new Error(response.status);
      data = await response.json();
    } catch (e) {
      const err = document.createElement("div");
      err.className = "error";
      err.textContent = (window.UI[locale] || window.UI.vi).offline;
      log.appendChild(err);
      return;
    }
    locale = data.locale || locale;
    sessionStorage.setItem("kc-locale", locale);
    applyUi();
    data.replies.forEach(function (r) {
      const entry = {from: "bot", text: r.text, buttons: r.buttons, document: r.document};
      remember(entry);
      render(entry, true);
    });
  }

  document.getElementById("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({text: text}, text);
  });

  // Staff answers arrive while the visitor is not typing: look for them now and then.
  async function poll() {
    try {
      const response = await fetch("/api/inbox", {credentials: "same-origin"});
      if (response.ok) {
        (await response.json()).replies.forEach(function (r) {
          const entry = {from: "bot", text: r.text, buttons: r.buttons, document: r.document};
          remember(entry);
          render(entry, true);
        });
      }
    } catch (e) { /* offline: try again later */ }
  }
  setInterval(poll, 15000);

  applyUi();
  transcript.forEach(function (entry, i) { render(entry, i === transcript.length - 1); });
  if (!transcript.length) send({text: "/start"}, null);
})();
