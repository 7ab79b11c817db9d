// The deficiencies page, offline first: a deficiency recorded, an explanation given and the
// photos of a deficiency go to the outbox (static/js/outbox.js), which sends them at once or
// when the link returns; until then each shows on the page, from this tablet, with its state.
// A deficiency recorded here takes photos at once, linked to it by its client id. Without this
// script (or without IndexedDB) the forms post to the server as before.
(function () {
  "use strict";

  var outbox = window.inspectionOutbox;
  var camera = window.inspectionCamera;
  var page = document.querySelector("[data-findings]");
  if (!page || !outbox || !camera || !window.indexedDB) return;
  var visitId = page.dataset.findings;
  var words = JSON.parse(page.dataset.words);
  var cards = {}; // entry id -> what shows it on the page: {state, node}

  function element(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text) el.textContent = text;
    return el;
  }

  function field(form, name) {
    var f = form.elements[name];
    return f ? f.value.trim() : "";
  }

  // A deficiency kept, shown where its form was (a failed item's, or among the others).
  function findingCard(entry, near) {
    var b = entry.body;
    var card = element("div", { class: "finding pending", id: "kept-" + b.client_id });
    card.append(element("p", { class: "badge" }, words.kept_finding),
      element("p", { class: "finding-text" }, b.text),
      element("p", { class: "hint" }, words.remedy + ": " + b.remedy + " · " +
        (words.severity[b.severity] || b.severity)));
    var state = element("p", { class: "item-state", role: "status" });
    var strip = element("div", { class: "photos" });
    var pick = element("label", { class: "file-pick" });
    var input = element("input", { type: "file", accept: "image/*", capture: "environment",
                                    multiple: "", class: "visually-hidden" });
    pick.append(input, element("span", { class: "button" }, words.photos));
    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, function (file) {
        photo(file, strip, { finding_client_id: b.client_id });
      });
      input.value = "";
    });
    card.append(state, strip, pick);
    near = near.closest("details") || near; // shown even when the form's details are closed
    near.parentNode.insertBefore(card, near);
    var none = near.parentNode.querySelector(":scope > [data-none]"); // "None." said above it
    if (none) none.hidden = true;
    cards[entry.id] = { state: state, node: card };
    return strip;
  }

  // A photo kept for a deficiency: its thumbnail, with its state, until it is sent.
  function photo(file, strip, links, entry) {
    var clientId = entry ? entry.body.client_id : outbox.uuid();
    var tile = element("span", { class: "thumb pending" });
    var img = element("img", { alt: "" });
    img.src = URL.createObjectURL(file);
    var state = element("small", { class: "upload-state", role: "status" }, words.kept_photo);
    tile.append(img, state);
    strip.appendChild(tile);
    cards["photo/" + clientId] = { state: state, node: tile };
    if (!entry) {
      camera.keep(visitId, file, clientId, links).catch(function () {
        state.textContent = words.full;
      });
    }
  }

  function show(id, status, data) {
    var card = cards[id];
    if (!card) return;
    var error = (data && (data.error || data)) || {};
    card.state.textContent = status === "ok" ? words.saved :
      status === "sending" ? words.sending :
      status === "waiting" ? (navigator.onLine === false ? words.offline : words.waiting) :
      status === "login" ? words.login :
      status === "too_large" ? words.too_large : words.refused + " " + (error.message || "");
    card.node.dataset.state = status;
  }

  // A kept copy of this page carries the client ids it was made with: each deficiency recorded
  // here gets its own, or a second one would replace (or be refused as) the first.
  Array.prototype.forEach.call(document.querySelectorAll('form[data-offline="finding"]'),
    function (form) { form.elements.client_id.value = outbox.uuid(); });

  document.addEventListener("outbox", function (event) {
    var d = event.detail;
    if (String(d.entry.visit) === visitId) show(d.entry.id, d.status, d.data);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target, kind = form.dataset.offline;
    if (!kind) { // a form only the server can take (an edit, a reason, the submission)
      if (navigator.onLine === false && !form.matches("[data-logout]")) {
        event.preventDefault(); // what was typed stays; the browser's error page would lose it
        window.alert(words.needs_link);
      }
      return;
    }
    event.preventDefault();
    if (kind === "finding") {
      var due = field(form, "due_on");
      var entry = {
        id: "finding/" + field(form, "client_id"), kind: "finding", visit: visitId,
        key: field(form, "client_id"),
        body: {
          client_id: field(form, "client_id"), item_key: field(form, "item_key") || null,
          text: field(form, "text"), remedy: field(form, "remedy"),
          severity: field(form, "severity"), responsible: field(form, "responsible"),
          due_on: due ? (window.inspectionDates ? window.inspectionDates.iso(due) : due) : null,
        },
      };
      outbox.put(entry).then(function () {
        findingCard(entry, form);
        show(entry.id, "waiting");
        form.reset(); // ready for another, with a new client id
        form.elements.client_id.value = outbox.uuid();
        outbox.drain();
      }, function () { window.alert(words.full_finding); });
    } else if (kind === "explanation") {
      var check = form.dataset.check, id = "explanation/" + visitId + "/" + outbox.user + "/" + check;
      var state = form.querySelector("[data-state]") ||
        form.appendChild(element("p", { class: "item-state", role: "status", "data-state": "" }));
      cards[id] = { state: state, node: form };
      outbox.put({ id: id, kind: "explanation", visit: visitId, key: check,
                   body: { explanation: form.elements.explanation.value } })
        .then(function () {
          show(id, "waiting");
          outbox.drain();
        }, function () { window.alert(words.full_finding); });
    } else if (kind === "photos") {
      var strip = form.parentNode.querySelector(".photos") ||
        form.parentNode.insertBefore(element("div", { class: "photos" }), form);
      Array.prototype.forEach.call(form.elements.file.files, function (file) {
        photo(file, strip, { finding_id: form.dataset.finding });
      });
      form.reset();
    }
  });

  // What this tablet still holds for this visit, shown where it belongs.
  outbox.wait(outbox.list(visitId).then(function (entries) {
    var others = document.querySelector("#other form[data-offline]");
    entries.forEach(function (entry) {
      if (entry.kind === "finding") {
        var near = document.querySelector('form[data-offline="finding"][data-item="' +
          (entry.body.item_key || "") + '"]') || others;
        findingCard(entry, near);
        show(entry.id, status(entry), entry.error);
      } else if (entry.kind === "explanation") {
        var form = document.querySelector('form[data-check="' + entry.key + '"]');
        if (!form) return;
        form.elements.explanation.value = entry.body.explanation;
        var state = form.appendChild(element("p", { class: "item-state", role: "status" }));
        cards[entry.id] = { state: state, node: form };
        show(entry.id, status(entry), entry.error);
      }
    });
    entries.forEach(function (entry) { // photos after the deficiencies they belong to
      if (entry.kind !== "photo" || entry.body.item_key) return;
      var owner = entry.body.finding_client_id ?
        document.getElementById("kept-" + entry.body.finding_client_id) :
        document.getElementById("finding-" + entry.body.finding_id);
      if (!owner) return;
      var strip = owner.querySelector(".photos") ||
        owner.appendChild(element("div", { class: "photos" }));
      photo(entry.blob, strip, null, entry);
      show(entry.id, status(entry), entry.error);
    });
  }));

  function status(entry) {
    return entry.state ? "refused" : "waiting";
  }
})();
