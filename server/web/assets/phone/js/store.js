// store: what the phone keeps in IndexedDB so that it works without a link —
// the queue of actions and reports still to be sent (outbox, in the order the
// worker gave them), and the last things the server said (meta: the feed's
// last sequence, the assignments and each one's details, the session's
// names), all per account so that two people sharing a phone never mix.

const DB_NAME = 'fq-phone';
const VERSION = 1;
let opening = null;

function open() {
    if (opening) return opening;
    opening = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB_NAME, VERSION);
        req.onupgradeneeded = () => {
            const db = req.result;
            // key: an increasing number, so the queue's order is the order of the taps.
            if (!db.objectStoreNames.contains('outbox')) db.createObjectStore('outbox', { keyPath: 'key', autoIncrement: true });
            if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'k' });
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => { opening = null; reject(req.error); };
    });
    return opening;
}

function run(storeName, mode, fn) {
    return open().then((db) => new Promise((resolve, reject) => {
        const tx = db.transaction(storeName, mode);
        const store = tx.objectStore(storeName);
        let result;
        const req = fn(store);
        if (req) req.onsuccess = () => { result = req.result; };
        tx.oncomplete = () => resolve(result);
        tx.onabort = tx.onerror = () => reject(tx.error);
    }));
}

export const store = {
    // The outbox: {key, account, kind: 'action'|'report', incident_id, body, made_ms, state, error}.
    // Resolves once the item is on disk (the transaction committed): only then
    // does the page tell the worker it is saved.
    enqueue: (item) => run('outbox', 'readwrite', (s) => s.add(item)),
    queued: (account) => run('outbox', 'readonly', (s) => s.getAll())
        .then((all) => (all || []).filter((x) => x.account === account).sort((a, b) => a.key - b.key)),
    update: (item) => run('outbox', 'readwrite', (s) => s.put(item)),
    remove: (key) => run('outbox', 'readwrite', (s) => s.delete(key)),

    get: (account, k) => run('meta', 'readonly', (s) => s.get(`${account}:${k}`)).then((r) => (r ? r.v : undefined)),
    set: (account, k, v) => run('meta', 'readwrite', (s) => s.put({ k: `${account}:${k}`, v })),
    drop: (account, k) => run('meta', 'readwrite', (s) => s.delete(`${account}:${k}`)),
    // Everything kept of an account but `keep` (its outbox is another store:
    // never dropped here, what the worker did is sent at their next sign-in).
    forget: (account, keep) => run('meta', 'readwrite', (s) => {
        const req = s.getAllKeys();
        req.onsuccess = () => {
            for (const k of req.result) {
                if (String(k).startsWith(`${account}:`) && !keep.includes(String(k).slice(account.length + 1))) s.delete(k);
            }
        };
        return null;
    }),
};
