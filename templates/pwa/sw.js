/* Selvbetjening's service worker, served from /sw.js so that it controls the whole site.
 *
 * What it keeps: the static files (CSS, JS, icons, manifest) and the offline page, in one
 * cache named after this deploy's version; a new deploy has a new version, so a new
 * worker installs a new cache and deletes the old ones when it activates.
 *
 * What it never keeps: pages. Navigations go to the network, and only when the network
 * fails is the cached offline page shown; the app's HTML, HTMX requests (HX-Request),
 * downloads, /dev/outbox and anything that is not a GET pass straight through.
 */
"use strict";

const VERSION = {{ version|tojson }};
const PREFIX = "selvbetjening-";
const CACHE = PREFIX + VERSION;
const STATIC_PREFIX = {{ static_prefix|tojson }};
const STATIC_FILES = {{ static_files|tojson }};
const OFFLINE_URL = {{ offline_url|tojson }};
const LANGUAGES = {{ languages|tojson }};
const LANGUAGE_KEY = OFFLINE_URL + "?lang=current";  // the page's language, told by pwa.js

function offlineUrl(language) {
  return OFFLINE_URL + "?lang=" + language;
}

self.addEventListener("install", (event) => {
  // Without cookies: the offline page is cached on the device and must not belong to anyone.
  const urls = STATIC_FILES.concat(LANGUAGES.map(offlineUrl));
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(urls.map((url) => new Request(url, { cache: "reload", credentials: "omit" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(PREFIX) && name !== CACHE)
      .map((name) => caches.delete(name)));
    if (self.registration.navigationPreload) {
      await self.registration.navigationPreload.enable();  // the page request starts while the worker wakes
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || request.headers.has("HX-Request")) {
    return;  // changes and HTMX fragments: always the network, never a cache
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(handleNavigation(event));
  } else if (url.pathname.startsWith(STATIC_PREFIX) && !url.search) {
    event.respondWith(handleStatic(request));
  }
  // anything else (downloads, job status, JSON, /dev/outbox): the network, as without a worker
});

// A page: the network only. Its response is never stored; the offline page stands in
// for it when the network cannot be reached (a server error is shown as it is).
async function handleNavigation(event) {
  try {
    const preloaded = await event.preloadResponse;
    return preloaded || await fetch(event.request);
  } catch (error) {
    return offlinePage();
  }
}

async function offlinePage() {
  const cache = await caches.open(CACHE);
  const saved = await cache.match(LANGUAGE_KEY);
  let language = saved ? await saved.text() : null;
  if (!LANGUAGES.includes(language)) {
    const preferred = (self.navigator.languages || []).map((tag) => tag.slice(0, 2).toLowerCase());
    language = preferred.find((tag) => LANGUAGES.includes(tag)) || LANGUAGES[0];
  }
  const page = await cache.match(offlineUrl(language), { ignoreVary: true })
    || await cache.match(offlineUrl(LANGUAGES[0]), { ignoreVary: true });
  return page || Response.error();
}

// A static file: from this version's cache, else the network (and then kept).
async function handleStatic(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request, { ignoreVary: true });
  if (hit) {
    return hit;
  }
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    await cache.put(request, response.clone());
  }
  return response;
}

// pwa.js tells the page's language, so that the offline page speaks it.
let rememberedLanguage = null;
self.addEventListener("message", (event) => {
  const language = event.data && event.data.language;
  if (!LANGUAGES.includes(language) || language === rememberedLanguage) {
    return;
  }
  rememberedLanguage = language;
  event.waitUntil(caches.open(CACHE).then((cache) => cache.put(LANGUAGE_KEY, new Response(language))));
});
