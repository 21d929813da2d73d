// api: the console's only way to the server (docs/http-api.md). Adds the CSRF
// token to every command; a 401 from any call sends the page back to sign-in.

import { t } from './i18n.js';
import { setTimeZone } from './dom.js';

let csrf = '';
let onUnauthenticated = () => {};

export function setCsrf(token) { csrf = token || ''; }
export function onSignedOut(fn) { onUnauthenticated = fn; }

// Whether this browser signed in, to the console or the phone page (one
// origin, one flag; not a secret: the session itself is an HttpOnly cookie).
// Without it a page shows sign-in without asking the server, so a first
// visit has no failed request in the browser's console.
const SIGNED_IN_KEY = 'fq.signedIn';
export function rememberSignedIn(on) {
    try {
        if (on) localStorage.setItem(SIGNED_IN_KEY, '1');
        else localStorage.removeItem(SIGNED_IN_KEY);
    } catch (e) { /* not remembered: the page asks the server each time */ }
}
export function maybeSignedIn() {
    try { return localStorage.getItem(SIGNED_IN_KEY) !== null; } catch (e) { return true; }
}

export class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
        super(message);
        this.status = status;
        this.code = code;
        this.retryAfter = retryAfter;
    }
    // The error in words for the person: the server's message, else ours for the code.
    words() {
        const known = t('errors')[this.code];
        if (this.message && known) return `${known}：${this.message}`;
        return this.message || known || `${t('error')} ${this.status}`;
    }
}

export function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
        if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, v === true ? '1' : String(v));
    }
    const s = q.toString();
    return s ? `?${s}` : '';
}

// One request to the API: the parsed JSON answer, or an ApiError (status 0:
// the network). The phone page (phone/js/field.js) makes its calls through it too.
export async function call(method, path, body, { quiet401 = false, signal } = {}) {
    const headers = { Accept: 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
        res = await fetch(path, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            credentials: 'same-origin',
            cache: 'no-store',
            signal,
        });
    } catch (e) {
        throw new ApiError(0, 'network', t('networkError'), 0);
    }
    if (res.status === 204) return null;
    let doc = null;
    try {
        doc = await res.json();
    } catch (e) {
        doc = null;
    }
    if (res.ok) {
        if (doc && typeof doc.time_zone === 'string') setTimeZone(doc.time_zone);
        return doc;
    }
    const err = (doc && doc.error) || {};
    const retry = parseInt(res.headers.get('Retry-After') || '0', 10) || 0;
    const e = new ApiError(res.status, err.code || String(res.status), err.message || '', retry);
    if (res.status === 401 && !quiet401) onUnauthenticated();
    throw e;
}

export const api = {
    session: () => call('GET', '/api/v1/session', undefined, { quiet401: true }),
    login: (account, password) => call('POST', '/api/v1/login', { account, password }, { quiet401: true }),
    logout: () => call('POST', '/api/v1/logout', {}),
    topology: () => call('GET', '/api/v1/topology'),
    board: (params) => call('GET', `/api/v1/board${query(params)}`),
    incident: (id, cursor) => call('GET', `/api/v1/incidents/${encodeURIComponent(id)}${query({ cursor })}`),
    roster: (params) => call('GET', `/api/v1/roster${query(params)}`),
    stats: (params) => call('GET', `/api/v1/stats${query(params)}`),
    command: (id, body) => call('POST', `/api/v1/incidents/${encodeURIComponent(id)}/commands`, body),
};

export function boardCsvUrl(params) { return `/api/v1/board${query({ ...params, format: 'csv' })}`; }
export function statsCsvUrl(params) { return `/api/v1/stats${query({ ...params, format: 'csv' })}`; }
