// Photos on the checklist page: each item's link to its photo page becomes a camera button
// (<input type=file capture multiple>); a chosen photo shows at once as a thumbnail, is made
// upright and at most 2048 px on its long side in the browser, and is sent with its capture time
// (and the position, when the inspector's browser allows it) under a progress bar, retried until
// it arrives (its client id makes a retry harmless). A thumbnail opens the viewer (viewer.js).
// Without this script the thumbnails open the photo and the link opens the photo page.
(function () {
  "use strict";

  var root = document.querySelector(".visit[data-visit]");
  if (!root || !window.fetch || !window.FormData) return;
  var words = JSON.parse(root.dataset.photoWords || "{}");
  var uploadUrl = root.dataset.photoUpload;
  var fileBase = root.dataset.photoBase; // "/api/v1/photos/": + id, + id + "/display"
  var MAX_SIDE = 2048;
  var QUALITY = 0.88;
  var RETRY_DELAYS = [2000, 5000, 10000, 20000, 30000, 60000];

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

  function uuid() {
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); });
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  function localTime(ms) { // ISO 8601 with this device's offset: what the inspector's clock said
    var d = new Date(ms);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + sign +
      pad(Math.floor(off / 60)) + ":" + pad(off % 60);
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

  function add(item, file) {
    var strip = stripOf(item);
    var tile = element("span", { class: "thumb pending" });
    var preview = element("img", { alt: "" });
    preview.src = URL.createObjectURL(file);
    var bar = element("progress", { max: "1", value: "0" });
    var state = element("small", { class: "upload-state", role: "status" }, words.uploading);
    tile.append(preview, bar, state);
    strip.appendChild(tile);
    var job = {
      item: item, strip: strip, tile: tile, bar: bar, state: state, attempts: 0, clientId: uuid(),
      takenAt: localTime(file.lastModified || Date.now()), preview: preview.src,
    };
    pending.push(job);
    // One photo decoded at a time: a 12 MP photo takes ~50 MB while it is made smaller.
    preparing = preparing.then(function () {
      return Promise.all([upright(file), position()]);
    }).then(function (ready) {
      job.blob = ready[0];
      job.position = ready[1];
      send(job);
    });
  }
  var preparing = Promise.resolve();
  var pending = []; // jobs not yet stored or refused

  function settle(job) {
    pending.splice(pending.indexOf(job), 1);
  }

  // Leaving while photos are on their way asks first (they are not kept on the device).
  window.addEventListener("beforeunload", function (event) {
    if (pending.length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // The photo upright and at most MAX_SIDE px long; one already small enough goes as it is
  // (what the camera wrote is kept); one the browser cannot decode goes too: the server judges.
  function upright(file) {
    if (!window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var long = Math.max(bitmap.width, bitmap.height);
      if (long <= MAX_SIDE && /^image\/(jpeg|png|webp)$/.test(file.type)) {
        bitmap.close();
        return file;
      }
      var scale = Math.min(1, MAX_SIDE / long);
      var canvas = element("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; });
  }

  // Where the tablet is, if its browser allows it (asked once; a refusal is remembered).
  var OFF = "inspection.position";
  function position() {
    if (!navigator.geolocation || localStorage.getItem(OFF) === "off") return Promise.resolve(null);
    return new Promise(function (resolve) {
      var timer = setTimeout(function () { resolve(null); }, 6000);
      navigator.geolocation.getCurrentPosition(function (where) {
        clearTimeout(timer);
        resolve(where.coords);
      }, function (error) {
        clearTimeout(timer);
        if (error.code === 1) localStorage.setItem(OFF, "off");
        resolve(null);
      }, { maximumAge: 300000, timeout: 5000 });
    });
  }

  function send(job) {
    var body = new FormData();
    body.append("file", job.blob, job.blob.name || "photo.jpg");
    body.append("item_key", job.item.dataset.key);
    body.append("client_id", job.clientId);
    body.append("taken_at", job.takenAt);
    if (job.position) {
      body.append("lat", job.position.latitude);
      body.append("lon", job.position.longitude);
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", token());
    xhr.upload.onprogress = function (event) {
      if (event.lengthComputable) job.bar.value = event.loaded / event.total;
    };
    xhr.onload = function () {
      var data = {};
      try { data = JSON.parse(xhr.responseText); } catch (e) { /* not JSON: a proxy's page */ }
      if (xhr.status === 200 || xhr.status === 201) return done(job, data);
      var error = data.error || {};
      if (xhr.status === 400 && error.code === "csrf_failed" && job.attempts < 2) {
        job.attempts += 1;
        return freshToken().then(function () { send(job); });
      }
      // Logged out (in another tab, or the session ended): kept and retried, as after a 5xx,
      // until a new login in another tab lets it through.
      if (xhr.status === 401) return retry(job, words.login);
      if (xhr.status >= 500 || xhr.status === 0) return retry(job);
      var why = words.reasons[data.reason || error.reason] || (xhr.status === 413 ? words.reasons.too_large :
        xhr.status === 409 ? words.locked : error.message || "");
      refuse(job, words.upload_refused + " " + why);
    };
    xhr.onerror = function () { retry(job); };
    xhr.send(body);
    job.state.textContent = words.uploading;
  }

  // One timer per waiting job; coming back online sends every waiting job once, at once.
  var waiting = [];
  function retry(job, message) {
    var delay = RETRY_DELAYS[Math.min(job.attempts, RETRY_DELAYS.length - 1)];
    job.attempts += 1;
    job.tile.classList.add("waiting");
    job.state.textContent = message || words.upload_failed;
    job.timer = setTimeout(function () { wake(job); }, delay);
    waiting.push(job);
  }

  function wake(job) {
    var at = waiting.indexOf(job);
    if (at < 0) return; // already woken
    waiting.splice(at, 1);
    clearTimeout(job.timer);
    send(job);
  }

  window.addEventListener("online", function () {
    waiting.slice().forEach(wake);
  });

  function refuse(job, message) {
    settle(job);
    job.tile.classList.add("refused");
    job.tile.classList.remove("pending", "waiting");
    job.bar.remove();
    job.state.textContent = message;
    var dismiss = element("button", { type: "button", class: "link" }, words.close);
    dismiss.addEventListener("click", function () {
      URL.revokeObjectURL(job.preview);
      job.tile.remove();
    });
    job.tile.appendChild(dismiss);
  }

  function done(job, photo) {
    settle(job);
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
