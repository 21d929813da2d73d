// timeline: how one event of an incident's timeline reads, for the web console
// and the phone page alike — the reason by its code or the person's words, and
// the photos taken as evidence with it, as thumbnails that open full size.

import { el } from './dom.js';
import { label, t } from './i18n.js';

// The reason shown for a timeline event: fengqiaod's own by its code's label
// (its English sentence with rule numbers as the tooltip), a person's by their
// words, after the label when the code says the ground (a return). Events
// stored before the server recorded codes show the reason as stored.
export function timelineReason(ev) {
    const code = ev.reason_code || '';
    const reason = ev.reason || '';
    const byPerson = !!ev.actor;
    const plain = code === 'holder_action' || code === 'operator_choice';
    // An action given without a note is stored with its kind as the reason
    // ("acknowledged"): nothing more for a person to read than the event's own label.
    if (byPerson && plain && reason === ev.kind) return null;
    if (!code || (byPerson && plain)) return reason ? el('div', { class: 'reason' }, reason) : null;
    // A report upward's attempt: its details (which attempt, to whom, the
    // answer) are what a person reads it for.
    const details = reason && (ev.kind === 'reported_upward' || ev.kind === 'upward_acknowledged');
    const text = (byPerson || details) && reason ? `${label('reasons', code)}: ${reason}` : label('reasons', code);
    return el('div', { class: 'reason', title: byPerson ? '' : reason }, text);
}

// The URL of an attachment's stored bytes (docs/http-api.md, "Evidence").
export function attachmentUrl(id) { return `/api/v1/attachments/${encodeURIComponent(id)}`; }

// The photos of an event (TimelineEvent.attachments: id, content_type, width,
// height, name): thumbnails, each a link to the photo full size. The
// thumbnail keeps the photo's proportions (width and height from the server)
// so the timeline does not jump while they load. open(attachment, event) —
// when given — shows the photo instead of following the link (the phone's
// full-screen view).
export function attachmentThumbs(ev, open) {
    const list = ev.attachments || [];
    if (!list.length) return null;
    return el('div', { class: 'attachments' }, list.map((a) => {
        const w = Number(a.width) || 4;
        const h = Number(a.height) || 3;
        const box = 96;
        const scale = box / Math.max(w, h);
        const name = a.name || t('photo');
        const link = el('a', { class: 'attachment', href: attachmentUrl(a.id), target: '_blank', rel: 'noopener', title: name },
            el('img', {
                class: 'thumb', src: attachmentUrl(a.id), alt: name, loading: 'lazy',
                width: String(Math.max(1, Math.round(w * scale))), height: String(Math.max(1, Math.round(h * scale))),
            }));
        if (open) link.addEventListener('click', (e) => { e.preventDefault(); open(a, ev); });
        return link;
    }));
}
