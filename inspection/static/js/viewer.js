// The photo viewer of the checklist page, fetched by static/js/photos.js the first time a
// thumbnail is opened: the photo over the whole screen, zoomed with buttons, the wheel, two
// fingers or a double tap far enough to read a posted notice (beyond the display copy's own pixels
// the original takes its place); for those who answer, the caption and removal.
(function () {
  "use strict";

  var MAX_ZOOM = 8;
  // The viewer ---------------------------------------------------------------------------------

  var viewer = null;
  var words, fileBase, token, freshToken, element, refreshNeed;

  function open(link, page) {
    words = page.words;
    fileBase = page.fileBase;
    token = page.token;
    freshToken = page.freshToken;
    element = page.element;
    refreshNeed = page.refreshNeed;
    if (viewer) shut();
    var id = link.dataset.photo;
    var writable = !!link.closest(".item").querySelector("label.cam");
    var box = element("div", { class: "viewer", role: "dialog", "aria-modal": "true",
      "aria-label": words.photo });
    var bar = element("div", { class: "viewer-bar" });
    var out = element("button", { type: "button", "aria-label": words.zoom_out }, "−");
    var level = element("span", { class: "zoom-level" }, "100%");
    var zin = element("button", { type: "button", "aria-label": words.zoom_in }, "+");
    var original = element("a", { href: fileBase + id + "/original", target: "_blank",
      rel: "noopener", class: "button" }, words.original);
    var close = element("button", { type: "button", class: "primary" }, words.close);
    bar.append(out, level, zin, original, close);
    var stage = element("div", { class: "viewer-stage" });
    var img = element("img", { alt: link.dataset.caption || words.photo });
    img.src = link.href;
    stage.appendChild(img);
    var foot = element("div", { class: "viewer-foot" });
    if (writable) {
      var caption = element("textarea", { rows: "2", maxlength: words.caption_max,
        "aria-label": words.caption,
        placeholder: words.caption });
      caption.value = link.dataset.caption || "";
      var save = element("button", { type: "button" }, words.save_caption);
      var remove = element("button", { type: "button", class: "danger" }, words.remove_photo);
      var said = element("small", { role: "status" });
      save.addEventListener("click", function () { saveCaption(id, link, caption.value, said); });
      remove.addEventListener("click", function () { removePhoto(id, link, said); });
      foot.append(caption, save, remove, said);
    } else if (link.dataset.caption) {
      foot.appendChild(element("p", {}, link.dataset.caption));
    }
    box.append(bar, stage, foot);
    document.body.appendChild(box);
    document.body.classList.add("viewing");
    viewer = { box: box, img: img, stage: stage, level: level, zoom: 1, link: link, id: id };
    out.addEventListener("click", function () { zoom(viewer.zoom / 1.5); });
    zin.addEventListener("click", function () { zoom(viewer.zoom * 1.5); });
    close.addEventListener("click", shut);
    stage.addEventListener("wheel", function (event) {
      event.preventDefault();
      zoom(viewer.zoom * (event.deltaY < 0 ? 1.25 : 0.8), event);
    }, { passive: false });
    pinch(stage);
    img.addEventListener("dblclick", function (event) { zoom(viewer.zoom > 1 ? 1 : 3, event); });
    close.focus();
  }

  // The picture fits the screen at zoom 1 and grows to MAX_ZOOM times that; beyond the display
  // copy's own pixels the original (full resolution) takes its place.
  function zoom(factor, at) {
    var v = viewer;
    if (!v) return;
    var next = Math.max(1, Math.min(MAX_ZOOM, factor));
    var stage = v.stage;
    var rect = stage.getBoundingClientRect();
    var fx = at && at.clientX !== undefined ? (at.clientX - rect.left) / rect.width : 0.5;
    var fy = at && at.clientY !== undefined ? (at.clientY - rect.top) / rect.height : 0.5;
    var cx = (stage.scrollLeft + fx * rect.width) / v.zoom;
    var cy = (stage.scrollTop + fy * rect.height) / v.zoom;
    if (v.zoom === 1) { // the picture as it fits (the stage's width while it is still loading)
      v.fit = v.img.getBoundingClientRect().width || v.stage.clientWidth;
    }
    v.zoom = next;
    v.img.style.width = next === 1 ? "" : Math.round(v.fit * next) + "px";
    v.img.style.maxWidth = next === 1 ? "" : "none";
    v.img.style.maxHeight = next === 1 ? "" : "none";
    v.box.classList.toggle("zoomed", next > 1);
    v.level.textContent = Math.round(next * 100) + "%";
    // The display copy is at most 2048 px long: one that long may come from a larger original,
    // shown instead once it has loaded (one the browser cannot show, HEIC, is left aside).
    var long = Math.max(v.img.naturalWidth, v.img.naturalHeight);
    if (next > 1 && long >= 2048 && v.img.clientWidth > v.img.naturalWidth && !v.full) {
      v.full = true;
      var full = new Image();
      full.onload = function () {
        if (viewer === v && full.naturalWidth > v.img.naturalWidth) v.img.src = full.src;
      };
      full.src = fileBase + v.id + "/original";
    }
    stage.scrollLeft = cx * next - fx * rect.width;
    stage.scrollTop = cy * next - fy * rect.height;
  }

  function pinch(stage) {
    var points = {};
    var start = null;
    stage.addEventListener("pointerdown", function (event) {
      points[event.pointerId] = event;
    });
    stage.addEventListener("pointermove", function (event) {
      if (!points[event.pointerId]) return;
      points[event.pointerId] = event;
      var ids = Object.keys(points);
      if (ids.length !== 2) return;
      var a = points[ids[0]];
      var b = points[ids[1]];
      var distance = Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY);
      if (!start) start = { distance: distance, zoom: viewer.zoom };
      var middle = { clientX: (a.clientX + b.clientX) / 2, clientY: (a.clientY + b.clientY) / 2 };
      zoom(start.zoom * distance / start.distance, middle);
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      stage.addEventListener(name, function (event) {
        delete points[event.pointerId];
        start = null;
      });
    });
  }

  function shut() {
    if (!viewer) return;
    var link = viewer.link;
    viewer.box.remove();
    viewer = null;
    document.body.classList.remove("viewing");
    if (link.isConnected) link.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (!viewer || /^(TEXTAREA|INPUT)$/.test(event.target.tagName)) return; // typing a caption
    if (event.key === "Escape") shut();
    if (event.key === "+" || event.key === "=") zoom(viewer.zoom * 1.5);
    if (event.key === "-") zoom(viewer.zoom / 1.5);
  });

  function write(method, url, body, renewed) {
    var options = { method: method, credentials: "same-origin",
      headers: { "X-CSRFToken": token(), "Content-Type": "application/json" } };
    if (body) options.body = JSON.stringify(body);
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 400 && data.error && data.error.code === "csrf_failed" &&
            !renewed) {
          return freshToken().then(function () { return write(method, url, body, true); });
        }
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function failed(said, outcome) {
    said.textContent = outcome.status === 409 ? words.locked :
      outcome.status === 401 ? words.login : words.upload_refused + " " +
      ((outcome.data.error || {}).message || "");
  }

  function saveCaption(id, link, text, said) {
    said.textContent = words.uploading;
    write("PATCH", fileBase + id, { caption: text }).then(function (outcome) {
      if (!outcome.ok) return failed(said, outcome);
      var caption = outcome.data.caption;
      if (caption) link.dataset.caption = caption; else delete link.dataset.caption;
      link.querySelector("img").alt = caption || words.photo;
      said.textContent = words.caption_saved;
    }).catch(function () { said.textContent = words.upload_failed; });
  }

  function removePhoto(id, link, said) {
    if (!window.confirm(words.confirm_remove)) return;
    var key = link.closest(".item").id.slice(5); // "item-" + its key
    write("DELETE", fileBase + id + "?item_key=" + encodeURIComponent(key)).then(function (outcome) {
      if (!outcome.ok) return failed(said, outcome);
      var item = link.closest(".item");
      shut();
      link.remove();
      refreshNeed(item);
    }).catch(function () { said.textContent = words.upload_failed; });
  }

  window.inspectionViewer = { open: open };
})();
