// frontdesk: the 综合受理 view (docs/front-desk.md) — a receptionist registers
// a visitor's or caller's case: the person, the matter, the category (with
// suggestions from the taxonomy's keywords), the place (an address from the
// list or a click on the map); beside the form the same person's or phone's
// earlier cases (重复信访), masked, with an audited look at the full data.

import { call, query } from './api.js';
import { el, replace, select, dateTime } from './dom.js';
import { t, label } from './i18n.js';
import { PlaceMap, markerIcon } from './map.js';

const L = window.L;

const MATTERS = ['complaint', 'consult', 'legal_aid', 'help', 'dispute'];
const CHANNELS = ['walk_in', 'hotline', 'petition'];
const WAIT_MS = 350; // typing pauses this long before the server is asked

const fd = {
    cases: (body) => call('POST', '/api/v1/frontdesk/cases', body),
    history: (params) => call('GET', `/api/v1/frontdesk/history${query(params)}`),
    suggest: (params) => call('GET', `/api/v1/frontdesk/suggest${query(params)}`),
    addresses: (q) => call('GET', `/api/v1/frontdesk/addresses${query({ q })}`),
    reveal: (id) => call('GET', `/api/v1/frontdesk/persons/${encodeURIComponent(id)}?reveal=1`),
};

function debounce(fn, ms) {
    let timer = 0;
    return () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
}

function newRequestId() {
    const b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return 'fd-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function field(key, input, hint) {
    return el('label', { class: 'field', dataset: { for: key } }, el('span', null, t(key)), input, hint || null);
}

export class FrontDesk {
    constructor(topo, session, { onOpen }) {
        this.topo = topo;
        this.session = session;
        this.onOpen = onOpen;
        this.location = null;
        this.requestId = newRequestId();
        this.build();
    }

    build() {
        const input = (name, attrs) => el('input', { type: 'text', name, autocomplete: 'off', ...attrs });
        this.name = input('name', { required: true, maxlength: 100 });
        this.phone = input('phone', { inputmode: 'tel', maxlength: 40 });
        this.idNumber = input('id_number', { maxlength: 40 });
        this.matter = select({ name: 'matter' }, MATTERS.map((m) => [m, label('matters', m)]), 'dispute');
        this.channel = select({ name: 'channel' }, CHANNELS.map((c) => [c, label('channels', c)]), 'walk_in');
        this.title = input('title', { required: true, maxlength: 200 });
        this.description = el('textarea', { name: 'description', rows: 3, maxlength: 4000 });
        this.category = select({ name: 'category' },
            [['', t('fdChooseCategory')], ...this.topo.categories.map((c) => [c.code, c.name])], '');
        this.severity = select({ name: 'severity' }, ['iv', 'iii', 'ii', 'i'].map((s) => [s, label('severities', s)]), 'iv');
        this.risk = select({ name: 'risk' }, ['low', 'medium', 'high'].map((r) => [r, label('risks', r)]), 'low');
        this.address = input('address', { maxlength: 200, placeholder: t('fdAddressHint') });
        this.suggestions = el('div', { class: 'fd-suggestions', 'aria-live': 'polite' });
        this.addressList = el('ul', { class: 'fd-addresses' });
        this.placeText = el('span', { class: 'fd-place' }, t('fdNoPlace'));
        this.mapBox = el('div', { class: 'fd-map' });
        this.message = el('p', { class: 'message', role: 'status' });
        this.submit = el('button', { type: 'submit', class: 'primary' }, t('fdRegister'));
        this.history = el('div', { class: 'fd-history' }, el('p', { class: 'muted' }, t('fdHistoryHint')));
        this.form = el('form', { class: 'fd-form', novalidate: true },
            el('fieldset', null, el('legend', null, t('fdPerson')),
                field('fdName', this.name), field('fdPhone', this.phone), field('fdIdNumber', this.idNumber)),
            el('fieldset', null, el('legend', null, t('fdMatter')),
                el('div', { class: 'fd-row' }, field('fdMatterKind', this.matter), field('fdChannel', this.channel)),
                field('fdTitle', this.title), field('fdDescription', this.description),
                this.suggestions,
                el('div', { class: 'fd-row' }, field('fdCategory', this.category),
                    field('fdSeverity', this.severity), field('fdRisk', this.risk))),
            el('fieldset', null, el('legend', null, t('fdPlace')),
                field('fdAddress', this.address), this.addressList,
                el('p', { class: 'muted' }, t('fdMapHint')), this.mapBox, this.placeText),
            this.submit, this.message);
        this.form.addEventListener('submit', (e) => { e.preventDefault(); this.register(); });
        const lookHistory = debounce(() => this.loadHistory(), WAIT_MS);
        for (const i of [this.name, this.phone, this.idNumber]) i.addEventListener('input', lookHistory);
        const suggest = debounce(() => this.loadSuggestions(), WAIT_MS);
        this.title.addEventListener('input', suggest);
        this.description.addEventListener('input', suggest);
        const addresses = debounce(() => this.loadAddresses(), WAIT_MS);
        this.address.addEventListener('input', () => { this.location = null; this.drawPlace(); addresses(); });
        this.node = el('section', { class: 'frontdesk', hidden: true },
            el('h2', null, t('fdTitleView')),
            el('div', { class: 'fd-columns' }, this.form,
                el('aside', { class: 'fd-side' }, el('h3', null, t('fdHistory')), this.history)));
    }

    // The map is made when the view is first shown: Leaflet measures its box.
    shown() {
        if (!this.map) {
            this.map = new PlaceMap(this.mapBox, this.topo);
            this.map.map.on('click', (e) => this.setLocation(e.latlng.lat, e.latlng.lng, ''));
        }
        requestAnimationFrame(() => {
            this.map.map.invalidateSize();
            if (!this.location) this.fitJurisdiction();
        });
    }

    fitJurisdiction() {
        const rings = [];
        for (const g of this.topo.grids.values()) if (g.ring && g.ring.length >= 3) rings.push(g.ring);
        if (rings.length) this.map.map.fitBounds(L.polygon(rings).getBounds(), { padding: [10, 10] });
    }

    setLocation(lat, lng, unitName) {
        this.location = { lat, lng };
        if (this.marker) this.marker.remove();
        this.marker = L.marker([lat, lng], { icon: markerIcon({ severity: this.severity.value }), interactive: false }).addTo(this.map.map);
        this.placeUnitName = unitName;
        this.drawPlace();
    }

    drawPlace() {
        if (!this.location) { this.placeText.textContent = t('fdNoPlace'); if (this.marker) { this.marker.remove(); this.marker = null; } return; }
        const at = `${this.location.lat.toFixed(5)}, ${this.location.lng.toFixed(5)}`;
        this.placeText.textContent = this.placeUnitName ? t('fdPlaceAt', { place: this.placeUnitName, at }) : t('fdPlacePoint', { at });
    }

    async loadAddresses() {
        const q = this.address.value.trim();
        if (!q) { replace(this.addressList); return; }
        let r;
        try { r = await fd.addresses(q); } catch (e) { return; }
        if (q !== this.address.value.trim()) return;
        replace(this.addressList, ...(r.addresses || []).map((a) => el('li', null,
            el('button', {
                type: 'button',
                onclick: () => {
                    this.address.value = a.text;
                    replace(this.addressList);
                    this.setLocation(a.lat, a.lng, a.unit_name);
                    this.map.map.setView([a.lat, a.lng], 16);
                },
            }, a.text, el('span', { class: 'muted' }, ` · ${a.unit_name}`)))));
    }

    async loadSuggestions() {
        const title = this.title.value.trim(), text = this.description.value.trim();
        if (!title && !text) { replace(this.suggestions); return; }
        let r;
        try { r = await fd.suggest({ title, text }); } catch (e) { return; }
        const list = r.suggestions || [];
        replace(this.suggestions, list.length ? el('span', { class: 'muted' }, t('fdSuggested')) : null,
            ...list.map((s) => el('button', {
                type: 'button',
                class: s.code === this.category.value ? 'chip active' : 'chip',
                onclick: () => { this.category.value = s.code; this.loadSuggestions(); },
            }, s.name)));
        if (!this.category.value && list.length) this.category.value = list[0].code;
    }

    async loadHistory() {
        const params = { phone: this.phone.value.trim(), id_number: this.idNumber.value.trim(), name: this.name.value.trim() };
        if (!params.phone && !params.id_number && !params.name) {
            replace(this.history, el('p', { class: 'muted' }, t('fdHistoryHint')));
            return;
        }
        // An identity number is looked up once it is whole; a phone once it has enough digits.
        if (params.id_number.replace(/\s/g, '').length !== 18) delete params.id_number;
        if (params.phone.replace(/\D/g, '').length < 5) delete params.phone;
        let r;
        try { r = await fd.history(params); } catch (e) {
            replace(this.history, el('p', { class: 'message error' }, e.words ? e.words() : String(e)));
            return;
        }
        this.drawHistory(r);
    }

    drawHistory(r) {
        const cases = r.cases || [];
        if (!cases.length) { replace(this.history, el('p', { class: 'muted' }, t('fdNoHistory', { days: r.days }))); return; }
        const open = cases.filter((c) => c.open).length;
        replace(this.history,
            el('p', { class: open ? 'fd-repeat' : 'muted' }, t('fdRepeat', { n: cases.length, open, days: r.days })),
            el('ol', { class: 'fd-cases' }, ...cases.map((c) => this.historyItem(c))));
    }

    historyItem(c) {
        const who = el('span', { class: 'fd-who' }, [c.name, c.phone, c.id_number].filter(Boolean).join(' · '));
        const li = el('li', null,
            el('button', { type: 'button', class: 'link fd-case-title', onclick: () => this.onOpen(c.incident_id) }, c.title),
            el('div', { class: 'muted' }, `${dateTime(c.recorded_at_ms)} · ${c.category_name} · ${c.territory_name} · `,
                el('span', { class: c.open ? 'fd-open' : '' }, label('states', c.open ? 'open' : c.state))),
            el('div', null, who, ' ', el('span', { class: 'muted' },
                t('fdMatched', { what: (c.matched || []).map((m) => t('fdMatch_' + m)).join('、') }))));
        const reveal = el('button', { type: 'button', class: 'fd-reveal' }, t('fdReveal'));
        reveal.addEventListener('click', async () => {
            reveal.disabled = true;
            try {
                const p = await fd.reveal(c.party_id);
                who.textContent = [p.name, p.phone, p.id_number].filter(Boolean).join(' · ');
                reveal.replaceWith(el('span', { class: 'muted' }, t('fdRevealed')));
            } catch (e) {
                reveal.replaceWith(el('span', { class: 'message error' }, e.words ? e.words() : String(e)));
            }
        });
        li.appendChild(reveal);
        return li;
    }

    async register() {
        this.message.className = 'message';
        const person = { name: this.name.value.trim() };
        if (this.phone.value.trim()) person.phone = this.phone.value.trim();
        if (this.idNumber.value.trim()) person.id_number = this.idNumber.value.trim();
        if (!person.name || !this.title.value.trim() || !this.category.value || !this.location) {
            this.message.className = 'message error';
            this.message.textContent = t('fdMissing');
            return;
        }
        const body = {
            request_id: this.requestId, person, matter: this.matter.value, channel: this.channel.value,
            category: this.category.value, severity: this.severity.value, risk: this.risk.value,
            title: this.title.value.trim(), description: this.description.value.trim(),
            address: this.address.value.trim(), location: this.location,
        };
        this.submit.disabled = true;
        try {
            const r = await fd.cases(body);
            const p = r.placed || {};
            const where = [p.territory_name, p.lead_unit_name, p.worker_name].filter(Boolean).join(' · ');
            this.message.className = 'message ok';
            this.message.replaceChildren(
                t('fdRegistered', { id: r.incident_id, where }), ' ',
                el('button', { type: 'button', class: 'link', onclick: () => this.onOpen(r.incident_id) }, t('fdOpenCase')));
            // A new case next: the form keeps the person (a visitor may bring two matters).
            this.requestId = newRequestId();
            this.title.value = '';
            this.description.value = '';
            replace(this.suggestions);
            this.loadHistory();
        } catch (e) {
            // The same request_id on a retry: the server answers it once.
            this.message.className = 'message error';
            this.message.textContent = e.words ? e.words() : String(e);
        }
        this.submit.disabled = false;
    }
}
