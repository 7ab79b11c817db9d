// The outbox: everything this tablet's user wrote that the server does not have yet (answers and
// notes, deficiencies, explanations, photos) kept in IndexedDB, which survives a reload, a closed
// browser and a restarted tablet, and sent from here when there is a link: at once, when the
// browser says it is back online, and on a timer that waits longer after each failure.
// Answers go in batches (API.md: all or nothing; a conflict or an invalid one is taken out and
// the rest sent again), then deficiencies and explanations, then photos, one request each, all
// with their client ids (a request sent twice is stored once) and base revisions.
// Entries belong to the user who wrote them: another user on this tablet neither sees nor sends
// them. Half-typed values are kept here too, as drafts that are never sent.
// The pages listen for "outbox" events ({entry, status, data}) to show each thing's state;
// this script also registers the service worker, says how old a kept page is and warns before
// logging out with changes waiting. It is on every page (base.html).
(function () {
  "use strict";

  var body = document.body;
  var user = body.dataset.user || "";
  var words = JSON.parse(body.dataset.net || "{}");
  var api = body.dataset.api; // "/api/v1/"
  var STORE = "outbox";
  var BUDGET = 300 * 1024 * 1024; // what the outbox may hold; near it, the bar says so
  var DELAYS = [2000, 5000, 10000, 20000, 30000, 60000]; // between tries after a failure
  var MAX_BATCH = 500; // answers per request (services/answers.py)
  var limit = Number(body.dataset.bodyLimit) || 2097152; // the server's body cap, in bytes
  var chunkBytes = limit / 2; // halved again after a 413
  var open = null;

  function db() {
    if (!open) {
      open = new Promise(function (resolve, reject) {
        var request = indexedDB.open("inspection", 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: "id" }).createIndex("user", "user");
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return open;
  }

  // A page kept by the browser for "back" must not hold the database: the next page's opening
  // would wait for it. Closed when the page is hidden, opened again when needed.
  window.addEventListener("pagehide", function () {
    if (open) open.then(function (base) { base.close(); }, function () {});
    open = null;
  });

  // `work` gets the store and returns a request (or an object with a `result`), whose result
  // the promise gives once the transaction is committed.
  function run(mode, work) {
    return db().then(function (base) {
      return new Promise(function (resolve, reject) {
        var t = base.transaction(STORE, mode);
        var request = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(request && request.result); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }

  // This user's entries (of one visit), oldest first.
  function list(visit) {
    if (!user || !window.indexedDB) return Promise.resolve([]);
    return run("readonly", function (store) {
      return store.index("user").getAll(user);
    }).then(function (entries) {
      return entries.filter(function (e) {
        return visit === undefined || String(e.visit) === String(visit);
      }).sort(function (a, b) { return a.seq - b.seq; });
    });
  }

  var seq = 0;
  function put(entry) {
    entry.user = user;
    entry.seq = entry.seq || Date.now() * 1000 + (seq++ % 1000);
    entry.size = (entry.blob ? entry.blob.size : 0) + JSON.stringify(entry.body || {}).length;
    persist();
    return run("readwrite", function (store) { return store.put(entry); }).then(changed);
  }

  function remove(id) {
    return run("readwrite", function (store) { return store["delete"](id); }).then(changed);
  }

  function get(id) {
    return run("readonly", function (store) { return store.get(id); });
  }

  // Kept through the browser's clean-ups when the tablet runs short of space (asked once).
  var persisted = false;
  function persist() {
    if (persisted || !navigator.storage || !navigator.storage.persist) return;
    persisted = true;
    navigator.storage.persist().catch(function () { /* the browser decides */ });
  }

  // Sending ------------------------------------------------------------------------------------

  var csrf = null, checked = false, busy = {}, draining = null, again = false;
  var failures = 0, timer = null, blocked = null; // blocked: "login" until a new session
  var renewed = false; // the CSRF token was read again after a refusal, since the last success

  function tell(entry, status, data) {
    document.dispatchEvent(new CustomEvent("outbox", {
      detail: { entry: entry, status: status, data: data || {} },
    }));
  }

  // Before the first send, and after any failure: the session must be this page's user's (a
  // tablet shared by two inspectors), and its CSRF token is read afresh (API.md).
  function session() {
    if (checked) return Promise.resolve(true);
    return fetch(api + "me", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (r.status === 401) throw "login";
      if (!r.ok) throw "failed";
      return r.json();
    }).then(function (me) {
      if (String(me.user.id) !== user) throw "login"; // someone else's session: theirs to use
      csrf = me.csrf_token;
      checked = true;
      blocked = null;
      return true;
    });
  }

  // One request; a link that stalls is given up after `wait` ms (then tried again later, like
  // any failure). Refusals that pass (busy, rate-limited) are failures too, not refusals.
  function send(method, url, payload, isForm, wait) {
    var headers = { "X-CSRFToken": csrf };
    if (!isForm) headers["Content-Type"] = "application/json";
    var stop = window.AbortController ? new AbortController() : null;
    var stall = stop && window.setTimeout(function () { stop.abort(); }, wait || 30000);
    return fetch(url, {
      method: method, credentials: "same-origin", headers: headers,
      body: isForm ? payload : JSON.stringify(payload), signal: stop && stop.signal,
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        var error = data.error || {};
        window.clearTimeout(stall);
        if (response.status === 401) throw "login";
        if (response.status === 400 && error.code === "csrf_failed") throw "csrf";
        if (response.status >= 500 || /^(0|408|425|429)$/.test(response.status)) throw "failed";
        return { status: response.status, data: data };
      });
    }, function () {
      window.clearTimeout(stall);
      throw "failed";
    });
  }

  // What the server's refusal of one entry makes of it.
  function refusal(status, data) {
    var code = (data.error || {}).code;
    return status === 413 ? "too_large" : status === 409 && code === "conflict" ? "conflict" :
      status === 400 ? "invalid" : "locked"; // the visit closed to it, or no longer this user's
  }

  // Drains every waiting entry of this user: answers per visit in batches, then the rest one by
  // one in the order written. One drain at a time; a call meanwhile runs another after it.
  function drain() {
    if (draining) {
      again = true;
      return draining;
    }
    window.clearTimeout(timer);
    if (!user || !window.indexedDB) return Promise.resolve();
    draining = (navigator.onLine === false ? Promise.resolve() : ready).then(function () {
      return list();
    }).then(function (entries) {
      var pause = (Date.now() - 5000) * 1000; // "typing" left that long ago: the typing is over
      var unsent = {}; // deficiencies not stored yet, by client id: their photos wait for them
      entries.forEach(function (e) {
        if (e.kind === "finding") unsent[e.body.client_id] = true;
      });
      var waiting = entries.filter(function (e) {
        return e.kind !== "draft" && !busy[e.id] &&
          (!e.state || (e.state === "typing" && e.seq < pause)) &&
          !(e.kind === "photo" && unsent[e.body.finding_client_id] && e.body.finding_client_id);
      });
      if (!waiting.length) return;
      return (navigator.onLine === false ? Promise.reject("failed") : session()).catch(function (why) {
        waiting.forEach(function (e) { tell(e, why === "login" ? "login" : "waiting"); });
        throw why;
      }).then(function () {
        var answers = {}, rest = [];
        waiting.forEach(function (e) {
          if (e.kind === "answer") (answers[e.visit] = answers[e.visit] || []).push(e);
          else rest.push(e);
        });
        var chain = Promise.resolve();
        Object.keys(answers).forEach(function (visit) {
          chain = chain.then(function () { return batches(visit, answers[visit]); });
        });
        // Deficiencies before photos (a photo may name a deficiency by its client id).
        rest.sort(function (a, b) { return (a.kind === "photo") - (b.kind === "photo"); });
        rest.forEach(function (e) {
          chain = chain.then(function () { return one(e); });
        });
        return chain;
      });
    }).then(function () {
      failures = 0;
      renewed = false;
    }, function (why) {
      checked = false;
      if (why === "csrf" && !renewed) { // a session renewed elsewhere: its token, once, at once
        renewed = again = true;
        return;
      }
      if (why === "login") blocked = "login";
      failures += 1;
      timer = window.setTimeout(drain, DELAYS[Math.min(failures - 1, DELAYS.length - 1)]);
      if (why !== "login" && why !== "failed") window.console.error(why);
    }).then(function () {
      draining = null;
      changed();
      if (again) {
        again = false;
        return drain();
      }
    });
    return draining;
  }

  // A visit's answers in requests under the body cap; what the server refuses is marked and
  // taken out, the rest sent again at once.
  function batches(visit, entries) {
    var chunk = [], size = 0, chain = Promise.resolve();
    var flush = function (part) {
      chain = chain.then(function () { return batch(visit, part); });
    };
    entries.forEach(function (e) {
      var bytes = new Blob([JSON.stringify(e.body)]).size + 8;
      if (chunk.length && (size + bytes > chunkBytes || chunk.length >= MAX_BATCH)) {
        flush(chunk);
        chunk = [];
        size = 0;
      }
      chunk.push(e);
      size += bytes;
    });
    if (chunk.length) flush(chunk);
    return chain;
  }

  // Only what is still waiting as it was read (not undone, replaced or refused meanwhile).
  function fresh(entries) {
    return run("readonly", function (store) {
      var still = [];
      entries.forEach(function (entry) {
        var read = store.get(entry.id);
        read.onsuccess = function () {
          var now = read.result;
          if (now && now.seq === entry.seq && (!now.state || now.state === "typing")) {
            still.push(entry);
          }
        };
      });
      return { result: still };
    });
  }

  function batch(visit, entries) {
    return fresh(entries).then(function (still) { return sendBatch(visit, still); });
  }

  function sendBatch(visit, entries) {
    if (!entries.length) return Promise.resolve();
    entries.forEach(function (e) {
      busy[e.id] = true;
      tell(e, "sending");
    });
    var release = function () { entries.forEach(function (e) { delete busy[e.id]; }); };
    var url = api + "visits/" + visit + "/answers";
    var payload = { answers: entries.map(function (e) { return e.body; }) };
    return send("POST", url, payload).then(function (reply) {
      release();
      var data = reply.data, results = data.results || [];
      if (reply.status === 413) {
        if (entries.length > 1) { // in halves, until one answer alone is too large
          var half = Math.ceil(entries.length / 2);
          chunkBytes = Math.max(1024, chunkBytes / 2);
          return batch(visit, entries.slice(0, half)).then(function () {
            return batch(visit, entries.slice(half));
          });
        }
        return refuse(entries[0], "too_large", data);
      }
      if (reply.status === 200) {
        return done(entries, entries.map(function (e, i) {
          return { answer: (results[i] || {}).answer, visit: data.visit };
        }));
      }
      if (results.length !== entries.length) { // the whole visit refused (its state, access)
        return Promise.all(entries.map(function (e) {
          return refuse(e, refusal(reply.status, {}), data);
        }));
      }
      var retry = [];
      return Promise.all(entries.map(function (e, i) {
        var r = results[i];
        if (r.status === "ok") {
          retry.push(e);
          return null;
        }
        return refuse(e, r.status, r);
      })).then(function () { return sendBatch(visit, retry); });
    }, function (why) {
      release();
      entries.forEach(function (e) { tell(e, why === "login" ? "login" : "waiting"); });
      throw why;
    });
  }

  function one(entry) {
    return fresh([entry]).then(function (still) { if (still.length) return sendOne(entry); });
  }

  function sendOne(entry) {
    var visit = api + "visits/" + entry.visit;
    busy[entry.id] = true;
    tell(entry, "sending");
    var request;
    try {
      if (entry.kind === "finding") {
        request = send("POST", visit + "/findings", entry.body);
      } else if (entry.kind === "explanation") {
        request = send("PUT", visit + "/checks/" + encodeURIComponent(entry.key), entry.body);
      } else {
        var form = new FormData();
        Object.keys(entry.body).forEach(function (name) {
          if (entry.body[name] !== null && entry.body[name] !== undefined) {
            form.append(name, entry.body[name]);
          }
        });
        form.append("file", entry.blob, entry.name || "photo.jpg");
        // A photo's time grows with its size: a slow link moves ~20 KB a second.
        request = send("POST", visit + "/photos", form, true, 30000 + entry.blob.size / 20);
      }
    } catch (e) { // an entry this page cannot send (a photo's file gone): kept, said, not retried
      delete busy[entry.id];
      return refuse(entry, "invalid", { error: { message: String(e) } });
    }
    return request.then(function (reply) {
      delete busy[entry.id];
      if (reply.status < 300) return done([entry], [reply.data]);
      return refuse(entry, refusal(reply.status, reply.data), reply.data);
    }, function (why) {
      delete busy[entry.id];
      tell(entry, why === "login" ? "login" : "waiting");
      throw why;
    });
  }

  // Stored: gone from the outbox (a whole batch in one transaction), unless replaced meanwhile
  // by a newer answer to the item, which is then based on the one just stored; then the pages
  // are told.
  function done(entries, replies) {
    return run("readwrite", function (store) {
      entries.forEach(function (entry, i) {
        var read = store.get(entry.id);
        read.onsuccess = function () {
          var now = read.result, answer = replies[i].answer;
          if (now && now.seq === entry.seq) {
            store["delete"](entry.id);
          } else if (now && answer && now.body.base_revision === entry.body.base_revision) {
            now.body.base_revision = answer.revision;
            store.put(now);
          }
        };
      });
    }).then(function () {
      entries.forEach(function (entry, i) {
        tell(entry, "ok", replies[i]);
        if (entry.kind === "finding") again = true; // its photos may go now
      });
      changed();
    });
  }

  // Refused: kept, marked, not sent again until the page replaces or drops it; the page shows why.
  function refuse(entry, state, data) {
    return run("readwrite", function (store) {
      var read = store.get(entry.id);
      read.onsuccess = function () {
        var now = read.result;
        if (!now || now.seq !== entry.seq) return; // replaced meanwhile: the newer one waits
        now.state = state;
        now.error = data; // the server's reply, or the batch's result for this entry
        store.put(now);
      };
    }).then(function () {
      tell(entry, state, data);
      changed();
    });
  }

  // The bar: offline or not, how many changes wait, a login to renew, a kept copy's age --------

  var bar = null, later = null;
  function changed() { // at most every 100 ms: a batch of 500 changes the outbox 500 times
    if (!user || later) return;
    later = window.setTimeout(function () {
      later = null;
      count();
    }, 100);
  }

  function count() {
    list().then(function (entries) {
      var waiting = entries.filter(function (e) { return e.kind !== "draft"; });
      var refused = waiting.filter(function (e) {
        return e.state && e.state !== "typing";
      }).length;
      var size = waiting.reduce(function (n, e) { return n + (e.size || 0); }, 0);
      // Near the outbox's budget, or the browser's room for this site (the kept pages too).
      var room = navigator.storage && navigator.storage.estimate ?
        navigator.storage.estimate() : Promise.resolve({});
      return room.then(function (got) {
        show(waiting.length, refused, size > BUDGET * 0.8 || got.usage > got.quota * 0.8);
      });
    }).catch(function () { show(0, 0, false); });
  }

  function changes(n) {
    return (n === 1 ? words.one : words.many).replace("{n}", n);
  }

  // With a link, what waits is said once it has waited 2 s: a save that goes through at once
  // says nothing here (its item says it), and the bar does not flash at every tap.
  var since = 0;
  function show(n, refused, full) {
    var parts = [], online = navigator.onLine !== false, quiet = false;
    if (!online) parts.push(words.offline);
    if (!n || !online || refused || blocked) {
      since = 0;
    } else {
      since = since || Date.now();
      quiet = Date.now() - since < 2000;
      if (quiet) window.setTimeout(changed, since + 2000 - Date.now());
    }
    if (n && !quiet) parts.push(changes(n));
    if (refused) parts.push(words.refused.replace("{n}", refused));
    if (blocked === "login" && n) parts.push(words.login);
    if (full) parts.push(words.full);
    if (kept) parts.push(kept);
    if (!bar) {
      bar = document.createElement("p");
      bar.className = "netbar";
      bar.setAttribute("role", "status");
      document.querySelector("main").prepend(bar);
    }
    bar.hidden = !parts.length;
    if (parts.length) body.classList.add("netbar-room"); // kept: the page never shrinks under it
    bar.textContent = parts.join(" — ");
    bar.dataset.outbox = n;
    if (blocked === "login" && n) {
      var link = document.createElement("a");
      link.href = body.dataset.login + "?next=" + encodeURIComponent(location.pathname);
      link.textContent = words.relogin;
      bar.append(" ", link);
    }
    if (refused) { // what the server will not take (the visit closed to it): the user's to drop
      var drop = document.createElement("button");
      drop.type = "button";
      drop.className = "link";
      drop.textContent = words.discard;
      drop.addEventListener("click", function () {
        if (!window.confirm(words.confirm_discard.replace("{n}", refused))) return;
        list().then(function (entries) {
          return Promise.all(entries.filter(function (e) {
            return e.kind !== "draft" && e.state && e.state !== "typing";
          }).map(function (e) { return remove(e.id); }));
        }).then(function () { location.reload(); });
      });
      bar.append(" ", drop);
    }
  }

  // A page the service worker took from its cache (inspection/offline/sw.js marks it) says when
  // the server made it.
  var kept = "";
  var made = Number(body.dataset.at);
  if (made && body.hasAttribute("data-kept")) {
    var at = new Date(made);
    kept = words.copy.replace("{time}", pad(at.getHours()) + ":" + pad(at.getMinutes()) + " " +
      pad(at.getDate()) + "/" + pad(at.getMonth() + 1) + "/" + at.getFullYear());
  }

  // The pages kept for offline work dropped, with what the visit pages remember of them.
  function dropPages() {
    try {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        if (localStorage.key(i).indexOf("inspection.prepared.") === 0) {
          localStorage.removeItem(localStorage.key(i));
        }
      }
    } catch (e) { /* private mode: nothing was remembered */ }
    return caches["delete"]("inspection-pages");
  }

  // Another user logged in on this tablet: the kept pages were the last one's.
  var OWNER = "inspection.owner";
  if (user && window.caches) {
    try {
      if (localStorage.getItem(OWNER) !== user) {
        dropPages();
        localStorage.setItem(OWNER, user);
      }
    } catch (e) { /* private mode: nothing was kept either */ }
  }

  // Logging out with changes waiting asks first (they wait for this user's next login), and
  // leaves no page of this user's kept on the tablet.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-logout]") || form.dataset.confirmed) return;
    event.preventDefault();
    list().then(function (entries) {
      var n = entries.filter(function (e) { return e.kind !== "draft"; }).length;
      return !n || window.confirm(words.logout.replace("{n}", n));
    }, function () { return true; }).then(function (go) {
      if (!go) return;
      // Logged out on the server first; only then are this user's kept pages dropped (offline,
      // the form posts as without this script, and nothing is dropped).
      return fetch(form.action, {
        method: "POST", credentials: "same-origin", body: new FormData(form),
      }).then(function (response) {
        if (!response.ok) throw response.status;
        return window.caches && dropPages();
      }).then(function () {
        location.assign(body.dataset.login);
      }, function () {
        form.dataset.confirmed = "1";
        form.submit();
      });
    });
  });

  // A client id (API.md: a UUID) for something written here.
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) {
      return (x + 0x100).toString(16).slice(1);
    }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  // A moment as this tablet's clock says it, ISO 8601 with its offset (API.md).
  function localTime(ms) {
    var d = new Date(ms), off = -d.getTimezoneOffset(), sign = off < 0 ? "-" : "+";
    off = Math.abs(off);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + sign +
      pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // A page's script that shows what waits (its items, photos, deficiencies) hands its reading
  // of the outbox here: a drain with a link waits for the readings, whatever starts it (the link
  // may come back while the page is still loading), so that no reply comes before the page knows
  // what it answers. Not over 10 s: a reading that fails or hangs, or a script that never
  // arrives (the link lost while the page loaded), holds nothing up; the page shows less.
  var readings = [];
  function wait(reading) {
    readings.push(reading.catch(function () {}));
  }
  var ready = new Promise(function (resolve) {
    window.setTimeout(resolve, 10000);
    document.addEventListener("DOMContentLoaded", function () { // every page script has run
      Promise.all(readings).then(function () { resolve(); });
    });
  });

  window.inspectionOutbox = {
    put: put, remove: remove, get: get, list: list, drain: drain, user: user, uuid: uuid,
    localTime: localTime, wait: wait,
  };

  // Tried again at once when the link returns, when the tablet wakes this tab, and when a login
  // in another tab opens a new session (its page says so on this channel).
  function now() {
    failures = 0;
    checked = false;
    drain();
  }

  if (user && window.indexedDB) {
    window.addEventListener("online", now);
    window.addEventListener("offline", changed);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && failures) now();
    });
    if (window.BroadcastChannel) {
      var channel = new BroadcastChannel("inspection-session");
      channel.onmessage = function () { if (failures) now(); };
      channel.postMessage(user);
    }
    changed();
    ready.then(drain);
  }
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(body.dataset.sw).catch(function () {
      /* not allowed here (blocked, or a private window): pages need the network */
    });
  }
})();
