// The service worker: keeps the app shell (every static file, and the page shown for a page
// never kept) and the pages and reads an inspector has opened or prepared for offline work, and
// answers from them when the network does not. It never sends anything: what waits to be sent
// is in IndexedDB and the open page sends it (static/js/outbox.js), which knows its user and its
// session (and some browsers, and Playwright's offline mode, do not cut a worker's requests).
// VERSION and SHELL are written above this by the server (views/offline.py).
"use strict";

var SHELL_CACHE = "inspection-shell-" + VERSION;
var PAGES = "inspection-pages"; // this tablet's user's pages and reads: cleared at logout
var OFFLINE_PAGE = SHELL[SHELL.length - 1];
var WAIT_MS = 4000; // a page the network has not answered by then comes from the cache, if kept
// Reads kept for offline work: a visit, its score, deficiencies and photos (not /me: a session
// is never taken from a cache).
var KEPT_READS = /^\/api\/v1\/visits\/\d+(\/score|\/findings|\/photos)?$/;
var PHOTO_FILES = /^\/api\/v1\/photos\/\d+\/(thumb|display)$/; // a photo's files never change

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return cache.addAll(SHELL.map(function (url) { // kept for everyone: fetched without a session
      return new Request(url, { credentials: "omit", cache: "no-cache" });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

// An update takes over at once; the old shell goes, the kept pages and reads stay.
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("inspection-shell-") === 0 && name !== SHELL_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return; // writes go to the network, as the page sent them
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0 || url.pathname === OFFLINE_PAGE) {
    event.respondWith(fromShell(request));
  } else if (PHOTO_FILES.test(url.pathname)) {
    event.respondWith(keptFirst(request));
  } else if (request.mode === "navigate" || KEPT_READS.test(url.pathname)) {
    event.respondWith(networkFirst(request, request.mode === "navigate"));
  }
});

function fromShell(request) {
  return caches.open(SHELL_CACHE).then(function (cache) {
    return cache.match(request, { ignoreSearch: true }).then(function (kept) {
      return kept || fetch(request);
    });
  });
}

function keptFirst(request) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (kept) {
      return kept || fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
    });
  });
}

// A page of HTML, as the server sent it (not a redirect to the login page, not a file).
function keepable(response) {
  var type = response.headers.get("Content-Type") || "";
  return response.ok && !response.redirected &&
    (type.indexOf("text/html") === 0 || type.indexOf("application/json") === 0);
}

// The network's answer, kept for later; without a network, the kept copy (a page marked so, to
// say how old it is), else for a page the one that says this page was never kept. A network
// that hangs is waited for WAIT_MS when a copy is kept, as long as it takes otherwise.
function networkFirst(request, page) {
  return caches.open(PAGES).then(function (cache) {
    var network = fetch(request).then(function (response) {
      if (keepable(response)) cache.put(request, response.clone());
      if (response.status < 500) return response;
      return kept().then(function (copy) { return copy || response; }); // a server restarting
    });
    var kept = function () {
      return cache.match(request, { ignoreVary: true }).then(function (copy) {
        return copy && page ? marked(copy) : copy;
      });
    };
    var fallback = function () {
      return kept().then(function (copy) {
        if (copy) return copy;
        if (page) return caches.match(OFFLINE_PAGE, { ignoreSearch: true });
        return new Response(JSON.stringify({ error: { code: "offline", message: "offline" } }), {
          status: 503, headers: { "Content-Type": "application/json" },
        });
      });
    };
    var slow = new Promise(function (resolve) {
      setTimeout(function () {
        kept().then(function (copy) { if (copy) resolve(copy); });
      }, WAIT_MS);
    });
    return Promise.race([network, slow]).catch(fallback);
  });
}

// A kept page says it is one (static/js/outbox.js shows when the server made it): not the
// tablet's clock against the server's, which may differ by hours in the field.
function marked(copy) {
  return copy.text().then(function (html) {
    var headers = new Headers(copy.headers);
    headers["delete"]("Content-Length"); // of the body as the server sent it
    headers["delete"]("Content-Encoding");
    return new Response(html.replace(/<body\b/, '<body data-kept=""'), {
      status: copy.status, statusText: copy.statusText, headers: headers,
    });
  });
}
