// The agents' web app (docs/web.md): plain JavaScript over the HTTP API, no build step and no
// third-party code. Every piece of mail-derived text reaches the page through textContent or
// an attribute set by the DOM API, never parsed as markup; HTML mail is shown only in a
// sandboxed frame served by the API with its own policy.
"use strict";
(() => {
  const state = {
    me: null, csrf: "", lang: "en", zone: undefined, users: [], templates: [],
    lastEvent: null, feed: null, view: null, list: [], cursor: -1, request: null, nav: 0,
  };
  const main = () => document.getElementById("main");

  // ---- words and times -------------------------------------------------------------------
  function t(key, vars) {
    const words = (window.HD_I18N || {});
    let s = (words[state.lang] || {})[key] || (words.en || {})[key] || key;
    for (const [k, v] of Object.entries(vars || {})) s = s.split("{" + k + "}").join(String(v));
    return s;
  }
  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    try {
      return new Intl.DateTimeFormat(state.lang, {
        dateStyle: "medium", timeStyle: "short", timeZone: state.zone || undefined,
      }).format(d);
    } catch (e) {
      return d.toLocaleString();
    }
  }
  function size(n) {
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
    return (n / 1024 / 1024).toFixed(1) + " MB";
  }

  // ---- the DOM, safely ---------------------------------------------------------------------
  // h("a", {href: "#/r/1", class: "x"}, "text", child...): attributes through setAttribute,
  // text through text nodes. Event handlers are passed as on: {click: fn}.
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "on") {
        for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      } else if (k === "dataset") {
        Object.assign(el.dataset, v);
      } else {
        el.setAttribute(k, v === true ? "" : String(v));
      }
    }
    for (const kid of kids.flat()) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }
  function show(...nodes) {
    const m = main();
    m.replaceChildren(...nodes);
  }
  function say(text) {
    document.getElementById("live").textContent = text;
  }
  let toastTimer = 0;
  function toast(text, kind) {
    const el = document.getElementById("toast");
    el.textContent = text;
    el.className = kind || "";
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, 8000);
  }

  // ---- the API -----------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error && body.error.message) || ("HTTP " + status));
      this.status = status;
      this.code = body && body.error && body.error.code;
    }
  }
  // A page's data that arrives after the agent went elsewhere must not replace the new page.
  class StaleNav extends Error {}
  async function api(method, path, body, headers) {
    const nav = state.nav;
    const opts = { method, headers: Object.assign({ Accept: "application/json" }, headers || {}),
                   credentials: "same-origin" };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = state.csrf;
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(path, opts);
    let data = null;
    const type = res.headers.get("Content-Type") || "";
    if (type.startsWith("application/json")) data = await res.json();
    if (res.status === 401 && path !== "/api/login") {
      state.me = null;
      loginPage();
      throw new ApiError(401, data);
    }
    if (!res.ok) throw new ApiError(res.status, data);
    if (method === "GET" && nav !== state.nav) throw new StaleNav();
    return { data, etag: res.headers.get("ETag") };
  }
  function failed(e) {
    if (e instanceof StaleNav) return;
    if (e instanceof ApiError && e.status === 401) return;  // api() showed the login page
    toast(t("error", { what: e.message }), "bad");
  }

  // ---- login and the frame -------------------------------------------------------------------
  function loginPage() {
    stopFeed();
    // A refresh due from the feed must not run on the login page (its request would be refused).
    clearTimeout(refreshTimer);
    state.view = null;
    document.getElementById("top").replaceChildren(h("span", { class: "brand" }, "helpdeskd"));
    const err = h("p", { class: "error", role: "alert", hidden: true });
    const user = h("input", { id: "login-user", name: "login", autocomplete: "username", required: true });
    const pass = h("input", { id: "login-password", name: "password", type: "password",
                              autocomplete: "current-password", required: true });
    const form = h("form", { class: "login", "aria-label": t("login"), on: { submit: async (ev) => {
      ev.preventDefault();
      try {
        const r = await api("POST", "/api/login", { login: user.value, password: pass.value, cookie: true });
        state.csrf = r.data.csrf;
        await start();
      } catch (e) {
        err.hidden = false;
        err.textContent = e.code === "too_many_attempts" ? e.message : t("bad_login");
      }
    } } },
      h("h1", {}, t("login")),
      h("label", { for: "login-user" }, t("user")), user,
      h("label", { for: "login-password" }, t("password")), pass,
      err,
      h("button", { type: "submit", id: "login-submit" }, t("login")));
    show(form);
    user.focus();
  }

  function chrome() {
    const admin = state.me.role === "admin";
    const q = h("input", { type: "search", id: "search-box", name: "q", placeholder: t("search_ph"),
                           "aria-label": t("search") });
    const nav = h("nav", { "aria-label": "main" },
      h("a", { href: "#/", class: "brand" }, "helpdeskd"),
      h("a", { href: "#/" }, t("dashboard")),
      h("a", { href: "#/requests?status=active" }, t("requests")),
      h("a", { href: "#/new", id: "nav-new" }, t("new_request")),
      admin && h("a", { href: "#/admin/quarantine" }, t("quarantine")),
      admin && h("a", { href: "#/admin/outbox" }, t("outbox")),
      h("form", { role: "search", class: "search", on: { submit: (ev) => {
        ev.preventDefault();
        if (q.value.trim()) location.hash = "#/search?q=" + encodeURIComponent(q.value.trim());
      } } }, q),
      h("a", { href: "#/settings", id: "who" }, state.me.name || state.me.login),
      h("button", { type: "button", id: "logout", on: { click: logout } }, t("logout")));
    document.getElementById("top").replaceChildren(nav);
  }

  async function logout() {
    try { await api("POST", "/api/logout", {}); } catch (e) { /* the cookie is gone either way */ }
    state.me = null;
    state.csrf = "";
    loginPage();
  }

  async function start() {
    let me;
    try {
      me = (await api("GET", "/api/me")).data;
    } catch (e) {
      if (e.status !== 401) failed(e);
      return;
    }
    state.me = me;
    if (me.csrf) state.csrf = me.csrf;
    state.lang = me.language || pickLanguage();
    state.zone = me.time_zone || undefined;
    document.documentElement.lang = state.lang;
    const [users, templates] = await Promise.all([
      api("GET", "/api/users").then((r) => r.data.users).catch(() => []),
      api("GET", "/api/templates").then((r) => r.data.templates).catch(() => []),
    ]);
    state.users = users;
    state.templates = templates;
    chrome();
    startFeed();
    route();
  }
  function pickLanguage() {
    for (const l of navigator.languages || []) {
      const base = l.toLowerCase().split("-")[0];
      const mapped = base === "no" || base === "nn" ? "nb" : base;
      if (window.HD_I18N && window.HD_I18N[mapped]) return mapped;
    }
    return "en";
  }

  // ---- live: the event feed (Server-Sent Events) ---------------------------------------------
  function startFeed() {
    stopFeed();
    const src = new EventSource("/api/events");
    state.feed = src;
    src.addEventListener("change", (ev) => {
      let e;
      try { e = JSON.parse(ev.data); } catch (x) { return; }
      onChange(e);
    });
  }
  function stopFeed() {
    if (state.feed) state.feed.close();
    state.feed = null;
  }
  let refreshTimer = 0;
  function onChange(e) {
    const v = state.view;
    if (!v) return;
    const mine = state.me && e.actor === state.me.login;
    if (e.kind === "received" || e.kind === "created" || e.kind === "message_received")
      say(t("new_mail", { n: e.request }));
    // Coalesce bursts (intake of many mails) into one refresh.
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      if (state.view !== v) return;  // the agent went elsewhere meanwhile
      if (v.kind === "request") {
        if (e.request === v.id && !mine && !v.editing) {
          toast(t("changed", { n: e.request }) + ": " + e.kind + " (" + e.actor + ")");
          openRequest(v.id, true).catch(failed);
        }
      } else if (v.refresh) {
        Promise.resolve().then(() => v.refresh()).catch(failed);
      }
    }, 150);
  }

  // ---- routing ---------------------------------------------------------------------------
  function parseHash() {
    const raw = location.hash.replace(/^#/, "") || "/";
    const [path, query] = raw.split("?");
    return { path, params: new URLSearchParams(query || "") };
  }
  async function route() {
    if (!state.me) return;
    state.nav += 1;
    // Until the new page sets its own view, refreshes scheduled for the old one do nothing.
    state.view = { kind: "loading" };
    const { path, params } = parseHash();
    let m;
    try {
      if (path === "/") await dashboard();
      else if (path === "/requests") await requestList(params);
      else if ((m = path.match(/^\/r\/(\d+)$/))) await openRequest(Number(m[1]));
      else if (path === "/search") await searchPage(params.get("q") || "");
      else if ((m = path.match(/^\/p\/(\d+)$/))) await personPage(Number(m[1]));
      else if ((m = path.match(/^\/c\/(\d+)$/))) await companyPage(Number(m[1]));
      else if (path === "/settings") settingsPage();
      else if (path === "/new") await newRequestPage();
      else if (path === "/admin/quarantine") await quarantinePage();
      else if (path === "/admin/outbox") await outboxPage();
      else show(h("p", {}, t("nothing")));
    } catch (e) {
      if (e instanceof StaleNav) return;
      if (e.status !== 401) failed(e);
    }
    main().focus({ preventScroll: true });
  }

  // ---- lists of requests -------------------------------------------------------------------
  function requestTable(rows, caption, sortable) {
    const head = (key, label) => {
      if (!sortable) return h("th", { scope: "col" }, label);
      const cur = sortable.sort || "";
      const next = cur === key ? "-" + key : key;
      const aria = cur === key ? "ascending" : cur === "-" + key ? "descending" : "none";
      return h("th", { scope: "col", "aria-sort": aria },
        h("a", { href: sortable.link(next) }, label));
    };
    if (!rows.length) return h("section", { class: "block" }, h("h2", {}, caption, " ", h("span", { class: "count" }, "0")), h("p", { class: "empty" }, t("nothing")));
    const body = rows.map((r) => {
      const due = r.resolution_due || r.first_response_due;
      return h("tr", { class: (r.unread ? "unread " : "") + (r.overdue ? "overdue" : ""), dataset: { id: r.id } },
        h("td", {}, r.unread ? h("span", { class: "dot", title: t("unread"), "aria-label": t("unread") }, "●") : "",
          h("a", { href: "#/r/" + r.id, class: "req-link" }, "#" + r.id)),
        h("td", { class: "title" }, h("a", { href: "#/r/" + r.id }, r.title || "(" + t("none") + ")")),
        h("td", {}, typeof r.person === "object" && r.person ? (r.person.name || r.person.address) : (r.person || "")),
        h("td", {}, t(r.status)),
        h("td", {}, r.priority || ""),
        h("td", {}, r.owner || ""),
        h("td", {}, due ? h("time", { datetime: due }, when(due)) : "—"));
    });
    state.list = state.list.concat(rows.map((r) => r.id));
    return h("section", { class: "block" },
      h("table", { class: "requests" },
        h("caption", {}, caption, " ", h("span", { class: "count" }, String(rows.length))),
        h("thead", {}, h("tr", {}, head("id", t("id")), h("th", { scope: "col" }, t("title")),
          h("th", { scope: "col" }, t("person")), h("th", { scope: "col" }, t("status")),
          head("priority", t("priority")), h("th", { scope: "col" }, t("owner")),
          head("deadline", t("deadline")))),
        h("tbody", {}, body)));
  }

  async function dashboard() {
    const load = async () => {
      const d = (await api("GET", "/api/dashboard")).data;
      state.list = [];
      state.cursor = -1;
      const byDeadline = (a, b) => String(a.resolution_due || a.first_response_due || "~")
        .localeCompare(String(b.resolution_due || b.first_response_due || "~"));
      show(h("h1", {}, t("dashboard")),
        h("div", { class: "dash" },
          requestTable(d.mine, t("mine")),
          requestTable(d.unassigned.slice().sort(byDeadline), t("unassigned")),
          requestTable(d.waking_today, t("waking_today")),
          requestTable(d.overdue, t("overdue")),
          requestTable(d.favourites, t("favourites"))));
    };
    state.view = { kind: "dashboard", refresh: () => load().catch(failed) };
    await load();
  }

  async function requestList(params) {
    const load = async () => {
      const q = new URLSearchParams(params);
      if (!q.get("limit")) q.set("limit", "50");
      const r = (await api("GET", "/api/requests?" + q.toString())).data;
      state.list = [];
      state.cursor = -1;
      const offset = Number(q.get("offset") || 0);
      const limit = Number(q.get("limit"));
      const link = (changes) => {
        const n = new URLSearchParams(params);
        for (const [k, v] of Object.entries(changes)) n.set(k, v);
        return "#/requests?" + n.toString();
      };
      const filters = h("form", { class: "filters", on: { submit: (ev) => {
        ev.preventDefault();
        const n = new URLSearchParams();
        for (const [k, v] of new FormData(ev.target)) if (v) n.set(k, v);
        location.hash = "#/requests?" + n.toString();
      } } },
        h("label", {}, t("status"), " ", h("select", { name: "status" },
          ["active", "open", "pending", "closed", "all"].map((s) =>
            h("option", { value: s, selected: (params.get("status") || "active") === s }, t(s))))),
        h("label", {}, t("owner"), " ", h("select", { name: "owner" },
          h("option", { value: "" }, t("all")),
          h("option", { value: "me", selected: params.get("owner") === "me" }, state.me.login),
          state.users.map((u) => h("option", { value: u.login, selected: params.get("owner") === u.login }, u.name || u.login)))),
        h("label", {}, t("priority"), " ", h("input", { name: "priority", size: 8, value: params.get("priority") || "" })),
        h("label", {}, t("category"), " ", h("input", { name: "category", size: 10, value: params.get("category") || "" })),
        h("label", {}, t("tags"), " ", h("input", { name: "tag", size: 8, value: params.get("tag") || "" })),
        h("button", { type: "submit" }, t("filter")));
      const paging = h("nav", { class: "paging", "aria-label": "pages" },
        offset > 0 ? h("a", { href: link({ offset: Math.max(0, offset - limit) }) }, t("prev")) : "",
        h("span", {}, t("page", { from: r.total ? offset + 1 : 0, to: offset + r.requests.length, total: r.total })),
        r.next ? h("a", { href: link({ offset: offset + limit }), rel: "next" }, t("next")) : "");
      show(h("h1", {}, t("requests")), filters,
        requestTable(r.requests, t("requests"), { sort: params.get("sort") || "", link: (s) => link({ sort: s, offset: 0 }) }),
        paging);
    };
    state.view = { kind: "list", refresh: () => load().catch(failed) };
    await load();
  }

  // ---- one request -------------------------------------------------------------------------
  async function openRequest(id, quiet) {
    const r = await api("GET", "/api/requests/" + id);
    const d = r.data;
    state.request = { id, etag: r.etag, data: d };
    const prev = state.view && state.view.kind === "request" && state.view.id === id ? state.view : null;
    state.view = { kind: "request", id, editing: false };
    api("POST", "/api/requests/" + id + "/read", {}).catch(() => {});
    const facts = h("dl", { class: "facts" },
      h("dt", {}, t("status")), h("dd", { id: "req-status" }, t(d.status)),
      h("dt", {}, t("owner")), h("dd", { id: "req-owner" }, d.owner || "—"),
      h("dt", {}, t("priority")), h("dd", {}, d.priority || "—"),
      h("dt", {}, t("category")), h("dd", {}, d.category || "—"),
      h("dt", {}, t("tags")), h("dd", {}, (d.tags || []).join(", ") || "—"),
      h("dt", {}, t("person")), h("dd", {}, h("a", { href: "#/p/" + d.person.id }, d.person.name || d.person.address),
        " ", h("span", { class: "muted" }, d.person.address)),
      d.company ? [h("dt", {}, t("company")), h("dd", {}, h("a", { href: "#/c/" + d.company.id }, d.company.name))] : "",
      h("dt", {}, t("created")), h("dd", {}, when(d.created_at)),
      d.first_response_due ? [h("dt", {}, t("first_response")), h("dd", {}, when(d.first_response_due))] : "",
      d.resolution_due ? [h("dt", {}, t("resolution")), h("dd", {}, when(d.resolution_due))] : "",
      d.postponed_until ? [h("dt", {}, t("until")), h("dd", {}, when(d.postponed_until))] : "");
    const thread = h("ol", { class: "thread", "aria-label": t("messages") },
      d.messages.map((m) => messageItem(d, m)));
    const history = h("details", { class: "history" }, h("summary", {}, t("history")),
      h("ul", {}, d.events.map((e) => h("li", {}, when(e.at), " · ", e.actor, " · ", e.kind,
        e.detail ? " · " + e.detail : ""))));
    const others = h("section", { class: "others", "aria-label": t("other_requests") },
      h("h2", {}, t("other_requests")), h("div", { id: "others" }, t("loading")));
    show(
      h("div", { class: "req-head" },
        h("h1", {}, h("span", { class: "muted" }, "#" + d.id + " "), d.title),
        actionBar(d)),
      h("div", { class: "req-body" },
        h("div", { class: "req-main" }, thread, h("div", { id: "editor" })),
        h("aside", { class: "req-side" }, facts, others, history)));
    if (!quiet) say("#" + d.id + " " + d.title);
    if (prev && prev.scrollY !== undefined) window.scrollTo(0, prev.scrollY);
    api("GET", "/api/persons/" + d.person.id).then((p) => {
      const list = (p.data.requests || p.data.recent_requests || []).filter((x) => x.id !== d.id);
      document.getElementById("others").replaceChildren(list.length
        ? h("ul", {}, list.slice(0, 20).map((x) => h("li", {}, h("a", { href: "#/r/" + x.id }, "#" + x.id + " " + x.title), " ", h("span", { class: "muted" }, t(x.status)))))
        : h("p", { class: "empty" }, t("nothing")));
    }).catch(() => {});
  }

  function messageItem(d, m) {
    const kind = m.direction === "in" ? "incoming" : m.direction === "note" ? "internal" : "outgoing";
    const who = m.direction === "in" ? (m.from.name || m.from.address) : (m.author || m.from.name || m.from.address);
    const atts = (m.attachments || []).filter((a) => a.disposition !== "inline" || !a.content_id);
    let body;
    if (m.html && m.direction === "in") {
      body = mailFrame(d.id, m.id, false);
    } else {
      body = h("div", { class: "text" }, m.text);
    }
    return h("li", { class: "msg " + m.direction, id: "m" + m.id, dataset: { id: m.id } },
      h("article", { "aria-label": t(kind) + ": " + who },
        h("header", {},
          h("span", { class: "kind" }, t(kind)), " ",
          h("strong", {}, who), " ",
          h("time", { datetime: m.date || m.stored_at }, when(m.date || m.stored_at)),
          h("label", { class: "pick", hidden: true }, h("input", { type: "checkbox", class: "split-pick", value: m.id }), t("split")),
          h("button", { type: "button", class: "link flag", "aria-pressed": m.flagged ? "true" : "false",
            on: { click: () => act("flag", { message: m.id, on: !m.flagged }) } }, m.flagged ? "⚑ " + t("unflag") : t("flag"))),
        body,
        atts.length ? h("ul", { class: "attachments", "aria-label": t("attachments") }, atts.map((a) => attachmentItem(d.id, a))) : ""));
  }

  function attachmentUrl(rid, a) {
    return "/api/requests/" + rid + "/attachments/" + a.message + "." + a.position;
  }
  function attachmentItem(rid, a) {
    const url = attachmentUrl(rid, a);
    const previewable = /^image\/(png|jpeg|gif|webp)$/.test(a.content_type) || a.content_type === "application/pdf";
    return h("li", {},
      h("a", { href: url, download: a.filename || "attachment" }, a.filename || "attachment"),
      " ", h("span", { class: "muted" }, a.content_type + ", " + size(a.size)),
      previewable ? [" ", h("a", { href: url + "?inline=1", target: "_blank", rel: "noopener" }, t("show"))] : "");
  }

  // HTML mail: the API sanitises it and serves it with a policy that runs nothing; the frame
  // is sandboxed besides (no scripts, no same-origin), so even a sanitiser bug runs nothing.
  function mailFrame(rid, mid, images) {
    const src = "/api/requests/" + rid + "/messages/" + mid + "/html" + (images ? "?images=1" : "");
    const frame = h("iframe", { class: "mail", src, title: "mail", sandbox: "allow-popups allow-popups-to-escape-sandbox",
                                referrerpolicy: "no-referrer", loading: "lazy" });
    const wrap = h("div", { class: "html" }, frame);
    if (!images) {
      // Offered only when the sanitiser left remote images out (X-Blocked-Images): the count
      // is read from a same-origin fetch of the document, cut off once the headers are in.
      const note = h("span", { class: "muted blocked", hidden: true });
      const show = h("button", { type: "button", class: "link show-images", hidden: true, on: { click: () => {
        wrap.replaceWith(mailFrame(rid, mid, true));
      } } }, t("show_images"));
      wrap.append(note, " ", show);
      const cut = new AbortController();
      fetch(src, { credentials: "same-origin", signal: cut.signal }).then((r) => {
        const n = Number(r.headers.get("X-Blocked-Images") || 0);
        cut.abort();
        if (n > 0) {
          note.textContent = t("images_blocked", { n });
          note.hidden = false;
          show.hidden = false;
        }
      }).catch(() => {});
    }
    return wrap;
  }

  function actionBar(d) {
    const open = d.status !== "closed" && d.status !== "merged";
    const b = (key, fn, extra) => h("button", Object.assign({ type: "button", id: "act-" + key, on: { click: fn } }, extra || {}), t(key));
    return h("div", { class: "actions", role: "toolbar", "aria-label": "actions" },
      open && !d.owner ? b("accept", () => act("accept", {})) : "",
      open && d.owner && d.owner !== state.me.login ? b("accept", () => act("accept", { force: true })) : "",
      open ? b("reply", () => editor("reply")) : "",
      b("note", () => editor("note")),
      open ? b("transfer", () => editor("transfer")) : "",
      b("forward", () => editor("forward")),
      open ? b("postpone", () => editor("postpone")) : "",
      open ? b("split", () => editor("split")) : "",
      open ? b("merge", () => editor("merge")) : "",
      open ? b("close", () => act("close", {})) : b("reopen", () => act("reopen", {})),
      b(d.favourite ? "unfavourite" : "favourite", () => act("favourite", { on: !d.favourite })));
  }

  // An action on the open request, sent with the ETag it was read at: a colleague's change in
  // between gets 412, and the page says who changed what.
  async function act(verb, body, extraHeaders) {
    const cur = state.request;
    if (!cur) return null;
    const headers = Object.assign({ "If-Match": cur.etag }, extraHeaders || {});
    try {
      const r = await api("POST", "/api/requests/" + cur.id + "/" + verb, body, headers);
      say(t("done"));
      if (verb === "split" && r.data && r.data.new_request) location.hash = "#/r/" + r.data.new_request;
      else await openRequest(cur.id, true);
      return r;
    } catch (e) {
      if (e.status === 412) {
        const fresh = (await api("GET", "/api/requests/" + cur.id)).data;
        const last = fresh.events[fresh.events.length - 1] || { actor: "?", kind: "?" };
        await openRequest(cur.id, true);
        toast(t("stale", { who: last.actor, what: last.kind }), "bad");
        const el = document.getElementById("stale-note");
        if (el) el.textContent = t("stale", { who: last.actor, what: last.kind });
      } else {
        failed(e);
      }
      return null;
    }
  }

  function userSelect(name) {
    return h("select", { name, id: "f-" + name },
      state.users.filter((u) => !u.absent || u.login === state.me.login).map((u) =>
        h("option", { value: u.login }, (u.name || u.login) + (u.absent ? " (absent)" : ""))));
  }

  function editor(kind) {
    const box = document.getElementById("editor");
    const d = state.request.data;
    state.view.editing = true;
    const close = () => { state.view.editing = false; box.replaceChildren(); document.querySelectorAll(".pick").forEach((p) => { p.hidden = true; }); };
    const field = (label, el) => h("div", { class: "field" }, h("label", { for: el.id }, label), el);
    const text = h("textarea", { id: "f-text", name: "text", rows: 8 });
    const form = h("form", { class: "editor", id: "editor-" + kind, "aria-label": t(kind) });
    const cancel = h("button", { type: "button", on: { click: close } }, t("cancel"));
    const submit = (fn) => form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const go = form.querySelector("button[type=submit]");
      go.disabled = true;
      try {
        const done = await fn();
        if (done) close();
      } finally {
        go.disabled = false;
      }
    });
    // Uploads go as base64 in the JSON body (the API's body limit bounds them).
    const upload = h("input", { id: "f-files", name: "files", type: "file", multiple: true });
    const readFiles = () => Promise.all([...upload.files].map((f) => new Promise((ok, bad) => {
      const r = new FileReader();
      r.onload = () => ok({ filename: f.name, content_type: f.type || "application/octet-stream",
                            data: String(r.result).split(",", 2)[1] || "" });
      r.onerror = () => bad(r.error);
      r.readAsDataURL(f);
    })));
    let parts = [];
    if (kind === "reply") {
      const tpl = h("select", { id: "f-template", name: "template" }, h("option", { value: "" }, t("none")),
        state.templates.map((x) => h("option", { value: x.name }, x.name + " (" + (x.languages || []).join(", ") + ")")));
      const cc = h("input", { id: "f-cc", name: "cc", type: "text", autocomplete: "off" });
      const pv = h("pre", { class: "preview", id: "preview", "aria-live": "polite" });
      const preview = async () => {
        try {
          const r = await api("POST", "/api/templates/" + encodeURIComponent(tpl.value || "plain") + "/preview",
            { request: d.id, text: text.value });
          pv.textContent = (r.data.subject ? r.data.subject + "\n\n" : "") + (r.data.text || r.data.body || "");
        } catch (e) { pv.textContent = e.message; }
      };
      parts = [field(t("template"), tpl), field(t("cc"), cc), field(t("text"), text),
        field(t("attachments"), upload),
        h("p", { class: "muted" }, t("signature")),
        h("button", { type: "button", id: "f-preview", on: { click: preview } }, t("preview")), pv];
      // One key per reply attempt: a retry after a network failure sends nothing twice.
      const key = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
      submit(async () => {
        const body = { text: text.value };
        if (tpl.value) body.template = tpl.value;
        const ccs = cc.value.split(",").map((s) => s.trim()).filter(Boolean);
        if (ccs.length) body.cc = ccs;
        const files = await readFiles();
        if (files.length) body.attachments = files;
        return await act("reply", body, { "Idempotency-Key": key });
      });
    } else if (kind === "note") {
      parts = [field(t("text"), text)];
      submit(async () => await act("note", { text: text.value }));
    } else if (kind === "transfer") {
      const to = userSelect("to");
      parts = [field(t("to"), to), field(t("note"), text)];
      submit(async () => await act("transfer", { to: to.value, note: text.value }));
    } else if (kind === "forward") {
      const to = h("input", { id: "f-to", name: "to", type: "email", required: true });
      const key = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
      // The request's attachments go along unless unticked; more can be added.
      const stored = [];
      for (const m of d.messages) for (const a of m.attachments || []) stored.push(a);
      const picks = stored.map((a) => h("label", { class: "pick-file" },
        h("input", { type: "checkbox", class: "fwd-file", checked: true, dataset: { message: a.message, position: a.position } }),
        " " + (a.filename || "attachment") + " (" + size(a.size) + ")"));
      parts = [field(t("to"), to), field(t("text"), text),
        picks.length ? h("fieldset", {}, h("legend", {}, t("attachments")), picks) : "",
        field(t("attachments") + " +", upload)];
      submit(async () => {
        const files = [...form.querySelectorAll(".fwd-file:checked")].map((c) =>
          ({ message: Number(c.dataset.message), position: Number(c.dataset.position) }));
        return await act("forward", { to: to.value, text: text.value, attachments: files.concat(await readFiles()) },
          { "Idempotency-Key": key });
      });
    } else if (kind === "postpone") {
      const until = h("input", { id: "f-until", name: "until", type: "datetime-local", required: true });
      parts = [field(t("until"), until)];
      submit(async () => await act("postpone", { until: new Date(until.value).toISOString() }));
    } else if (kind === "merge") {
      const into = h("input", { id: "f-into", name: "into", type: "number", min: 1, required: true });
      parts = [field(t("into"), into)];
      submit(async () => await act("merge", { into: Number(into.value) }));
    } else if (kind === "split") {
      document.querySelectorAll(".pick").forEach((p) => { p.hidden = false; });
      parts = [h("p", {}, t("choose_messages"))];
      submit(async () => {
        const ids = [...document.querySelectorAll(".split-pick:checked")].map((c) => Number(c.value));
        return ids.length ? await act("split", { messages: ids }) : null;
      });
    }
    form.append(h("h2", {}, t(kind)), ...parts, h("p", { id: "stale-note", class: "error", role: "alert" }),
      h("div", { class: "buttons" }, h("button", { type: "submit", id: "f-send" }, kind === "reply" || kind === "forward" ? t("send") : t("save")), cancel));
    box.replaceChildren(form);
    const first = form.querySelector("select, input, textarea");
    if (first) first.focus();
  }

  // ---- search, persons, companies ------------------------------------------------------------
  // The API marks matches with [ and ]; shown as <mark> built by the DOM, never as markup.
  function highlighted(snippet) {
    const out = [];
    const re = /\[([^\]]*)\]/g;
    let last = 0, m;
    while ((m = re.exec(snippet))) {
      out.push(snippet.slice(last, m.index), h("mark", {}, m[1]));
      last = re.lastIndex;
    }
    out.push(snippet.slice(last));
    return out;
  }
  async function searchPage(q) {
    state.view = { kind: "search" };
    const box = document.getElementById("search-box");
    if (box) box.value = q;
    if (!q) return show(h("h1", {}, t("search")));
    const r = (await api("GET", "/api/search?q=" + encodeURIComponent(q))).data;
    state.list = r.results.map((x) => x.id);
    state.cursor = -1;
    show(h("h1", {}, t("search"), ": ", q),
      r.results.length ? h("ol", { class: "hits" }, r.results.map((x) =>
        h("li", { dataset: { id: x.id } }, h("a", { href: "#/r/" + x.id + (x.match ? "" : "") }, "#" + x.id + " " + x.title),
          " ", h("span", { class: "muted" }, t(x.status)),
          x.match ? h("p", { class: "snippet" }, highlighted(x.match.snippet)) : ""))) : h("p", { class: "empty" }, t("nothing")));
  }
  async function personPage(id) {
    const p = (await api("GET", "/api/persons/" + id)).data;
    state.view = { kind: "person", refresh: () => personPage(id).catch(failed) };
    state.list = [];
    show(h("h1", {}, p.name || (p.addresses || [])[0] || ("#" + id)),
      h("p", {}, (p.addresses || []).join(", "), p.company ? [" · ", h("a", { href: "#/c/" + p.company.id }, p.company.name)] : ""),
      requestTable(p.requests || p.recent_requests || [], t("requests")));
  }
  async function companyPage(id) {
    const c = (await api("GET", "/api/companies/" + id)).data;
    state.view = { kind: "company", refresh: () => companyPage(id).catch(failed) };
    state.list = [];
    show(h("h1", {}, c.name), h("p", { class: "muted" }, (c.domains || []).join(", ")),
      h("h2", {}, t("persons")),
      h("ul", {}, (c.persons || []).map((p) => h("li", {}, h("a", { href: "#/p/" + p.id }, p.name || (p.addresses || [])[0])))),
      requestTable(c.requests || [], t("requests")));
  }

  // ---- a phone call or a walk-in: a request registered by the agent ------------------------
  async function newRequestPage() {
    state.view = { kind: "new" };
    const [persons, categories] = await Promise.all([
      api("GET", "/api/persons").then((r) => r.data.persons).catch(() => []),
      api("GET", "/api/categories").then((r) => r.data.categories).catch(() => []),
    ]);
    const field = (label, el) => h("div", { class: "field" }, h("label", { for: el.id }, label), el);
    const who = h("input", { id: "f-person", name: "person", list: "f-persons", required: true, autocomplete: "off" });
    const name = h("input", { id: "f-person-name", name: "person_name", autocomplete: "off" });
    // A known customer is found by name or address; the address is what the API needs.
    const known = new Map();
    for (const p of persons) {
      for (const a of p.addresses || []) known.set((p.name ? p.name + " <" + a + ">" : a), { name: p.name, address: a });
    }
    who.addEventListener("change", () => {
      const k = known.get(who.value);
      if (k) { who.value = k.address; if (!name.value) name.value = k.name || ""; }
    });
    const title = h("input", { id: "f-title", name: "title", required: true });
    const text = h("textarea", { id: "f-text", name: "text", rows: 6 });
    const cat = h("select", { id: "f-category", name: "category" }, h("option", { value: "" }, t("none")),
      categories.map((c) => h("option", { value: c.name }, c.name)));
    const err = h("p", { class: "error", role: "alert" });
    show(h("h1", {}, t("new_request")), h("form", { class: "editor", id: "new-request", on: { submit: async (ev) => {
      ev.preventDefault();
      const k = known.get(who.value);
      const body = { person_address: k ? k.address : who.value.trim(), person_name: name.value || (k && k.name) || "",
                     title: title.value, text: text.value };
      if (cat.value) body.category = cat.value;
      try {
        const r = await api("POST", "/api/requests", body);
        location.hash = "#/r/" + (r.data.id || r.data.request);
      } catch (e) { err.textContent = e.message; }
    } } },
      field(t("person"), who), h("datalist", { id: "f-persons" }, [...known.keys()].map((k) => h("option", { value: k }))),
      field(t("name"), name), field(t("title"), title), field(t("text"), text), field(t("category"), cat), err,
      h("button", { type: "submit", id: "f-send" }, t("save"))));
    who.focus();
  }

  // ---- settings and admin ------------------------------------------------------------------
  function settingsPage() {
    state.view = { kind: "settings" };
    const langs = { en: "English", nl: "Nederlands", nb: "Norsk bokmål", sv: "Svenska", de: "Deutsch" };
    const lang = h("select", { id: "f-language", name: "language" },
      Object.entries(langs).map(([k, v]) => h("option", { value: k, selected: k === state.lang }, v)));
    const zones = (Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : []);
    const zone = h("input", { id: "f-zone", name: "time_zone", list: "zones",
      value: state.zone || Intl.DateTimeFormat().resolvedOptions().timeZone });
    show(h("h1", {}, t("settings")),
      h("form", { class: "editor", on: { submit: async (ev) => {
        ev.preventDefault();
        try {
          await api("POST", "/api/me/preferences", { language: lang.value, time_zone: zone.value });
          state.lang = lang.value;
          state.zone = zone.value || undefined;
          document.documentElement.lang = state.lang;
          chrome();
          settingsPage();
          say(t("saved"));
        } catch (e) { failed(e); }
      } } },
      h("div", { class: "field" }, h("label", { for: "f-language" }, t("language")), lang),
      h("div", { class: "field" }, h("label", { for: "f-zone" }, t("time_zone")), zone,
        h("datalist", { id: "zones" }, zones.map((z) => h("option", { value: z })))),
      h("button", { type: "submit", id: "f-save" }, t("save"))),
      h("h2", {}, t("shortcuts")), h("p", {}, t("sc_help")));
  }
  async function quarantinePage() {
    state.view = { kind: "admin", refresh: () => quarantinePage().catch(failed) };
    const r = (await api("GET", "/api/quarantine")).data;
    const rows = r.quarantine || [];
    const act = async (id, verb, body) => {
      try {
        const res = await api("POST", "/api/quarantine/" + id + "/" + verb, body || {});
        toast("#" + id + ": " + (res.data.resolution || t("done")));
        await quarantinePage();
      } catch (e) { failed(e); }
    };
    const row = (q) => {
      const note = h("input", { type: "text", class: "q-note", "aria-label": t("reason") + " #" + q.id, size: 14 });
      return h("tr", { dataset: { id: q.id } }, h("td", {}, "#" + q.id), h("td", {}, q.reason),
        h("td", {}, q.mailbox || ""), h("td", {}, when(q.created_at)), h("td", {}, size(q.size)),
        h("td", {}, q.purged ? "—" : h("a", { href: "/api/quarantine/" + q.id + "/raw", download: "quarantine-" + q.id + ".eml" }, t("download"))),
        h("td", { class: "buttons" },
          h("button", { type: "button", class: "q-reprocess", on: { click: () => act(q.id, "reprocess") } }, t("reprocess")),
          note, h("button", { type: "button", class: "q-drop", on: { click: () => act(q.id, "drop", { note: note.value }) } }, t("drop"))));
    };
    show(h("h1", {}, t("quarantine")), rows.length ? h("div", { class: "block" }, h("table", {},
      h("thead", {}, h("tr", {}, ["#", t("reason"), "mailbox", t("created"), "size", "", ""].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map(row)))) : h("p", { class: "empty" }, t("nothing")));
  }
  async function outboxPage() {
    state.view = { kind: "admin", refresh: () => outboxPage().catch(failed) };
    const r = (await api("GET", "/api/outbox")).data;
    const rows = r.outbox || r.messages || [];
    show(h("h1", {}, t("outbox")), rows.length ? h("table", {},
      h("thead", {}, h("tr", {}, ["#", t("to"), t("title"), t("state"), t("attempts")].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map((o) => h("tr", {}, h("td", {}, o.id), h("td", {}, (o.recipients || []).join(", ")),
        h("td", {}, o.request ? h("a", { href: "#/r/" + o.request }, "#" + o.request + " " + o.kind) : o.kind),
        h("td", {}, o.status + (o.last_error ? ": " + o.last_error : "")), h("td", {}, o.attempts))))) : h("p", { class: "empty" }, t("nothing")));
  }

  // ---- keyboard ------------------------------------------------------------------------------
  let pendingG = false;
  function onKey(ev) {
    if (!state.me || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const tag = (ev.target && ev.target.tagName) || "";
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag)) {
      if (ev.key === "Escape") ev.target.blur();
      return;
    }
    const click = (id) => { const el = document.getElementById(id); if (el) { ev.preventDefault(); el.click(); } };
    if (pendingG) {
      pendingG = false;
      if (ev.key === "d") { location.hash = "#/"; ev.preventDefault(); }
      return;
    }
    switch (ev.key) {
      case "g": pendingG = true; return;
      case "/": ev.preventDefault(); document.getElementById("search-box").focus(); return;
      case "?": toast(t("sc_help")); return;
      case "j": case "k": {
        if (state.view && state.view.kind === "request") {
          const i = state.list.indexOf(state.request.id);
          const n = state.list[i + (ev.key === "j" ? 1 : -1)];
          if (i >= 0 && n) location.hash = "#/r/" + n;
          return;
        }
        const rows = [...document.querySelectorAll("[data-id]")];
        if (!rows.length) return;
        state.cursor = Math.max(0, Math.min(rows.length - 1, state.cursor + (ev.key === "j" ? 1 : -1)));
        rows.forEach((r) => r.classList.remove("cursor"));
        const row = rows[state.cursor];
        row.classList.add("cursor");
        const a = row.querySelector("a");
        if (a) a.focus();
        return;
      }
      case "r": click("act-reply"); return;
      case "n": click("act-note"); return;
      case "a": click("act-accept"); return;
      case "c": click("act-close"); return;
      default:
    }
  }

  window.addEventListener("hashchange", route);
  document.addEventListener("keydown", onKey);
  if (document.readyState === "loading") {
    window.addEventListener("DOMContentLoaded", () => start().catch(failed));
  } else {
    start().catch(failed);
  }
})();
