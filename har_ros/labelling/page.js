// The labelling page (served by har_ros/labelling/server.py). No build step, no libraries.
"use strict";
(function () {
  const TOKEN = new URLSearchParams(location.search).get("token") || "";
  const api = (path, extra) => `${path}?token=${encodeURIComponent(TOKEN)}${extra || ""}`;
  const $ = (id) => document.getElementById(id);
  const S = { sess: null, i: 0, lane: 0, cls: "", pending: null, intervals: [], undo: [],
              playing: false, dirty: false, saveTimer: null, lanes: [], lastError: "" };
  let storeKey = "";

  // ---------------------------------------------------------------- time helpers
  const t = (i) => S.sess.times[i];
  const endOf = (i) => (i + 1 < S.sess.times.length ? S.sess.times[i + 1] : t(i) + S.sess.period);
  function frameAt(time) {
    const ts = S.sess.times;
    let lo = 0, hi = ts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (ts[mid] <= time + 1e-9) lo = mid; else hi = mid - 1; }
    return lo;
  }
  const laneTrack = () => S.lanes[S.lane];
  const pct = (time) => (100 * time / S.sess.duration).toFixed(4) + "%";
  function colour(label) {
    let h = 0;
    for (const ch of label) h = (h * 31 + ch.charCodeAt(0)) % 360;
    return label === "unknown" ? "#999" : `hsl(${h}, 65%, 60%)`;
  }
  function say(text) { $("message").textContent = text; }

  // ---------------------------------------------------------------- saving
  function snapshot() { return JSON.stringify({ intervals: S.intervals }); }
  function changed() {
    S.dirty = true;
    try { localStorage.setItem(storeKey, JSON.stringify({ dirty: true, intervals: S.intervals })); }
    catch (e) { /* storage full or disabled: the server copy still counts */ }
    render();
    setStatus("unsaved changes", "");
    clearTimeout(S.saveTimer);
    S.saveTimer = setTimeout(save, 300);
  }
  function setStatus(text, cls) { const el = $("status"); el.textContent = text; el.className = "status " + cls; }
  async function save() {
    clearTimeout(S.saveTimer);
    const body = snapshot();
    try {
      const r = await fetch(api("/api/labels"), { method: "POST", body,
                                                  headers: { "Content-Type": "application/json" } });
      const reply = await r.json();
      if (!r.ok) { S.lastError = reply.error; setStatus("NOT SAVED: " + reply.error, "error"); return; }
      if (snapshot() === body) {
        S.dirty = false;
        localStorage.setItem(storeKey, JSON.stringify({ dirty: false, intervals: S.intervals }));
      }
      S.lastError = "";
      setStatus(`saved ${reply.intervals} interval(s)`, "ok");
    } catch (e) {
      setStatus("NOT SAVED (server unreachable); kept in this browser", "error");
    }
  }
  function flush() {
    if (S.dirty && navigator.sendBeacon) {
      navigator.sendBeacon(api("/api/labels"), new Blob([snapshot()], { type: "application/json" }));
    }
  }
  window.addEventListener("pagehide", flush);
  window.addEventListener("beforeunload", flush);

  // ---------------------------------------------------------------- editing
  function pushUndo() { S.undo.push(JSON.stringify(S.intervals)); if (S.undo.length > 500) S.undo.shift(); }
  function addInterval(start, end, label, track) {
    pushUndo();
    const keep = [];
    for (const iv of S.intervals) {
      if (iv.track !== track || iv.end <= start || iv.start >= end) { keep.push(iv); continue; }
      if (iv.start < start) keep.push({ ...iv, end: start });
      if (iv.end > end) keep.push({ ...iv, start: end });
    }
    keep.push({ start, end, label, track });
    keep.sort((a, b) => a.start - b.start || a.track.localeCompare(b.track));
    S.intervals = keep;
    changed();
  }
  const at = (list, time) => list.find((iv) => iv.start <= time + 1e-9 && time + 1e-9 < iv.end);
  const suggestionHere = () => at(S.sess.suggestions[laneTrack()] || [], t(S.i));
  function accept(corrected) {
    const s = suggestionHere();
    if (!s) { say("no suggestion under the cursor on this track"); return; }
    const label = corrected ? S.cls : s.label;
    if (!corrected && label !== "unknown" && !S.sess.classes.includes(label)) {
      say(`'${label}' is not in the label set: press c to give it the chosen class`); return;
    }
    addInterval(s.start, s.end, label, laneTrack());
    say(`${corrected ? "corrected" : "accepted"}: ${label} ${s.start.toFixed(2)}-${s.end.toFixed(2)} s`);
  }
  function removeHere() {
    const mine = S.intervals.filter((iv) => iv.track === laneTrack());
    const iv = at(mine, t(S.i));
    if (!iv) { say("no interval under the cursor on this track"); return; }
    pushUndo();
    S.intervals = S.intervals.filter((x) => x !== iv);
    changed();
  }
  function undo() {
    if (!S.undo.length) { say("nothing to undo"); return; }
    S.intervals = JSON.parse(S.undo.pop());
    say("undone");
    changed();
  }
  function chooseClass(name) { S.cls = name; renderClasses(); }
  function startMark() {
    S.pending = { track: laneTrack(), start: t(S.i), i: S.i };
    say(`interval started at ${t(S.i).toFixed(2)} s; ] ends it`);
    render();
  }
  function endMark() {
    const p = S.pending;
    if (!p || p.track !== laneTrack()) { say("press [ first on this track"); return; }
    const a = Math.min(p.i, S.i), b = Math.max(p.i, S.i);
    S.pending = null;
    addInterval(t(a), endOf(b), S.cls, p.track);
    say(`marked ${S.cls} ${t(a).toFixed(2)}-${endOf(b).toFixed(2)} s`);
  }

  // ---------------------------------------------------------------- playing
  function setFrame(i) {
    S.i = Math.max(0, Math.min(S.sess.times.length - 1, i));
    $("frame").src = api("/api/frame", `&i=${S.i}`);
    $("time").textContent = `${t(S.i).toFixed(2)} s`;
    $("index").textContent = String(S.i);
    renderCursor();
  }
  function play(on) {
    S.playing = on;
    $("playing").textContent = on ? "playing" : "";
    if (on) { S.playStart = performance.now() - 1000 * t(S.i); if (S.i >= S.sess.times.length - 1) setFrame(0); tick(); }
  }
  function tick() {
    if (!S.playing) return;
    const now = (performance.now() - S.playStart) / 1000;
    const i = frameAt(now);
    if (i >= S.sess.times.length - 1 && now >= endOf(i)) { setFrame(i); play(false); return; }
    if (i !== S.i) setFrame(i);
    setTimeout(tick, 30);
  }

  // ---------------------------------------------------------------- drawing
  function renderClasses() {
    const ol = $("classes");
    ol.innerHTML = "";
    ["unknown", ...S.sess.classes].forEach((c, k) => {
      const li = document.createElement("li");
      const key = k === 0 ? "0" : k <= 9 ? String(k) : "";
      li.textContent = `${key ? key + "  " : ""}${c}`;
      li.dataset.cls = c;
      li.style.borderLeft = `10px solid ${colour(c)}`;
      if (c === S.cls) li.className = "chosen";
      li.onclick = () => chooseClass(c);
      ol.appendChild(li);
    });
  }
  function bar(cls, start, end, label) {
    const d = document.createElement("div");
    d.className = cls;
    d.style.left = pct(start);
    d.style.width = pct(end - start);
    if (label !== undefined) {
      d.style.background = colour(label);
      d.dataset.label = label; d.dataset.start = start; d.dataset.end = end;
      d.title = `${label} ${start.toFixed(2)}-${end.toFixed(2)} s`;
    }
    return d;
  }
  function render() {
    const root = $("lanes");
    root.innerHTML = "";
    S.lanes.forEach((track, k) => {
      const lane = document.createElement("div");
      lane.className = "lane" + (k === S.lane ? " selected" : "");
      lane.dataset.track = track;
      const name = document.createElement("div");
      name.className = "lane-name";
      name.textContent = track || "operator";
      name.onclick = () => { S.lane = k; render(); };
      const body = document.createElement("div");
      body.className = "lane-body";
      for (const [a, b] of S.presence[track] || []) body.appendChild(bar("presence", a, b));
      for (const s of S.sess.suggestions[track] || []) body.appendChild(bar("sug", s.start, s.end, s.label));
      for (const iv of S.intervals) {
        if (iv.track !== track) continue;
        const d = bar("iv", iv.start, iv.end, iv.label);
        d.textContent = iv.label;
        body.appendChild(d);
      }
      if (S.pending && S.pending.track === track) {
        const p = document.createElement("div"); p.className = "pending"; p.style.left = pct(S.pending.start);
        body.appendChild(p);
      }
      const cur = document.createElement("div"); cur.className = "cursor"; body.appendChild(cur);
      body.onclick = (ev) => {
        const r = body.getBoundingClientRect();
        S.lane = k; setFrame(frameAt((ev.clientX - r.left) / r.width * S.sess.duration)); render();
      };
      lane.append(name, body);
      root.appendChild(lane);
    });
    $("pending").textContent = S.pending ? `[ at ${S.pending.start.toFixed(2)} s` : "";
    renderCursor();
  }
  function renderCursor() {
    for (const c of document.querySelectorAll(".cursor")) c.style.left = pct(t(S.i));
  }

  // ---------------------------------------------------------------- keys
  document.addEventListener("keydown", (ev) => {
    if (!S.sess) return;
    const k = ev.key;
    if ((ev.ctrlKey || ev.metaKey) && (k === "z" || k === "Z")) { undo(); ev.preventDefault(); return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const step = ev.shiftKey ? Math.max(1, Math.round(1 / S.sess.period)) : 1;
    if (k === " ") play(!S.playing);
    else if (k === "ArrowRight") { play(false); setFrame(S.i + step); }
    else if (k === "ArrowLeft") { play(false); setFrame(S.i - step); }
    else if (k === "ArrowUp") { S.lane = Math.max(0, S.lane - 1); render(); }
    else if (k === "ArrowDown") { S.lane = Math.min(S.lanes.length - 1, S.lane + 1); render(); }
    else if (/^[0-9]$/.test(k)) {
      const list = ["unknown", ...S.sess.classes];
      if (Number(k) < list.length) chooseClass(list[Number(k)]);
    }
    else if (k === "[") startMark();
    else if (k === "]") endMark();
    else if (k === "a") accept(false);
    else if (k === "c") accept(true);
    else if (k === "Delete" || k === "Backspace") removeHere();
    else if (k === "?") $("help").hidden = !$("help").hidden;
    else if (k === "Escape") { S.pending = null; $("help").hidden = true; render(); }
    else return;
    ev.preventDefault();
  });
  $("help-button").onclick = () => { $("help").hidden = !$("help").hidden; };

  // ---------------------------------------------------------------- start
  async function start() {
    const r = await fetch(api("/api/session"));
    if (!r.ok) { setStatus("cannot load the session: " + (await r.text()), "error"); return; }
    S.sess = await r.json();
    storeKey = "har-ros-label:" + S.sess.labels_path;
    S.lanes = ["", ...S.sess.tracks];
    S.presence = {};
    const last = {};
    S.sess.frame_tracks.forEach((ids, i) => {
      for (const id of ids) {
        const runs = (S.presence[id] = S.presence[id] || []);
        if (last[id] === i - 1 && runs.length) runs[runs.length - 1][1] = endOf(i);
        else runs.push([t(i), endOf(i)]);
        last[id] = i;
      }
    });
    S.intervals = S.sess.intervals.map((iv) => ({ ...iv }));
    S.cls = S.sess.classes[0] || "unknown";
    $("input").textContent = `${S.sess.input} (${S.sess.times.length} frames, ${S.sess.duration.toFixed(1)} s)`;
    $("labels-path").textContent = S.sess.labels_path;
    for (const [key, what] of S.sess.keys) {
      const row = $("keys").insertRow();
      row.insertCell().textContent = key; row.insertCell().textContent = what;
    }
    renderClasses();
    render();
    setFrame(0);
    setStatus(`${S.intervals.length} interval(s) loaded`, "ok");
    let local = null;
    try { local = JSON.parse(localStorage.getItem(storeKey) || "null"); } catch (e) { local = null; }
    if (local && local.dirty && JSON.stringify(local.intervals) !== JSON.stringify(S.intervals)) {
      S.intervals = local.intervals;
      say("restored changes that had not reached the file; saving them now");
      changed();
    }
    document.body.dataset.ready = "1";
  }
  window.harLabel = { state: () => ({ i: S.i, time: t(S.i), lane: laneTrack(), cls: S.cls, playing: S.playing,
                                      intervals: S.intervals, dirty: S.dirty, error: S.lastError }) };
  start();
})();
