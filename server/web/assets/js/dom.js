// dom: building elements without innerHTML. Every text goes in as a text node,
// so nothing the server sends (a report's title, a reason) can become markup.
import { t } from './i18n.js';

// el('div', {class: 'x', onclick: fn, dataset: {id: 1}}, child, 'text', ...)
export function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
        for (const [k, v] of Object.entries(attrs)) {
            if (v === undefined || v === null || v === false) continue;
            if (k === 'class') node.className = v;
            else if (k === 'dataset') Object.assign(node.dataset, v);
            else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
            else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected') node[k] = v;
            else node.setAttribute(k, v === true ? '' : String(v));
        }
    }
    append(node, children);
    return node;
}

function append(node, children) {
    for (const c of children) {
        if (c === undefined || c === null || c === false) continue;
        if (Array.isArray(c)) append(node, c);
        else if (c instanceof Node) node.appendChild(c);
        else node.appendChild(document.createTextNode(String(c)));
    }
}

export function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
}

export function replace(node, ...children) {
    clear(node);
    append(node, children);
    return node;
}

// A select with options [[value, text], ...].
export function select(attrs, options, selected) {
    const s = el('select', attrs);
    for (const [v, text] of options) s.appendChild(el('option', { value: v, selected: v === selected }, text));
    return s;
}

// Runs fn at most once per `ms`: the first call at once, calls during the
// quiet time folded into one call at its end. A burst of live items costs one
// refetch, and the last item is never left unseen for more than `ms`.
export function coalesce(fn, ms) {
    let last = 0;
    let timer = 0;
    return function run() {
        if (timer) return;
        const wait = last + ms - Date.now();
        if (wait <= 0) {
            last = Date.now();
            fn();
            return;
        }
        timer = setTimeout(() => {
            timer = 0;
            last = Date.now();
            fn();
        }, wait);
    };
}

const pad = (n) => String(n).padStart(2, '0');

// 1 d 02:03:04 style: a countdown an operator reads at a glance.
export function duration(ms) {
    let s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400);
    s -= d * 86400;
    const h = Math.floor(s / 3600);
    s -= h * 3600;
    const m = Math.floor(s / 60);
    s -= m * 60;
    const hms = `${pad(h)}:${pad(m)}:${pad(s)}`;
    return d > 0 ? `${t('days', { n: d })} ${hms}` : hms;
}

// Every time on the page is the district's local time (docs/web-console.md):
// an offset from UTC the server sends with its answers ("+08:00", its working
// calendar's), China Standard Time until the first answer. Never the
// browser's own zone: an operator's laptop set to another zone must read
// the same limits as the wall clock of the command center.
let zoneOffsetMs = 8 * 3600000;

export function setTimeZone(text) {
    const m = /^([+-])(\d\d):(\d\d)$/.exec(text || '');
    if (!m) return;
    const ms = (parseInt(m[2], 10) * 60 + parseInt(m[3], 10)) * 60000;
    zoneOffsetMs = m[1] === '-' ? -ms : ms;
}

// The district's offset as people write it: "UTC+08:00".
export function zoneName() {
    const m = Math.abs(zoneOffsetMs) / 60000;
    return `UTC${zoneOffsetMs < 0 ? '-' : '+'}${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}

// The district's wall-clock fields of an instant.
function wall(ms) {
    const d = new Date(ms + zoneOffsetMs);
    return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes() };
}

export function dateTime(ms) {
    if (!ms) return '—';
    const w = wall(ms);
    return `${w.y}-${pad(w.mo)}-${pad(w.d)} ${pad(w.h)}:${pad(w.mi)}`;
}

// "YYYY-MM-DD" of the district's day an instant falls in (a date input's value).
export function dayInput(ms) {
    const w = wall(ms);
    return `${w.y}-${pad(w.mo)}-${pad(w.d)}`;
}

// The instant a district day ("YYYY-MM-DD") starts.
export function dayStart(text) {
    const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(text || '');
    if (!m) return NaN;
    return Date.UTC(+m[1], +m[2] - 1, +m[3]) - zoneOffsetMs;
}

// A datetime-local input's value ("YYYY-MM-DDTHH:MM") for an instant, and back,
// in the district's time.
export function wallInput(ms) {
    const w = wall(ms);
    return `${w.y}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}`;
}

export function fromWallInput(text) {
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(text || '');
    if (!m) return NaN;
    return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]) - zoneOffsetMs;
}

// A request id for a command: random, of [A-Za-z0-9_-] (docs/http-api.md).
export function requestId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
