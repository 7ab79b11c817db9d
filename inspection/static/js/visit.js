// The checklist page: keep each answer and note in the outbox as it is given (a note or text
// while it is typed; static/js/outbox.js sends it, at once or when the link returns), show per
// item whether it is waiting, saving, saved or refused, keep what was typed through someone
// else's change, and show or hide items that depend on others.
// Without this script the same forms post to the server and everything still works.
// An item's `data-input` (tap, number, ratio, date, text; checklist/items.py) says how its fields
// hold the answer; the script never asks for the item's type.
(function () {
  "use strict";

  var root = document.querySelector(".visit[data-visit]");
  var outbox = window.inspectionOutbox;
  if (!root || !window.fetch || !outbox || !window.indexedDB) return;
  var visitId = root.dataset.visit;
  var scoreUrl = root.dataset.score;
  var lang = document.documentElement.lang || "vi";
  var numberFormat = new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB", {
    maximumFractionDigits: 2,
  });
  var items = {};
  var pending = {}; // item key -> the latest write not yet stored (kept in the outbox)
  var sending = {}; // item key -> true while a write of it is on its way
  var timers = {}; // item key -> the timer of a save waiting for the typing to pause
  var stored = {}; // item key -> what the server has ({value, note}): not sent again
  var held = {}; // item key -> the revision a change was typed on, kept after a conflict, not sent
  var drafts = {}; // item key -> a ratio with one of its two numbers typed: not sent, kept
  var TYPING_DELAY = 1000; // a note saves this long after the last key, or when it is left

  Array.prototype.forEach.call(root.querySelectorAll(".item[data-input]"), function (el) {
    items[keyOf(el)] = el;
    var note = el.querySelector("textarea[name=note]");
    stored[keyOf(el)] = { value: valueOf(el), note: note ? note.defaultValue : "" };
  });

  // An item's key, from its id ("item-" + key: the address the other pages link to).
  function keyOf(el) {
    return el.id.slice(5);
  }

  function valueOf(el) {
    return JSON.parse(el.dataset.value || "null");
  }

  function formatNumber(n) {
    return numberFormat.format(n);
  }

  function setState(el, state, text) {
    var out = el.querySelector("[data-state]");
    el.dataset.state = state;
    out.textContent = text || root.dataset[state] || "";
    if (state !== "conflict") dropKeep(el);
  }

  // "Saved" (or nothing to say), unless a ratio has one of its numbers only: then the item says so.
  function settle(el, state) {
    setState(el, (state === "saved" || state === "") && halfRatio(el) ? "incomplete" : state);
  }

  function sorted(value) { // {num, den} in one order whatever order the server keeps its keys in
    if (!value || typeof value !== "object") return value;
    var copy = {};
    Object.keys(value).sort().forEach(function (k) { copy[k] = value[k]; });
    return copy;
  }

  function sameValue(a, b) {
    return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
  }

  function sameAnswer(a, b) {
    return (a.note || "") === (b.note || "") && sameValue(a.value, b.value);
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

  // What the form says the answer is, for the submit button that was pressed (NOTE_ONLY: the
  // note, with the answer as it stands), and the fields it was read from as they were then (for
  // "Not applicable" too: its answer empties them).
  var NOTE_ONLY = { name: "action", value: "note" };
  function readAnswer(el, form, submitter) {
    var kind = el.dataset.input;
    var fields = {};
    var read = function (name) {
      fields[name] = form.elements[name].value;
      return fields[name].trim();
    };
    var body = { note: form.elements.note ? form.elements.note.value : "" };
    if (form.elements.note) fields.note = body.note;
    var pressed = submitter ? submitter.value : "";
    if (submitter && submitter.name === "action" && submitter.value === "note") {
      body.value = valueOf(el);
      return { body: body, fields: fields };
    }
    var typed = null;
    if (kind === "ratio") {
      var num = read("num"), den = read("den");
      typed = num === "" && den === "" ? null : { num: toWhole(num), den: toWhole(den) };
    } else if (kind === "number") {
      var raw = read("number");
      typed = raw === "" ? null : parseNumber(raw);
    } else if (kind === "date" || kind === "text") {
      var text = read("text");
      typed = text === "" ? null : kind === "date" ? parseDate(text) : text;
    }
    if (pressed === "na") {
      body.value = "na";
    } else if (kind === "tap") {
      body.value = pressed || null;
    } else {
      body.value = typed;
    }
    return { body: body, fields: fields };
  }

  // The answer the item's form shows as it stands: the choice shown, or what its fields say
  // (the stored "Not applicable" while nothing is typed over it, the stored value while a ratio
  // has one number only), and its note.
  function formAnswer(el) {
    var form = el.querySelector("form");
    if (el.dataset.input === "tap" || halfRatio(el)) {
      var tapped = readAnswer(el, form, NOTE_ONLY);
      if (el.dataset.mine) tapped.body.value = JSON.parse(el.dataset.mine); // after a conflict
      return tapped;
    }
    var answer = readAnswer(el, form, null);
    if (answer.body.value === null && valueOf(el) === "na") answer.body.value = "na";
    return answer;
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

  // A date typed as the page writes them, dd/mm/yyyy (or d/m/yyyy, with ".", "-" or a space
  // instead of "/", or ddmmyyyy), or YYYY-MM-DD: sent as YYYY-MM-DD. The same rule as
  // formatting.parse_date on the server. Not a date: sent as typed, refused there.
  function parseDate(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text), y, mo, d;
    if (m) {
      y = +m[1]; mo = +m[2]; d = +m[3];
    } else if ((m = /^(\d{1,2})([\/.\- ])(\d{1,2})\2(\d{4})$/.exec(text) ||
                /^(\d{2})()(\d{2})(\d{4})$/.exec(text))) {
      d = +m[1]; mo = +m[3]; y = +m[4];
    } else {
      return text;
    }
    var leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    var days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
    if (!y || !days || d < 1 || d > days) return text;
    var pad = function (n, width) { return ("000" + n).slice(-width); };
    return pad(y, 4) + "-" + pad(mo, 2) + "-" + pad(d, 2);
  }

  function formatDate(value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
    return m ? m[3] + "/" + m[2] + "/" + m[1] : value || "";
  }

  function showChoice(el, value) {
    el.dataset.value = JSON.stringify(value);
    Array.prototype.forEach.call(el.querySelectorAll("button.answer"), function (button) {
      button.setAttribute("aria-pressed", String(button.value === value));
    });
  }

  // What an item's fields show for an answer (field name -> text), as the server writes them.
  function shown(el, value, note) {
    var kind = el.dataset.input, fields = {};
    var text = function (v) {
      return v === undefined || v === null || v === "na" ? "" : String(v);
    };
    if (kind === "ratio") {
      var ratio = value && typeof value === "object" ? value : {};
      fields.num = text(ratio.num);
      fields.den = text(ratio.den);
    } else if (kind === "number") {
      fields.number = typeof value === "number" ? formatNumber(value) : text(value);
    } else if (kind === "date") {
      fields.text = formatDate(text(value));
    } else if (kind === "text") {
      fields.text = text(value);
    }
    if (note !== undefined) fields.note = note || "";
    return fields;
  }

  // The answer the server returned. `since`: what the fields held before it, by name (those a
  // write was read from, or after a conflict those of the copy the server had); a field changed
  // since keeps what was typed, as does, after a write (not `conflict`), the field being typed
  // in. Without `since` (an answer restored from this browser) every field is set. Returns
  // whether a field kept something other than this answer.
  function showAnswer(el, answer, since, conflict) {
    showChoice(el, answer.value);
    setRevision(el, answer.revision);
    var form = el.querySelector("form"), kept = false;
    var wanted = shown(el, answer.value, answer.note);
    Object.keys(wanted).forEach(function (name) {
      var field = form.elements[name];
      if (!field) return;
      if (since && (since[name] !== field.value ||
                    (!conflict && field === document.activeElement))) {
        kept = kept || field.value !== wanted[name];
        return;
      }
      field.value = wanted[name];
    });
    var score = el.querySelector("[data-item-score]");
    if (score && answer.max !== undefined) {
      if (answer.max !== null) {
        score.textContent = formatNumber(answer.score) + " / " + formatNumber(answer.max);
      } else if (visible(keyOf(el))) { // not applicable (a hidden item keeps its points)
        score.textContent = root.dataset.notApplicable;
      }
    }
    el.classList.toggle("failed", answer.max !== null && answer.score !== null &&
      answer.score < answer.max && answer.value !== null && answer.value !== "na");
    if (el.dataset.input === "ratio") checkRatio(el);
    return kept;
  }

  function updatePercent(el) {
    var out = el.querySelector("[data-percent]");
    if (!out) return;
    var form = el.querySelector("form");
    var num = form.elements.num.value.trim(), den = form.elements.den.value.trim();
    var whole = /^\d+$/.test(num) && /^\d+$/.test(den) && Number(den) > 0;
    out.textContent = whole && Number(num) <= Number(den) ?
      formatNumber(Math.round((Number(num) / Number(den)) * 10000) / 100) + " %" : "";
  }

  function halfRatio(el) {
    if (el.dataset.input !== "ratio") return false;
    var f = el.querySelector("form").elements;
    return (f.num.value.trim() === "") !== (f.den.value.trim() === "");
  }

  // A ratio with one of its numbers typed is unsaved work: the item says so, this browser keeps
  // it (with the revision it was typed on) and leaving the page asks first. Nothing is sent: the
  // server would refuse it.
  function checkRatio(el) {
    var key = keyOf(el), f = el.querySelector("form").elements;
    updatePercent(el);
    if (halfRatio(el)) {
      var base = drafts[key] ? drafts[key].base_revision : Number(el.dataset.revision);
      drafts[key] = { num: f.num.value, den: f.den.value, base_revision: base };
      outbox.put({ id: draftId(key), kind: "draft", visit: visitId, key: key, body: drafts[key] });
      if (el.dataset.state !== "conflict") setState(el, "incomplete");
    } else if (drafts[key]) {
      delete drafts[key];
      outbox.remove(draftId(key));
      if (el.dataset.state === "incomplete") setState(el, "", "");
    }
  }

  // After a conflict that kept what was typed: a button to save it over the other person's.
  function offerKeep(el) {
    if (el.querySelector("button.keep-mine")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "keep-mine";
    button.textContent = root.dataset.keepMine;
    var mine = el.dataset.mine && el.querySelector('button.answer[value="' +
      JSON.parse(el.dataset.mine) + '"]');
    if (mine) button.textContent += " (" + mine.textContent.trim() + ")";
    el.querySelector("[data-state]").insertAdjacentElement("afterend", button);
  }

  function dropKeep(el) {
    var button = el.querySelector("button.keep-mine");
    if (button) button.parentNode.removeChild(button);
    delete el.dataset.mine;
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

  function put(sel, text) {
    var node = root.querySelector(sel);
    if (node) node.textContent = text;
  }

  function showScore(score) {
    put("[data-total]", formatNumber(score.total));
    put("[data-max]", formatNumber(score.max));
    put("[data-percent-total]", score.percent === null ? "—" : formatNumber(score.percent) + "\u00a0%");
    // The API gives the template's band label; the page's language may word it otherwise.
    var names = JSON.parse(root.querySelector(".scorebar").dataset.bandNames || "{}");
    put("[data-band]", score.band ? names[score.band] || score.band : "—");
    // Provisional while a required item waits: points so far, no percentage, no band.
    var complete = score.complete === true;
    put("[data-waiting]", score.waiting);
    root.querySelector(".scorebar").dataset.complete = complete ? "true" : "false";
    root.querySelector("[data-provisional]").hidden = complete || !score.answered;
    root.querySelector("[data-rating]").hidden = !complete || !score.answered;
    root.querySelector("[data-unanswered]").hidden = !!score.answered;
    put("[data-answered]", score.answered);
    put("[data-answerable]", score.answerable);
    put("[data-full]", score.full_marks);
    put("[data-scorable]", score.scorable);
    score.sections.forEach(function (section) {
      var node = root.querySelector('[data-section="' + section.key + '"] [data-subtotal]');
      if (node) node.textContent = formatNumber(section.score) + " / " + formatNumber(section.max);
    });
    showWarnings(score.warnings || []);
  }

  // The raised consistency warnings: counted in the score bar, said under each item they name.
  function showWarnings(warnings) {
    put("[data-warnings]", warnings.length);
    root.querySelector("[data-warn-count]").hidden = !warnings.length;
    Array.prototype.forEach.call(root.querySelectorAll("p[data-warn]"), function (p) {
      p.remove();
    });
    warnings.forEach(function (w) {
      w.items.forEach(function (key) {
        var state = items[key] && items[key].querySelector(".item-state");
        if (!state) return;
        var p = document.createElement("p");
        p.className = "remark warn";
        p.dataset.warn = w.key;
        p.textContent = lang === "en" && w.message_en ? w.message_en : w.message;
        state.after(p);
      });
    });
  }

  // A write is sent by the outbox, with whatever else waits; the item says what happens to it.
  function save(key) {
    window.clearTimeout(timers[key]);
    timers[key] = null;
    if (!pending[key] || held[key] !== undefined) return; // held: waits for its owner
    // "Saving" until it is kept: "offline" (kept on this tablet) is said only once it is.
    setState(items[key], "saving");
    keep(key).then(outbox.drain, function () { // storage full: said, and the page still has it
      setState(items[key], "invalid", root.dataset.notKept);
    });
  }

  // What the outbox says of an answer of this visit: on its way, waiting for a link or a login,
  // stored, or refused (someone else's change, an invalid value, the visit closed to answers).
  document.addEventListener("outbox", function (event) {
    var entry = event.detail.entry, status = event.detail.status, data = event.detail.data;
    if (entry.kind !== "answer" || String(entry.visit) !== visitId || !items[entry.key]) return;
    var key = entry.key, el = items[key], write = pending[key];
    var mine = write && write.body.client_id === entry.body.client_id;
    sending[key] = status === "sending";
    if (status === "sending" || status === "waiting" || status === "login") {
      if (mine && !timers[key]) {
        setState(el, status === "sending" ? "saving" : status === "login" ? "login" :
          navigator.onLine === false ? "offline" : "failed");
      }
      return;
    }
    var answer = data.answer;
    if (!mine) { // a newer answer was given meanwhile: it goes next, based on the one just stored
      if (status === "ok" && answer) {
        setRevision(el, answer.revision);
        stored[key] = { value: answer.value, note: answer.note || "" };
        if (write && write.body.base_revision === entry.body.base_revision &&
            held[key] === undefined) {
          // The outbox's copy too: outbox.js done() moves it, but a copy written meanwhile (the
          // typing paused as the reply came) still has the old one, and would conflict with
          // this very answer.
          write.body.base_revision = answer.revision;
          keep(key, timers[key] ? "typing" : undefined).then(outbox.drain, function () {
            setState(el, "invalid", root.dataset.notKept); // storage full: said, as in save()
          });
        }
      }
      return;
    }
    if (status === "ok") {
      delete pending[key];
      if (answer) {
        stored[key] = { value: answer.value, note: answer.note || "" };
        showAnswer(el, answer, write.fields);
      }
      if (data.visit) {
        showScore(data.visit.score);
        showStatus(data.visit.status);
      }
      refreshVisibility();
      settle(el, "saved");
    } else if (status === "conflict" && data.current) {
      // Someone else's answer: shown, except in the fields typed in since the copy this page
      // had, which keep what was typed. That stays unsent (kept in the outbox, on the revision
      // it was typed on, so a reload meets the conflict again) until the inspector has seen the
      // conflict and chooses: "Keep mine", or an answer or save button of the item.
      var before = stored[key];
      stored[key] = { value: data.current.value, note: data.current.note || "" };
      var kept = showAnswer(el, data.current, shown(el, before.value, before.note), true);
      if (el.dataset.input === "tap" && !sameValue(write.body.value, before.value) &&
          !sameValue(write.body.value, data.current.value)) { // a choice made on the old copy:
        el.dataset.mine = JSON.stringify(write.body.value); // kept, to choose between the two
        kept = true;
      }
      refreshVisibility();
      refreshScore();
      if (kept) {
        held[key] = write.body.base_revision;
        hold(key);
      } else {
        forget(key);
      }
      var own = held[key] !== undefined;
      setState(el, "conflict", own ? root.dataset.conflictKept : "");
      if (own) offerKeep(el);
    } else if (status === "invalid" || status === "too_large") {
      // Kept as typed, in the fields and the outbox, until corrected (not sent again as it is).
      delete pending[key];
      showChoice(el, stored[key].value);
      refreshVisibility();
      setState(el, "invalid", status === "too_large" ? root.dataset.tooLarge :
        root.dataset.invalid + " " + el.closest("[data-hint]").dataset.hint);
    } else { // the visit closed to answers (submitted meanwhile): kept, said, the user's to drop
      delete pending[key];
      setState(el, "locked");
    }
  });

  function setRevision(el, revision) {
    el.dataset.revision = revision;
    el.querySelector("form").elements.base_revision.value = revision;
  }

  // Answers not stored yet survive a closed tab, a reload or a flat battery: each is kept in
  // the outbox (under its visit, user and item: one per item, the latest) until the server has
  // it, and sent when the page opens again.
  function answerId(key) {
    return "answer/" + visitId + "/" + outbox.user + "/" + key;
  }

  function draftId(key) {
    return "draft/" + visitId + "/" + outbox.user + "/" + key;
  }

  // `state`: "typing" (not sent before the typing pauses) or "held" (after a conflict).
  function keep(key, state) {
    return outbox.put({ id: answerId(key), kind: "answer", visit: visitId, key: key,
                        body: pending[key].body, state: state });
  }

  function forget(key) {
    delete pending[key];
    outbox.remove(answerId(key));
  }

  // What the page before this one kept in localStorage: moved to the outbox once.
  function migrate() {
    var moves = [];
    try {
      ["pending", "draft"].forEach(function (kind) {
        var prefix = "inspection." + kind + "." + visitId + "." + outbox.user + ".";
        for (var i = localStorage.length - 1; i >= 0; i--) {
          var name = localStorage.key(i);
          if (name.indexOf(prefix) !== 0) continue;
          var key = name.slice(prefix.length), body = null;
          try { body = JSON.parse(localStorage.getItem(name)); } catch (e) { body = null; }
          if (body && typeof body === "object") {
            if (kind === "pending") {
              body.item_key = key;
              body.client_id = body.client_id || outbox.uuid();
              body.answered_at = body.answered_at || outbox.localTime(Date.now());
            }
            moves.push(outbox.put({ id: (kind === "pending" ? answerId : draftId)(key),
              kind: kind === "pending" ? "answer" : "draft", visit: visitId, key: key,
              body: body }).then(localStorage.removeItem.bind(localStorage, name)));
          } else {
            localStorage.removeItem(name); // unreadable: nothing to move
          }
        }
      });
    } catch (e) { /* storage turned off: nothing was kept there */ }
    return Promise.all(moves).catch(function () { /* left in localStorage: moved next time */ });
  }

  function restore() {
    return migrate().then(function () { return outbox.list(visitId); }).then(function (entries) {
      entries.forEach(function (entry) {
        var key = entry.key, el = items[key], body = entry.body;
        var open = el && el.querySelector("form"); // a form only where this viewer may answer
        if (entry.kind === "answer") {
          // Not answerable here (the visit closed meanwhile): left to the outbox, which sends it
          // and keeps the refusal, for the user to see and drop.
          if (!open) return;
          if (!body || !("value" in body)) return outbox.remove(entry.id);
          if (entry.state === "locked") return setState(el, "locked");
          // The form shows the answer as given, on the revision it was given on.
          showAnswer(el, { value: body.value, note: body.note, revision: body.base_revision });
          if (entry.state === "invalid" || entry.state === "too_large") {
            setState(el, "invalid", entry.state === "too_large" ? root.dataset.tooLarge :
              root.dataset.invalid + " " + el.closest("[data-hint]").dataset.hint);
            return;
          }
          pending[key] = { body: body, fields: readAnswer(el, el.querySelector("form"), null).fields };
          if (entry.state) { // met a conflict or a closed visit: sent again, to meet it again
            delete entry.state;
            outbox.put(entry);
          }
          setState(el, navigator.onLine === false ? "offline" : "saving");
        } else if (entry.kind === "draft") { // typed on its revision: a change since conflicts
          var half = body;
          if (!open || el.dataset.input !== "ratio" || !half || typeof half.num !== "string" ||
              typeof half.den !== "string") return outbox.remove(entry.id);
          var form = el.querySelector("form");
          form.elements.num.value = half.num;
          form.elements.den.value = half.den;
          if (half.base_revision < Number(el.dataset.revision)) setRevision(el, half.base_revision);
          drafts[key] = half;
          checkRatio(el);
        }
      });
      refreshVisibility(); // (the outbox drains once every page script has read it)
    });
  }

  // An answer (or note) given: kept at once, sent at once, or after `delay` ms while it is
  // being typed (each key starts the wait again). `chosen`: a button of the item was pressed.
  function queue(key, answer, delay, chosen) {
    var el = items[key], body = answer.body;
    if (held[key] !== undefined) {
      if (!chosen) return hold(key); // typed on after a conflict: kept, not sent
      delete held[key]; // answered again, the conflict seen: sent afresh, on the revision shown
      forget(key);
    }
    var waiting = pending[key];
    if (waiting && sameAnswer(waiting.body, body)) {
      // The same answer is already waiting (a field's change, then its Save button): one that
      // was waiting for the typing to pause goes now that its field is left.
      if (!delay && timers[key]) save(key);
      return;
    }
    if (!sending[key] && sameAnswer(stored[key], body)) {
      // What the server has already (a field left after it saved as typed, a change undone):
      // nothing to send, and nothing left waiting.
      if (waiting) {
        window.clearTimeout(timers[key]);
        timers[key] = null;
        forget(key);
      }
      if (waiting || chosen || /^(saving|failed|offline|login|invalid)$/.test(el.dataset.state)) {
        showChoice(el, body.value);
        refreshVisibility();
        settle(el, Number(el.dataset.revision) > 0 ? "saved" : "");
      }
      return;
    }
    // The revision this answer was given on, and its id: kept with it (see persist) so that
    // sending it again after a reload is a replay or a conflict, never a silent overwrite.
    body.item_key = key;
    body.base_revision = Number(el.dataset.revision);
    body.client_id = outbox.uuid();
    body.answered_at = outbox.localTime(Date.now());
    pending[key] = { body: body, fields: answer.fields };
    // Show the choice at once; the server's answer confirms it.
    showChoice(el, body.value);
    refreshVisibility();
    if (!delay) return save(key);
    keep(key, "typing");
    window.clearTimeout(timers[key]);
    timers[key] = window.setTimeout(function () { save(key); }, delay);
    setState(el, "saving");
  }

  // What was typed after a conflict, as the form now shows it: kept in this browser on the
  // revision it was typed on (so a reload meets the conflict again), not sent. Undone back to
  // the other person's answer, there is nothing left to keep.
  function hold(key) {
    var el = items[key], mine = formAnswer(el);
    window.clearTimeout(timers[key]);
    timers[key] = null;
    if (sameAnswer(stored[key], mine.body)) {
      delete held[key];
      forget(key);
      setState(el, "conflict");
      dropKeep(el);
      return;
    }
    mine.body.item_key = key;
    mine.body.base_revision = held[key];
    mine.body.client_id = outbox.uuid();
    mine.body.answered_at = outbox.localTime(Date.now());
    pending[key] = { body: mine.body, fields: mine.fields };
    keep(key, "held");
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    var el = form.closest(".item[data-input]");
    if (!el) return;
    event.preventDefault();
    queue(keyOf(el), readAnswer(el, form, event.submitter), 0, true);
  });

  root.addEventListener("click", function (event) {
    var button = event.target.closest("button.keep-mine");
    if (!button) return;
    var el = button.closest(".item[data-input]");
    queue(keyOf(el), formAnswer(el), 0, true);
  });

  // Typed answers save when the field is left, without a tap on "Save"; a note or a text
  // answer also while it is typed, once the typing pauses (half a number or date would be
  // refused: those wait for the field to be left).
  function typed(event, delay) {
    var field = event.target;
    var el = field.closest(".item[data-input]");
    if (!el) return;
    var form = el.querySelector("form");
    if (field.name === "note") {
      queue(keyOf(el), readAnswer(el, form, NOTE_ONLY), delay);
    } else if (field.name === "text" && el.dataset.input === "text") {
      queue(keyOf(el), readAnswer(el, form, null), delay);
    } else if (field.name === "num" || field.name === "den") {
      checkRatio(el);
      if (!delay && !halfRatio(el)) queue(keyOf(el), readAnswer(el, form, null));
    } else if (!delay && /^(number|text)$/.test(field.name)) {
      queue(keyOf(el), readAnswer(el, form, null));
    }
  }

  root.addEventListener("change", function (event) { typed(event, 0); });

  // Leaving while a note is being typed: it is kept as it stands, and sent.
  window.addEventListener("pagehide", function () {
    Object.keys(timers).forEach(function (key) { if (timers[key]) save(key); });
  });

  root.addEventListener("input", function (event) { typed(event, TYPING_DELAY); });

  // Finding one's way in a long checklist: each section's answered x/y (here and in the index),
  // "next unanswered" (the first after what is on screen, then from the top), the place on the
  // page kept through a reload, the score line's height kept clear when jumping.
  var bar = root.querySelector(".visit-bar");
  var nextLink = root.querySelector("[data-next]");
  var allAnswered = root.querySelector("[data-all-answered]");
  var placeKey = "inspection.place." + root.dataset.visit;

  function settled(el) {
    return el.dataset.value !== "null" && el.dataset.value !== "";
  }

  function waiting() {
    return Object.keys(items).map(function (key) { return items[key]; }).filter(function (el) {
      return !el.hidden && !settled(el);
    });
  }

  function showProgress() {
    Array.prototype.forEach.call(root.querySelectorAll("[data-section]"), function (section) {
      var shown = section.querySelectorAll(".item[data-input]:not([hidden])");
      var done = Array.prototype.filter.call(shown, settled).length;
      var text = done + "/" + shown.length;
      var key = section.dataset.section;
      var own = section.querySelector("[data-progress]");
      if (own) own.textContent = text;
      var entry = root.querySelector('[data-index-section="' + key + '"]');
      if (entry) {
        entry.querySelector("[data-progress]").textContent = text;
        var subtotal = section.querySelector("[data-subtotal]");
        if (subtotal) entry.querySelector("[data-subtotal]").textContent = subtotal.textContent;
      }
    });
    var left = waiting().length;
    if (nextLink && nextLink.hidden !== !left) nextLink.hidden = !left;
    if (allAnswered && allAnswered.hidden !== !!left) allAnswered.hidden = !!left;
  }

  function reveal(el) {
    var section = el.closest("details.section");
    if (section && !section.open) section.open = true;
  }

  function clearBar() {
    if (bar) document.documentElement.style.scrollPaddingTop = (bar.offsetHeight + 12) + "px";
  }

  if (nextLink) {
    nextLink.addEventListener("click", function (event) {
      var left = waiting();
      if (!left.length) return;
      event.preventDefault();
      var below = (bar ? bar.getBoundingClientRect().bottom : 0) + 1;
      var next = left.filter(function (el) {
        return el.getBoundingClientRect().top > below;
      })[0] || left[0];
      reveal(next);
      clearBar();
      next.scrollIntoView({ block: "start" });
      var control = next.querySelector("input:not([type=hidden]), button, textarea");
      if (control) control.focus({ preventScroll: true });
    });
  }

  root.addEventListener("click", function (event) {
    var link = event.target.closest("[data-index-section]");
    if (!link) return;
    var section = document.getElementById("section-" + link.dataset.indexSection);
    if (section) section.open = true;
    var index = link.closest("details");
    if (index) index.open = false;
  });

  function keepPlace() {
    var top = (bar ? bar.getBoundingClientRect().bottom : 0);
    var first = null;
    Object.keys(items).some(function (key) {
      var el = items[key];
      if (!el.hidden && el.getBoundingClientRect().bottom > top) { first = el; return true; }
      return false;
    });
    try {
      if (first) sessionStorage.setItem(placeKey, keyOf(first));
    } catch (e) { /* private mode: the browser's own restoring is all there is */ }
  }

  function returnToPlace() {
    var entry = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    if (!entry || entry.type !== "reload" || location.hash) return;
    var key = null;
    try { key = sessionStorage.getItem(placeKey); } catch (e) { key = null; }
    var el = key && items[key];
    if (!el || el.hidden) return;
    reveal(el);
    clearBar();
    el.scrollIntoView({ block: "start" });
  }

  var placeTimer = null;
  window.addEventListener("scroll", function () {
    window.clearTimeout(placeTimer);
    placeTimer = window.setTimeout(keepPlace, 200);
  }, { passive: true });
  window.addEventListener("pagehide", keepPlace);
  window.addEventListener("resize", clearBar);
  if (window.MutationObserver) {
    new MutationObserver(function (changes) { // an item answered, shown or hidden
      var ofItems = changes.some(function (change) { return change.target.dataset.input; });
      if (ofItems) showProgress();
    }).observe(root, {
      subtree: true, attributes: true, attributeFilter: ["data-value", "hidden"],
    });
  }

  // Offline work: "Prepare for offline work" keeps this visit's pages and data (its checklist
  // and deficiencies pages, the visit with its template, answers, score, deficiencies and
  // photos' thumbnails) in the service worker's cache, and says how fresh that copy is. Once
  // something this page sent is stored, the kept copy of the page is made again (a reload
  // offline then shows it).
  var PAGES = "inspection-pages";
  var prepare = root.querySelector("[data-prepare]");

  function stamp(response) {
    var at = new Date(response.headers.get("Date") || Date.now());
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(at.getHours()) + ":" + pad(at.getMinutes()) + " " + pad(at.getDate()) + "/" +
      pad(at.getMonth() + 1) + "/" + at.getFullYear();
  }

  function keepCopies(urls) {
    return caches.open(PAGES).then(function (cache) {
      return Promise.all(urls.map(function (url) {
        return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
          if (!r.ok || r.redirected) throw r.status;
          return cache.put(url, r.clone()).then(function () { return r; });
        });
      }));
    });
  }

  // How fresh the kept copy is: said at once as last seen (a line appearing once the cache has
  // answered would move the checklist), then as the cache says.
  var preparedKey = "inspection.prepared." + visitId + "." + outbox.user;
  function showPrepared() {
    var urls = JSON.parse(prepare.dataset.prepare), out = prepare.querySelector("[data-prepared]");
    var say = function (time) {
      out.textContent = time ? prepare.dataset.ready.replace("{time}", time) : "";
      try {
        if (time) localStorage.setItem(preparedKey, time);
        else localStorage.removeItem(preparedKey);
      } catch (e) { /* private mode: said once the cache answers */ }
    };
    try { say(localStorage.getItem(preparedKey)); } catch (e) { /* as above */ }
    return caches.open(PAGES).then(function (cache) {
      return cache.match(urls[2], { ignoreVary: true });
    }).then(function (kept) {
      say(kept && stamp(kept));
    }).catch(function () { /* storage turned off: nothing kept, nothing to say */ });
  }

  // The row is shown as the page opens, not once the worker runs (a row appearing then would
  // move the checklist under a finger about to tap); copies are taken once the worker runs, as
  // only then do they open offline.
  function running() {
    return new Promise(function (resolve, reject) {
      window.setTimeout(reject, 10000);
      navigator.serviceWorker.ready.then(resolve);
    });
  }

  if (prepare && window.caches && "serviceWorker" in navigator && window.isSecureContext) {
    prepare.hidden = false;
    showPrepared();
    prepare.querySelector("button").addEventListener("click", function () {
      var urls = JSON.parse(prepare.dataset.prepare), out = prepare.querySelector("[data-prepared]");
      out.textContent = prepare.dataset.busy;
      running().then(function () {
        return keepCopies(urls);
      }).then(function (responses) {
        return responses[5].json();
      }).then(function (listed) {
        return keepCopies(listed.photos.map(function (p) { return p.urls.thumb; }));
      }).then(showPrepared, function () {
        out.textContent = prepare.dataset.failed;
      });
    });
  }

  var recopy = null;
  document.addEventListener("outbox", function (event) {
    var entry = event.detail.entry;
    if (event.detail.status !== "ok" || String(entry.visit) !== visitId || !window.caches) return;
    window.clearTimeout(recopy);
    recopy = window.setTimeout(function () {
      var pages = prepare ? JSON.parse(prepare.dataset.prepare).slice(0, 2) : [location.pathname];
      caches.open(PAGES).then(function (cache) {
        return Promise.all(pages.map(function (url) {
          return cache.match(url, { ignoreVary: true }).then(function (kept) {
            if (kept) return cache.add(url);
          });
        }));
      }).catch(function () { /* the next page opened online is kept anyway */ });
    }, 2000);
  });

  root.classList.add("js");
  outbox.wait(restore());
  clearBar();
  showProgress();
  returnToPlace();
})();
