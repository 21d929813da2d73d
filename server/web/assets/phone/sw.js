// sw: the phone page's service worker. It keeps the page's own files (and the
// console's modules and Leaflet it uses) so that the page opens without a
// link; it never touches /api/ — what the server says, and what the worker
// does, go through the page's IndexedDB (js/store.js, js/outbox.js).
//
// Each file is answered from the cache when it is there, and fetched again
// behind it so that the next visit has the newest copy; a new version of this
// file (CACHE) drops the old copies.

const CACHE = 'fq-phone-3';
const FILES = [
    './', 'index.html', 'phone.css', 'manifest.json',
    'js/app.js', 'js/texts.js', 'js/field.js', 'js/store.js', 'js/outbox.js', 'js/photos.js',
    'js/placemap.js', 'js/alert.js', 'js/assignment.js',
    '../js/api.js', '../js/dom.js', '../js/i18n.js', '../js/signin.js', '../js/timeline.js',
    '../common.css', '../favicon.svg', '../vendor/leaflet/leaflet.js', '../vendor/leaflet/leaflet.css',
];

self.addEventListener('install', (e) => {
    e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
    e.waitUntil(caches.keys()
        .then((keys) => Promise.all(keys.filter((k) => k.startsWith('fq-phone-') && k !== CACHE).map((k) => caches.delete(k))))
        .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
    const req = e.request;
    const url = new URL(req.url);
    if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
    e.respondWith(caches.open(CACHE).then(async (cache) => {
        const kept = await cache.match(req, { ignoreSearch: true });
        const fresh = fetch(req).then((res) => {
            if (res.ok) cache.put(req, res.clone());
            return res;
        });
        if (kept) {
            fresh.catch(() => {}); // offline: the kept copy is the answer
            return kept;
        }
        return fresh;
    }));
});

// A tap on the new-assignment notification opens (or focuses) the page at it.
self.addEventListener('notificationclick', (e) => {
    e.notification.close();
    const target = new URL((e.notification.data && e.notification.data.url) || './', self.registration.scope).href;
    e.waitUntil(self.clients.matchAll({ type: 'window' }).then((list) => {
        for (const c of list) {
            if (c.url.startsWith(self.registration.scope)) return c.navigate(target).then((w) => (w || c).focus());
        }
        return self.clients.openWindow(target);
    }));
});
