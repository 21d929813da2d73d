// alerts: a banner that lists what happened (linking to the incident) and a
// tone made with WebAudio, for a new grade I/II incident, a limit breach and a
// supervision breach. Muted per browser (localStorage).

import { el, replace, dateTime } from './dom.js';
import { t, label } from './i18n.js';

const MUTE_KEY = 'fq.muted';
const MAX_SHOWN = 6;

export class Alerts {
    constructor({ onOpen }) {
        this.onOpen = onOpen;
        this.entries = [];
        this.seen = new Set();
        this.audio = null;
        try { this.muted = localStorage.getItem(MUTE_KEY) === '1'; } catch (e) { this.muted = false; }
        this.list = el('ul');
        this.node = el('div', { class: 'alert-banner', role: 'alert', hidden: true },
            this.list, el('button', { type: 'button', class: 'dismiss', onclick: () => this.dismiss() }, t('dismiss')));
        // Browsers let a page play sound only after a gesture: the first click or key opens the audio context.
        const unlock = () => { this.context(); };
        document.addEventListener('pointerdown', unlock, { once: true });
        document.addEventListener('keydown', unlock, { once: true });
    }

    setMuted(m) {
        this.muted = m;
        try { localStorage.setItem(MUTE_KEY, m ? '1' : '0'); } catch (e) { /* not remembered */ }
    }

    context() {
        if (!this.audio) {
            const Ctx = window.AudioContext || window.webkitAudioContext;
            if (!Ctx) return null;
            this.audio = new Ctx();
        }
        if (this.audio.state === 'suspended') this.audio.resume().catch(() => {});
        return this.audio;
    }

    // Two short tones, higher for the graver kinds: heard across a room, not a siren.
    tone(urgent) {
        if (this.muted) return;
        const ctx = this.context();
        if (!ctx || ctx.state !== 'running') return;
        const now = ctx.currentTime;
        const freqs = urgent ? [988, 1319] : [784, 988];
        freqs.forEach((f, i) => {
            const osc = ctx.createOscillator();
            const gain = ctx.createGain();
            osc.type = 'sine';
            osc.frequency.value = f;
            const start = now + i * 0.22;
            gain.gain.setValueAtTime(0.0001, start);
            gain.gain.exponentialRampToValueAtTime(0.3, start + 0.02);
            gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.2);
            osc.connect(gain).connect(ctx.destination);
            osc.start(start);
            osc.stop(start + 0.21);
        });
    }

    // key: what makes two alerts the same (an item's seq; an incident's overdue mark).
    raise(key, text, incidentId, urgent) {
        if (this.seen.has(key)) return;
        this.seen.add(key);
        this.entries.unshift({ text, incidentId, at: Date.now(), urgent });
        this.entries.length = Math.min(this.entries.length, 50);
        this.draw();
        this.tone(urgent);
    }

    // From a live item (docs/http-api.md, "The live feed").
    fromItem(item) {
        const sev = item.severity;
        const title = item.title || item.text || '';
        if (item.kind === 'assignment' && (sev === 'i' || sev === 'ii')) {
            this.raise(`new:${item.incident_id}`, t('alertNewMajor', { sev: label('severities', sev), title }), item.incident_id, true);
        } else if (item.kind === 'warning') {
            this.raise(`item:${item.seq}`, t('alertWarning', { text: item.text || title }), item.incident_id, sev === 'i' || sev === 'ii');
        } else if (item.kind === 'supervision') {
            this.raise(`item:${item.seq}`, t('alertSupervision', { text: item.text || title }), item.incident_id, true);
        }
    }

    // From a refresh of the open incidents: one that became overdue, a new
    // grade I/II one, a supervision reply that came due — whichever the feed's
    // items did not already announce (the keys are shared, so never twice).
    fromBoard(incidents, first) {
        const now = Date.now();
        for (const inc of incidents) {
            const grave = inc.severity === 'i' || inc.severity === 'ii';
            const keys = [];
            if (grave) keys.push([`new:${inc.incident_id}`, t('alertNewMajor', { sev: label('severities', inc.severity), title: inc.title || '' }), true]);
            if (inc.overdue) keys.push([`overdue:${inc.incident_id}`, t('alertOverdue', { title: inc.title || '' }), grave]);
            if (inc.supervision_due_ms && inc.supervision_due_ms < now) {
                keys.push([`supervision:${inc.incident_id}:${inc.supervision_due_ms}`, t('alertSupervision', { text: inc.title || '' }), true]);
            }
            for (const [key, text, urgent] of keys) {
                // What was so before the page opened is on the board already.
                if (first) this.seen.add(key);
                else this.raise(key, text, inc.incident_id, urgent);
            }
        }
    }

    draw() {
        const shown = this.entries.slice(0, MAX_SHOWN);
        replace(this.list, shown.map((a) => el('li', { class: a.urgent ? 'urgent' : '' },
            el('time', null, dateTime(a.at).slice(11)), ' ',
            a.incidentId ? el('a', { href: `#incident/${a.incidentId}`, onclick: (e) => { e.preventDefault(); this.onOpen(a.incidentId); } }, a.text) : a.text)));
        this.node.hidden = shown.length === 0;
    }

    dismiss() {
        this.entries = [];
        this.draw();
    }
}
