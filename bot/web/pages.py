"""The pages' HTML, style and script. No data is ever written into the HTML: the script
fetches the state as JSON and puts every word and question in with `textContent`, so a
question that says `<script>` shows exactly that."""

from __future__ import annotations

import html

# System fonts that cover the 20 locales' scripts (Noto in the Dockerfile), then the rest.
FONTS = (
    '"Noto Sans", "Noto Sans Arabic", "Noto Naskh Arabic", "Noto Sans Devanagari",'
    ' "Noto Sans Bengali", "Noto Sans Ethiopic", "Noto Sans Myanmar", "Noto Sans CJK SC",'
    ' "Noto Sans SC", "DejaVu Sans", system-ui, sans-serif'
)

STYLE = """
:root { --fg: #fff; --muted: #c9d3e0; --accent: #e63946; --bg: #0b1f3a; --card: #13294b; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { background: var(--bg); color: var(--fg); font-family: FONTS;
  font-size: 2.2vw; line-height: 1.35; }
body.overlay { background: transparent; }
main { padding: 4vh 5vw; min-height: 100%; display: flex; flex-direction: column;
  justify-content: center; gap: 2.5vh; }
body.overlay main { justify-content: flex-end; }
body.overlay .card { background: rgba(11, 31, 58, 0.86); }
.card { background: var(--card); border-radius: 1.2vw; padding: 3vh 3vw; }
.badge { display: inline-block; background: var(--accent); color: #fff; border-radius: 0.6vw;
  padding: 0.3vh 1vw; font-weight: 700; letter-spacing: 0.03em; }
.meta { color: var(--muted); font-size: 1.6vw; margin-inline-start: 1vw; }
.original { font-size: 3.6vw; font-weight: 700; margin: 2vh 0 1vh; }
.translation { font-size: 2.7vw; color: var(--muted); margin: 1vh 0; }
.from { font-size: 1.8vw; color: var(--muted); }
.idle { text-align: center; }
.idle h1 { font-size: min(4.2vw, 7vh); margin: 0 0 1.5vh; }
.idle .when { font-size: min(2.6vw, 4.4vh); color: var(--muted); margin: 0; }
.idle .join { margin: 3vh 0 0; font-size: min(2vw, 3.4vh); }
.idle .link { font-size: min(2.4vw, 4vh); font-weight: 700; margin: 1vh 0 0; }
.idle img { width: min(16vw, 30vh); height: min(16vw, 30vh); margin-top: 2vh;
  background: #fff; border-radius: 0.6vw; }
ol.order { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column;
  gap: 1.5vh; font-size: 1.7vw; }
ol.order li { background: var(--card); border-radius: 0.8vw; padding: 1.5vh 2vw;
  border-inline-start: 0.6vw solid transparent; }
ol.order li.live { border-inline-start-color: var(--accent); background: #2a1430; }
ol.order li.next { border-inline-start-color: #f4a261; }
ol.order .translation { font-size: 1.5vw; }
ol.order .original { font-size: 1.9vw; margin: 0.5vh 0; }
h2 { margin: 0 0 1vh; font-size: 2.4vw; }
""".replace("FONTS", FONTS)

SCRIPT = r"""
"use strict";
(function () {
  const body = document.body;
  const main = document.querySelector("main");
  const page = body.dataset.page;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;  // text, never markup
    if (text !== undefined) node.dir = "auto";
    return node;
  }

  function question(q, words) {
    const card = el("section", "card question");
    const head = el("div", "head");
    head.append(el("span", "badge", words.now));
    head.append(el("span", "meta ref", q.ref + (q.topic ? " · " + q.topic : "")));
    card.append(head);
    card.append(el("p", "original", q.text));
    if (q.translation) card.append(el("p", "translation", q.translation));
    if (q.second) card.append(el("p", "translation second", q.second));
    card.append(el("p", "from", q.from));
    return card;
  }

  function idle(state) {
    const box = el("section", "card idle");
    if (state.title) box.append(el("h1", "title", state.title));
    if (state.when) box.append(el("p", "when", state.when));
    if (state.link) {
      box.append(el("p", "join", state.words.join));
      box.append(el("p", "link", state.link.replace("https://", "")));
      if (state.qr) {
        const img = document.createElement("img");
        img.alt = state.link;
        img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(state.qr);
        box.append(img);
      }
    }
    return box;
  }

  function order(state) {
    const box = el("section", "run");
    box.append(el("h2", "", state.words.order));
    const list = el("ol", "order");
    const liveAt = state.items.findIndex((item) => item.live);
    state.items.forEach((item, at) => {
      const next = at === liveAt + 1;
      const row = el("li", item.live ? "live" : next ? "next" : "");
      const head = el("div", "head");
      if (item.live) head.append(el("span", "badge", state.words.now));
      else if (next) head.append(el("span", "badge next", state.words.next));
      head.append(el("span", "meta ref", item.ref + (item.topic ? " · " + item.topic : "")));
      row.append(head);
      row.append(el("p", "original", item.text));
      if (item.translation) row.append(el("p", "translation", item.translation));
      row.append(el("p", "from", item.from));
      list.append(row);
    });
    if (!state.items.length) box.append(el("p", "empty", state.words.empty));
    box.append(list);
    return box;
  }

  function show(state) {
    document.documentElement.lang = state.locale;
    document.documentElement.dir = state.dir;
    let view;
    if (page === "order") view = order(state);
    else if (state.question) view = question(state.question, state.words);
    else view = idle(state);
    main.replaceChildren(view);
    body.dataset.state = page === "order" ? "order" : state.question ? "live" : "idle";
  }

  const feed = location.pathname.replace(/\/$/, "") + "/events" + location.search;
  const source = new EventSource(feed);  // reconnects by itself when the bot restarts
  source.onmessage = (event) => show(JSON.parse(event.data));
})();
"""


def page_html(page: str, overlay: bool) -> str:
    """The page shell: the script fills `main` from the state feed."""
    classes = "overlay" if overlay else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        "<title>Town hall</title>"
        '<link rel="stylesheet" href="/static/screen.css">'
        f'</head><body class="{html.escape(classes)}" data-page="{html.escape(page)}">'
        "<main></main>"
        '<script src="/static/screen.js"></script>'
        "</body></html>\n"
    )
