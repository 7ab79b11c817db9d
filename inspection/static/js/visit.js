// The checklist page: save each answer through the API as it is given, show per item whether it
// is saving, saved or failed, retry failed saves, and show or hide items that depend on others.
// Without this script the same forms post to the server and everything still works.
(function () {
  "use strict";

  var root = document.querySelector(".visit[data-visit]");
  if (!root || !window.fetch) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var apiTemplate = root.dataset.api;
  var meUrl = root.dataset.me;
  var scoreUrl = root.dataset.score;
  var lang = document.documentElement.lang || "vi";
  var numberFormat = new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB", {
    maximumFractionDigits: 2,
  });
  var items = {};
  var pending = {}; // item key -> the latest write not yet stored
  var sending = {}; // item key -> true while a write of it is on its way
  var RETRY_DELAYS = [1000, 2000, 5000, 10000, 20000, 30000];

  Array.prototype.forEach.call(root.querySelectorAll(".item[data-key]"), function (el) {
    items[el.dataset.key] = el;
  });

  function valueOf(el) {
    return JSON.parse(el.dataset.value || "null");
  }

  function formatNumber(n) {
    return numberFormat.format(n);
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) {
      return (x + 0x100).toString(16).slice(1);
    }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  function setState(el, state, text) {
    var out = el.querySelector("[data-state]");
    el.dataset.state = state;
    out.textContent = text || root.dataset[state] || "";
  }

  function sameValue(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  // Visibility: an item applies when its controller applies and has the expected answer.
  function visible(key, seen) {
    var el = items[key];
    if (!el || !el.dataset.showIf) return true;
    seen = seen || {};
    if (seen[key]) return false;
    seen[key] = true;
    var rule = JSON.parse(el.dataset.showIf);
    var controller = items[rule.item];
    if (!controller) return false;
    var value = valueOf(controller);
    return visible(rule.item, seen) && value !== null && value !== "na" &&
      sameValue(typeof value === "number" ? Number(value) : value, rule.equals);
  }

  function refreshVisibility() {
    Object.keys(items).forEach(function (key) {
      items[key].hidden = !visible(key);
    });
  }

  // What the form says the answer is, for the submit button that was pressed.
  function readAnswer(el, form, submitter) {
    var kind = el.dataset.type;
    var body = { note: form.elements.note ? form.elements.note.value : "" };
    var pressed = submitter ? submitter.value : "";
    if (submitter && submitter.name === "action" && submitter.value === "note") {
      body.value = valueOf(el);
    } else if (pressed === "na") {
      body.value = "na";
    } else if (kind === "yes_no" || kind === "choice") {
      body.value = pressed || null;
    } else if (kind === "ratio") {
      var num = form.elements.num.value.trim();
      var den = form.elements.den.value.trim();
      body.value = num === "" && den === "" ? null : { num: toWhole(num), den: toWhole(den) };
    } else if (kind === "score" || kind === "number") {
      var raw = form.elements.number.value;
      body.value = raw.trim() === "" ? null : parseNumber(raw);
    } else {
      var text = form.elements.text.value.trim();
      body.value = text === "" ? null : text;
    }
    return body;
  }

  // A number typed as the page writes them ("1.240,5" in Vietnamese, "1,240.5" in English);
  // the other separator alone is read as the decimal one, unless it groups thousands. The same
  // rule as formatting.parse_number on the server. Not a number: sent as typed, refused there.
  function parseNumber(text) {
    var raw = text.replace(/[\s\u00a0]/g, "");
    var decimal = lang === "vi" ? "," : ".";
    var group = decimal === "," ? "." : ",";
    var esc = function (c) { return c === "." ? "\\." : c; };
    var grouped = new RegExp("^-?\\d{1,3}(" + esc(group) + "\\d{3})+(" + esc(decimal) + "\\d+)?$");
    if (grouped.test(raw)) raw = raw.split(group).join("");
    if (!/^-?\d+([.,]\d+)?$/.test(raw)) return text.trim();
    var number = Number(raw.replace(",", "."));
    return isFinite(number) ? number : text.trim(); // Infinity goes out as null: a clearing
  }

  function toWhole(text) {
    return /^\d+$/.test(text) ? parseInt(text, 10) : text;
  }

  function showAnswer(el, answer) {
    el.dataset.value = JSON.stringify(answer.value);
    el.dataset.revision = answer.revision;
    var form = el.querySelector("form");
    form.elements.base_revision.value = answer.revision;
    Array.prototype.forEach.call(el.querySelectorAll("button.answer"), function (button) {
      button.setAttribute("aria-pressed", String(button.value === answer.value));
    });
    var kind = el.dataset.type;
    if (kind === "ratio" && answer.value && typeof answer.value === "object") {
      form.elements.num.value = answer.value.num;
      form.elements.den.value = answer.value.den;
    } else if ((kind === "score" || kind === "number") && typeof answer.value === "number") {
      form.elements.number.value = formatNumber(answer.value);
    } else if ((kind === "text" || kind === "date") && form.elements.text) {
      form.elements.text.value = answer.value || "";
    }
    if (form.elements.note && answer.note !== undefined) form.elements.note.value = answer.note;
    var score = el.querySelector("[data-item-score]");
    if (score && answer.max !== null && answer.max !== undefined) {
      score.textContent = formatNumber(answer.score) + " / " + formatNumber(answer.max);
    }
    el.classList.toggle("failed", answer.max !== null && answer.score !== null &&
      answer.score < answer.max && answer.value !== null && answer.value !== "na");
    updatePercent(el);
  }

  function updatePercent(el) {
    var out = el.querySelector("[data-percent]");
    if (!out) return;
    var form = el.querySelector("form");
    var num = Number(form.elements.num.value), den = Number(form.elements.den.value);
    out.textContent = den > 0 && num >= 0 && num <= den ?
      formatNumber(Math.round((num / den) * 10000) / 100) + " %" : "";
  }

  function showStatus(status) {
    var node = root.querySelector("[data-status]");
    var labels = JSON.parse(root.dataset.statuses || "{}");
    if (node && labels[status]) node.textContent = labels[status];
  }

  // After a conflict the page shows another person's answer: the score follows it.
  function refreshScore() {
    fetch(scoreUrl, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (score) {
      if (score) showScore(score);
    }).catch(function () { /* the next save brings the score */ });
  }

  function showScore(score) {
    function put(sel, text) {
      var node = root.querySelector(sel);
      if (node) node.textContent = text;
    }
    put("[data-total]", formatNumber(score.total));
    put("[data-max]", formatNumber(score.max));
    put("[data-percent-total]", score.percent === null ? "" : formatNumber(score.percent) + " %");
    put("[data-band]", score.band || "");
    put("[data-answered]", score.answered);
    put("[data-answerable]", score.answerable);
    put("[data-full]", score.full_marks);
    put("[data-scorable]", score.scorable);
    score.sections.forEach(function (section) {
      var node = root.querySelector('[data-section="' + section.key + '"] [data-subtotal]');
      if (node) node.textContent = formatNumber(section.score) + " / " + formatNumber(section.max);
    });
  }

  function save(key) {
    var write = pending[key];
    if (!write || sending[key]) return;
    var el = items[key];
    sending[key] = true;
    // Writes of one item go one at a time, each based on the revision the previous one returned,
    // so only someone else's change in between is a conflict. A retry keeps its client id.
    write.body.base_revision = Number(el.dataset.revision);
    write.body.client_id = write.body.client_id || uuid();
    keep(key);
    setState(el, "saving");
    var url = apiTemplate.replace(/KEY$/, encodeURIComponent(key));
    fetch(url, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(write.body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        sending[key] = false;
        if (pending[key] !== write) { // a newer answer was given meanwhile: send that one,
          if (response.ok) setRevision(el, data.revision); // based on the one just stored
          save(key);
          return;
        }
        if (response.ok) {
          forget(key);
          showAnswer(el, data);
          if (data.visit) {
            showScore(data.visit.score);
            showStatus(data.visit.status);
          }
          if (data.replayed) refreshScore(); // sent again after a reload: the score may be newer
          refreshVisibility();
          setState(el, "saved");
        } else if (response.status === 409 && data.current) {
          forget(key);
          showAnswer(el, data.current);
          refreshVisibility();
          setState(el, "conflict");
          refreshScore();
        } else if (response.status === 409 || response.status === 403) {
          forget(key);
          setState(el, "locked");
        } else if (response.status === 400 && data.error && data.error.code === "csrf_failed") {
          // The session changed (logged in again after it expired): take its token and resend
          // once at once; if that fails too, the usual retries.
          freshToken().then(function (outcome) {
            if (outcome === "renewed" && !write.renewed) {
              write.renewed = true;
              save(key);
            } else {
              retry(key, write, outcome === "login" ? "login" : undefined);
            }
          });
        } else if (response.status === 400) {
          forget(key);
          setState(el, "invalid", root.dataset.invalid + " " + el.dataset.hint);
        } else if (response.status === 401) {
          // Logged out (elsewhere, or the session ended): keep the answer, ask for a login, and
          // keep trying; once logged in again in another tab, the next try goes through.
          retry(key, write, "login");
        } else {
          retry(key, write);
        }
      });
    }).catch(function () {
      sending[key] = false;
      retry(key, write);
    });
  }

  function setRevision(el, revision) {
    el.dataset.revision = revision;
    el.querySelector("form").elements.base_revision.value = revision;
  }

  function retry(key, write, state) {
    if (pending[key] !== write) return save(key);
    var delay = RETRY_DELAYS[Math.min(write.attempts, RETRY_DELAYS.length - 1)];
    write.attempts += 1;
    setState(items[key], state || (navigator.onLine === false ? "offline" : "failed"));
    window.setTimeout(function () { save(key); }, delay);
  }

  // One request for the session's CSRF token however many items are waiting for it: "renewed"
  // (the token of the session now open), "login" (no session: log in again) or "error".
  var tokenRequest = null;
  function freshToken() {
    if (!tokenRequest) {
      tokenRequest = fetch(meUrl, { credentials: "same-origin" }).then(function (response) {
        if (response.status === 401) return "login";
        return response.ok ? response.json().then(function (data) {
          if (!data.csrf_token) return "error";
          csrf = data.csrf_token;
          return "renewed";
        }) : "error";
      }).catch(function () {
        return "error";
      }).then(function (outcome) {
        tokenRequest = null;
        return outcome;
      });
    }
    return tokenRequest;
  }

  // Answers not stored yet survive a closed tab, a reload or a flat battery: each is kept in
  // this browser (under its visit, user and item, so two tabs never overwrite each other's)
  // until the server has it, and sent when the page opens again.
  var storePrefix = "inspection.pending." + root.dataset.visit + "." + root.dataset.user + ".";

  function keep(key) {
    try {
      localStorage.setItem(storePrefix + key, JSON.stringify(pending[key].body));
    } catch (e) { /* storage full or turned off: the answer stays in this page's memory */ }
  }

  function forget(key) {
    delete pending[key];
    try { localStorage.removeItem(storePrefix + key); } catch (e) { /* nothing was kept */ }
  }

  function restore() {
    var kept = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var name = localStorage.key(i);
        if (name.indexOf(storePrefix) === 0) kept.push(name.slice(storePrefix.length));
      }
    } catch (e) { return; }
    kept.forEach(function (key) {
      var el = items[key], body = null;
      try { body = JSON.parse(localStorage.getItem(storePrefix + key)); } catch (e) { body = null; }
      var open = el && !el.querySelector("fieldset.answer-row[disabled]");
      if (!open || !body || typeof body !== "object" || !("value" in body)) {
        localStorage.removeItem(storePrefix + key); // unreadable, or the visit takes no answers
        return;
      }
      // The form shows the answer as given, on the revision it was given on.
      showAnswer(el, { value: body.value, note: body.note, revision: body.base_revision });
      pending[key] = { body: body, attempts: 0 };
    });
    refreshVisibility();
    Object.keys(pending).forEach(save);
  }

  function queue(key, body) {
    var el = items[key];
    var waiting = pending[key];
    if (waiting && waiting.body.note === body.note && sameValue(waiting.body.value, body.value)) {
      return; // the same answer is already on its way (a field's change, then its Save button)
    }
    // The revision this answer was given on, and its id: kept with it (see persist) so that
    // sending it again after a reload is a replay or a conflict, never a silent overwrite.
    body.base_revision = Number(el.dataset.revision);
    body.client_id = uuid();
    pending[key] = { body: body, attempts: 0 };
    keep(key);
    // Show the choice at once; the server's answer confirms it.
    Array.prototype.forEach.call(el.querySelectorAll("button.answer"), function (button) {
      button.setAttribute("aria-pressed", String(button.value === body.value));
    });
    el.dataset.value = JSON.stringify(body.value);
    refreshVisibility();
    save(key);
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    var el = form.closest(".item[data-key]");
    if (!el) return;
    event.preventDefault();
    queue(el.dataset.key, readAnswer(el, form, event.submitter));
  });

  // Typed answers save when the field is left, without a tap on "Save".
  root.addEventListener("change", function (event) {
    var field = event.target;
    var el = field.closest(".item[data-key]");
    if (!el || field.name === "note" || !/^(num|den|number|text)$/.test(field.name)) return;
    var form = el.querySelector("form");
    var body = readAnswer(el, form, null);
    if (el.dataset.type === "ratio" && (form.elements.num.value === "" || form.elements.den.value === "")) return;
    queue(el.dataset.key, body);
  });

  root.addEventListener("input", function (event) {
    var el = event.target.closest(".item[data-type=ratio]");
    if (el) updatePercent(el);
  });

  window.addEventListener("online", function () {
    Object.keys(pending).forEach(save);
  });

  // Leaving with unsaved answers asks first.
  window.addEventListener("beforeunload", function (event) {
    if (Object.keys(pending).length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  root.classList.add("js");
  restore();
})();
