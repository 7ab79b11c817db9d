// A photo made ready to keep: upright and at most 2048 px on its long side (made in the browser;
// one already small enough goes as the camera wrote it, one the browser cannot decode goes as it
// is: the server judges), with where the tablet was when its browser allows it (asked once; a
// refusal is remembered). Kept in the outbox (static/js/outbox.js) with its client id, its
// capture time and what it is a photo of, then sent. Used by the checklist (photos.js) and the
// deficiencies page (findings.js).
(function () {
  "use strict";

  var outbox = window.inspectionOutbox;
  var MAX_SIDE = 2048;
  var QUALITY = 0.88;
  var OFF = "inspection.position";
  var queue = Promise.resolve(); // one photo decoded at a time: a 12 MP photo takes ~50 MB

  function upright(file) {
    if (!window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var long = Math.max(bitmap.width, bitmap.height);
      if (long <= MAX_SIDE && /^image\/(jpeg|png|webp)$/.test(file.type)) {
        bitmap.close();
        return file;
      }
      var scale = Math.min(1, MAX_SIDE / long);
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; });
  }

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

  // Keeps `file` as a photo of `visit` (`links`: its item_key, finding_id or finding_client_id)
  // under `clientId`, and starts sending it. Resolves once it is in the outbox.
  function keep(visit, file, clientId, links) {
    var taken = outbox.localTime(file.lastModified || Date.now());
    queue = queue.then(function () {
      return Promise.all([upright(file), position()]);
    }).then(function (ready) {
      var blob = ready[0], where = ready[1];
      var body = { client_id: clientId, taken_at: taken };
      Object.keys(links).forEach(function (name) { body[name] = links[name]; });
      if (where) {
        body.lat = where.latitude;
        body.lon = where.longitude;
      }
      return outbox.put({
        id: "photo/" + clientId, kind: "photo", visit: String(visit),
        key: links.item_key || links.finding_client_id || String(links.finding_id),
        blob: blob, name: blob.name || "photo.jpg", body: body,
      });
    });
    var kept = queue.then(function () { outbox.drain(); });
    queue = queue.catch(function () { /* the next photo is not held up */ });
    return kept;
  }

  if (outbox) window.inspectionCamera = { keep: keep };
})();
