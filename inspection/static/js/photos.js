// Photos on the checklist page: each item's link to its photo page becomes a camera button
// (<input type=file capture multiple>); a chosen photo shows at once as a thumbnail, is made
// ready and kept in the outbox (static/js/camera.js), which sends it when there is a link
// (static/js/outbox.js; its client id makes a second sending harmless).
// Photos waiting there show again, with their state, when the page opens. A thumbnail opens the
// viewer (viewer.js).
// Without this script the thumbnails open the photo and the link opens the photo page.
(function () {
  "use strict";

  var root = document.querySelector(".visit[data-visit]");
  var outbox = window.inspectionOutbox;
  if (!root || !window.fetch || !outbox || !window.indexedDB || !window.inspectionCamera) return;
  var visitId = root.dataset.visit;
  var words = JSON.parse(root.dataset.photoWords || "{}");
  var uploadUrl = root.dataset.photoUpload;
  var fileBase = root.dataset.photoBase; // "/api/v1/photos/": + id, + id + "/display"

  function token() {
    return document.querySelector('meta[name="csrf-token"]').content;
  }

  function freshToken() {
    return fetch(root.dataset.me, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) return false;
      return response.json().then(function (data) {
        document.querySelector('meta[name="csrf-token"]').content = data.csrf_token;
        return true;
      });
    }).catch(function () { return false; });
  }

  function element(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text) el.textContent = text;
    return el;
  }

  // Each item's camera button, in place of the link to its photo page.
  Array.prototype.forEach.call(root.querySelectorAll("a.cam"), function (link) {
    var item = link.closest(".item");
    var label = element("label", { class: "cam button" }, words.take_photo);
    var input = element("input", {
      type: "file", accept: "image/*", capture: "environment", multiple: "",
      class: "visually-hidden",
    });
    label.appendChild(input);
    link.replaceWith(label);
    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, function (file) { add(item, file); });
      input.value = "";
    });
  });

  // The item's thumbnails, made when its first photo comes.
  function stripOf(item) {
    var strip = item.querySelector(".photos");
    if (!strip) {
      strip = element("div", { class: "photos" });
      var more = item.querySelector(".item-more");
      more.parentNode.insertBefore(strip, more);
    }
    return strip;
  }

  // How many photos a required photo still lacks.
  function refreshNeed(item) {
    var span = item.querySelector(".need[data-need]");
    if (!span) return;
    var missing = Number(span.dataset.need) - item.querySelectorAll("a.thumb").length;
    span.textContent = missing <= 0 ? "" :
      missing === 1 ? words.need_one : words.need_many.replace("{n}", missing);
  }

  // Sending ------------------------------------------------------------------------------------

  var jobs = {}; // client id -> a photo shown and not yet stored or dismissed
  var unsaved = 0; // photos chosen and not yet in the outbox

  function tile(item, src, text) {
    var strip = stripOf(item);
    var node = element("span", { class: "thumb pending" });
    var preview = element("img", { alt: "" });
    preview.src = src;
    var bar = element("progress", { max: "1" }); // no value: under way, for as long as it takes
    var state = element("small", { class: "upload-state", role: "status" }, text);
    node.append(preview, bar, state);
    strip.appendChild(node);
    return { item: item, strip: strip, tile: node, bar: bar, state: state, preview: src };
  }

  function add(item, file) {
    var job = tile(item, URL.createObjectURL(file), words.uploading);
    job.clientId = outbox.uuid();
    jobs[job.clientId] = job;
    unsaved += 1;
    // Kept in the outbox before it is sent: a reload, a closed browser or no link loses nothing.
    window.inspectionCamera.keep(visitId, file, job.clientId, { item_key: item.id.slice(5) })
      .then(function () {
        unsaved -= 1;
      }, function () { // the tablet's storage is full
        unsaved -= 1;
        refuse(job, words.upload_refused + " " + words.full);
      });
  }

  // Photos the outbox still holds for this visit, shown as they were left.
  outbox.wait(outbox.list(visitId).then(function (entries) {
    entries.forEach(function (entry) {
      var item = entry.kind === "photo" && document.getElementById("item-" + entry.key);
      if (!item || jobs[entry.body.client_id]) return;
      var job = tile(item, URL.createObjectURL(entry.blob), words.upload_failed);
      job.clientId = entry.body.client_id;
      jobs[job.clientId] = job;
      if (entry.state) refused(job, entry.state, entry.error || {});
    });
  }));

  // What the outbox says of a photo of this visit.
  document.addEventListener("outbox", function (event) {
    var entry = event.detail.entry, status = event.detail.status, data = event.detail.data;
    if (entry.kind !== "photo" || String(entry.visit) !== visitId) return;
    var job = jobs[entry.body.client_id];
    if (!job) return;
    if (status === "sending") {
      job.tile.classList.remove("waiting");
      job.state.textContent = words.uploading;
    } else if (status === "waiting" || status === "login") {
      job.tile.classList.add("waiting");
      job.state.textContent = status === "login" ? words.login : words.upload_failed;
    } else if (status === "ok") {
      done(job, data);
    } else {
      refused(job, status, data);
    }
  });

  function refused(job, status, data) { // data: the server's reply
    var error = data.error || {};
    var why = words.reasons[data.reason || error.reason] || (status === "too_large" ? words.reasons.too_large :
      status === "locked" ? words.locked : error.message || "");
    refuse(job, words.upload_refused + " " + why);
  }

  // Refused (not a photo, too large, the visit closed): kept in the outbox, said on its tile,
  // until the inspector dismisses it.
  function refuse(job, message) {
    job.tile.classList.add("refused");
    job.tile.classList.remove("pending", "waiting");
    job.bar.remove();
    job.state.textContent = message;
    if (job.tile.querySelector("button")) return;
    var dismiss = element("button", { type: "button", class: "link" }, words.close);
    dismiss.addEventListener("click", function () {
      delete jobs[job.clientId];
      outbox.remove("photo/" + job.clientId);
      URL.revokeObjectURL(job.preview);
      job.tile.remove();
    });
    job.tile.appendChild(dismiss);
  }

  function done(job, photo) {
    delete jobs[job.clientId];
    var strip = job.strip;
    if (strip.querySelector('a.thumb[data-photo="' + photo.id + '"]')) { // the same photo again
      URL.revokeObjectURL(job.preview);
    } else {
      var link = element("a", { class: "thumb", href: photo.urls.display, "data-photo": photo.id });
      if (photo.caption) link.dataset.caption = photo.caption;
      var img = element("img", { alt: photo.caption || words.photo });
      img.src = job.preview; // shown at once; the server's thumbnail takes its place
      link.appendChild(img);
      var thumb = new Image();
      thumb.onload = function () {
        img.src = thumb.src;
        URL.revokeObjectURL(job.preview);
      };
      thumb.src = photo.urls.thumb;
      strip.insertBefore(link, job.tile);
    }
    job.tile.remove();
    refreshNeed(job.item);
  }

  // Leaving while a photo is being made smaller (not yet in the outbox) asks first.
  window.addEventListener("beforeunload", function (event) {
    if (unsaved) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // The viewer (static/js/viewer.js) is fetched the first time a thumbnail is opened.
  var viewerLoading = null;

  root.addEventListener("click", function (event) {
    var link = event.target.closest("a.thumb");
    if (!link || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    if (!viewerLoading) {
      viewerLoading = new Promise(function (resolve, reject) {
        var script = element("script", { src: root.dataset.photoViewer });
        script.onload = resolve;
        script.onerror = function () { viewerLoading = null; reject(); };
        document.head.appendChild(script);
      });
    }
    viewerLoading.then(function () {
      window.inspectionViewer.open(link, {
        words: words, fileBase: fileBase, token: token, freshToken: freshToken,
        element: element, refreshNeed: refreshNeed,
      });
    }, function () { window.location.href = link.href; });
  });
})();
