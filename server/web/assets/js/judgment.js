// judgment: the 研判 view (docs/judgment.md) — hotspots, trends, repeat
// sources and long-pending cases of the jurisdiction as lists, hotspot circles
// and repeat addresses as a layer on the map, and an alert when the server
// pushes a new finding (the live feed's `finding` events).

import { call, query } from './api.js';
import { el, replace, dateTime, fromWallInput } from './dom.js';
import { t } from './i18n.js';

const L = window.L;
const PARTS = ['hotspots', 'trends', 'repeats', 'long-pending'];

// "10-21 12:33 – 23:43" (one day), "10-21 12:33 – 10-22 10:25" (two): short
// enough for the lists beside the map, and breaking only between its two
// ends, so that a narrow screen shows it on two lines rather than scrolling.
function span(first, last) {
    const a = dateTime(first), b = dateTime(last);
    return [el('span', { class: 'nowrap' }, `${a.slice(5)} –`), ' ',
        el('span', { class: 'nowrap' }, a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b.slice(5))];
}

// "2018-10-21 12:33", its date and its time each kept whole.
function stamp(ms) {
    const a = dateTime(ms);
    if (a.length < 16) return a;
    return [el('span', { class: 'nowrap' }, a.slice(0, 10)), ' ', el('span', { class: 'nowrap' }, a.slice(11))];
}

function fetchPart(part, asOf) {
    return call('GET', `/api/v1/judgment/${part}${query({ as_of_ms: asOf })}`);
}

export class Judgment {
    // onOpen(id): open an incident; alerts: the console's banner (alerts.js).
    constructor({ onOpen, alerts }) {
        this.onOpen = onOpen;
        this.alerts = alerts;
        // Empty: now, and refreshed when a finding is pushed; a time chosen
        // pins the view to it.
        this.asOf = el('input', { type: 'datetime-local', class: 'as-of', onchange: () => { this.pinned = !!this.asOf.value; } });
        this.pinned = false;
        this.showLayer = el('input', { type: 'checkbox', checked: true, onchange: () => this.drawLayer() });
        this.message = el('p', { class: 'message' });
        this.method = el('p', { class: 'judgment-method' });
        this.sections = {};
        for (const part of PARTS) {
            const count = el('span', { class: 'count' });
            const body = el('div', { class: 'table-wrap' });
            this.sections[part] = { count, body };
        }
        const section = (part, title) => el('section', { class: `judgment-part judgment-${part}` },
            el('h3', null, t(title), ' ', this.sections[part].count), this.sections[part].body);
        this.node = el('section', { class: 'judgment-view' },
            el('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); this.refresh(); } },
                el('label', null, t('judgmentAsOf'), ' ', this.asOf),
                el('button', { type: 'submit', class: 'primary' }, t('show')),
                el('button', { type: 'button', onclick: () => { this.asOf.value = ''; this.pinned = false; this.refresh(); } }, t('judgmentNow')),
                el('label', null, this.showLayer, ' ', t('judgmentOnMap'))),
            this.message, this.method,
            section('hotspots', 'judgmentHotspots'), section('trends', 'judgmentTrends'),
            section('repeats', 'judgmentRepeats'), section('long-pending', 'judgmentPending'));
        this.loaded = false;
        this.data = {};
    }

    // The console's Leaflet map, for the layer.
    setMap(map) {
        this.map = map;
        this.layer = L.layerGroup().addTo(map);
    }

    asOfMs() {
        const v = this.pinned ? fromWallInput(this.asOf.value) : NaN;
        return Number.isFinite(v) ? v : undefined;
    }

    async refresh() {
        this.loaded = true;
        this.message.textContent = t('loading');
        const asOf = this.asOfMs();
        try {
            const answers = await Promise.all(PARTS.map((p) => fetchPart(p, asOf)));
            PARTS.forEach((p, i) => { this.data[p] = answers[i]; });
        } catch (e) {
            this.message.textContent = e.words ? e.words() : String(e);
            return;
        }
        this.message.textContent = '';
        const m = this.data.hotspots.method;
        this.method.textContent = t('judgmentMethod', {
            at: dateTime(m.as_of_ms), n: m.hotspot_min, r: m.hotspot_radius_m, d: m.hotspot_days,
            w: m.trend_weeks, min: m.trend_min_count, p: m.trend_p, k: m.repeat_min, rd: m.repeat_days,
            pd: m.pending_days, judged: this.data.hotspots.incidents_judged,
        });
        this.drawHotspots();
        this.drawTrends();
        this.drawRepeats();
        this.drawPending();
        this.drawLayer();
    }

    incidentLinks(list) {
        return (list || []).slice(0, 3).map((inc) => el('a', {
            href: `#incident/${inc.id}`, title: inc.title,
            onclick: (e) => { e.preventDefault(); this.onOpen(inc.id); },
        }, `#${inc.id}`)).flatMap((a, i) => (i ? [' ', a] : [a]));
    }

    table(part, head, rows) {
        const s = this.sections[part];
        s.count.textContent = `(${rows.length})`;
        if (!rows.length) {
            replace(s.body, el('p', { class: 'empty' }, t('judgmentNone')));
            return;
        }
        replace(s.body, el('table', { class: 'judgment' },
            el('thead', null, el('tr', null, head.map((h) => el('th', null, t(h))))),
            el('tbody', null, rows)));
    }

    drawHotspots() {
        const rows = (this.data.hotspots.hotspots || []).map((h) => el('tr', {
            class: 'clickable', onclick: (e) => { if (e.target.tagName !== 'A') this.focus(h.lat, h.lon, h.radius_m); },
        },
        el('td', null, h.category_name), el('td', null, h.town_name || '—'),
        el('td', { class: 'num' }, String(h.count)), el('td', { class: 'num' }, `${Math.round(h.radius_m)} m`),
        el('td', null, span(h.first_ms, h.last_ms)),
        el('td', { class: 'address' }, h.address || ''), el('td', { class: 'wrap' }, this.incidentLinks(h.incidents))));
        this.table('hotspots', ['judgmentCategory', 'judgmentTown', 'judgmentCount', 'judgmentRadius', 'judgmentWhen', 'judgmentAddress', 'judgmentIncidents'], rows);
    }

    drawTrends() {
        const rows = (this.data.trends.trends || []).map((x) => el('tr', null,
            el('td', null, x.town_name || '—'), el('td', null, x.category_name),
            el('td', { class: 'num' }, String(x.count)), el('td', { class: 'num' }, x.mean.toFixed(2)),
            el('td', { class: 'num' }, `×${x.ratio}`), el('td', { class: 'num' }, String(x.p)),
            el('td', { class: 'history wrap' }, x.history.slice().reverse().join(' · '))));
        this.table('trends', ['judgmentTown', 'judgmentCategory', 'judgmentThisWeek', 'judgmentMean', 'judgmentRatio', 'judgmentP', 'judgmentHistory'], rows);
    }

    drawRepeats() {
        const rows = (this.data.repeats.repeats || []).map((x) => el('tr', {
            class: x.lat !== undefined ? 'clickable' : '',
            onclick: (e) => { if (e.target.tagName !== 'A' && x.lat !== undefined) this.focus(x.lat, x.lon, 60); },
        },
        el('td', null, t(`judgmentKind_${x.kind}`)), el('td', { class: 'address' }, x.label),
        el('td', { class: 'num' }, String(x.count)), el('td', null, x.town_name || '—'),
        el('td', null, span(x.first_ms, x.last_ms)),
        el('td', { class: 'wrap' }, this.incidentLinks(x.incidents))));
        this.table('repeats', ['judgmentKind', 'judgmentSource', 'judgmentCount', 'judgmentTown', 'judgmentWhen', 'judgmentIncidents'], rows);
    }

    drawPending() {
        const rows = (this.data['long-pending'].cases || []).map((c) => el('tr', { class: c.overdue ? 'overdue' : '' },
            el('td', null, el('a', { href: `#incident/${c.id}`, onclick: (e) => { e.preventDefault(); this.onOpen(c.id); } }, `#${c.id}`)),
            el('td', { class: 'wrap' }, c.title), el('td', null, c.category_name), el('td', null, c.town_name || '—'),
            el('td', null, c.unit_name), el('td', null, stamp(c.received_ms)),
            el('td', { class: 'num' }, String(c.days_pending)),
            el('td', null, c.overdue ? t('judgmentOverdue') : (c.suspended_now ? t('judgmentSuspended') : '—'))));
        this.table('long-pending', ['judgmentId', 'judgmentTitle', 'judgmentCategory', 'judgmentTown', 'judgmentUnit', 'judgmentReceived', 'judgmentDays', 'judgmentMark'], rows);
    }

    // Hotspots as circles of their radius; repeat addresses as rings.
    drawLayer() {
        if (!this.layer) return;
        this.layer.clearLayers();
        if (!this.showLayer.checked || !this.data.hotspots) return;
        for (const h of this.data.hotspots.hotspots || []) {
            L.circle([h.lat, h.lon], { radius: Math.max(h.radius_m, 30), className: 'hotspot-circle', weight: 2 })
                .bindTooltip(el('span', null, t('judgmentHotspotTip', { c: h.category_name, n: h.count, r: Math.round(h.radius_m) })), { sticky: true })
                .addTo(this.layer);
        }
        for (const x of this.data.repeats.repeats || []) {
            if (x.lat === undefined) continue;
            L.circleMarker([x.lat, x.lon], { radius: 6 + Math.min(10, x.count), className: 'repeat-marker', weight: 3 })
                .bindTooltip(el('span', null, t('judgmentRepeatTip', { s: x.label, n: x.count })), { sticky: true })
                .addTo(this.layer);
        }
    }

    focus(lat, lon, radius) {
        if (!this.map) return;
        this.map.fitBounds(L.latLng(lat, lon).toBounds(Math.max(radius, 60) * 3));
    }

    // A finding the server pushed (docs/http-api.md, "The live feed").
    onFinding(doc) {
        const f = doc.finding || {};
        const newest = (f.incidents && f.incidents[0]) ? f.incidents[0].id : undefined;
        let text;
        if (doc.type === 'hotspot') text = t('findingHotspot', { c: f.category_name, n: f.count, town: f.town_name || '', r: Math.round(f.radius_m) });
        else if (doc.type === 'trend') text = t('findingTrend', { c: f.category_name, n: f.count, town: f.town_name || '', m: f.mean });
        else if (doc.type === 'repeat') text = t('findingRepeat', { kind: t(`judgmentKind_${f.kind}`), s: f.label, n: f.count });
        else return;
        this.alerts.raise(`finding:${doc.type}:${JSON.stringify([f.category, f.town, f.label, f.first_ms])}`, text, newest, false);
        if (this.loaded && !this.pinned) this.refresh();
    }
}
