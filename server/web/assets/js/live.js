// live: the server's feed of the jurisdiction (Server-Sent Events on
// /api/v1/events). The browser resumes with Last-Event-ID by itself after a
// dropped connection; when the server refused the stream (the session ended,
// the server restarted) it is opened again after a pause. Never a timer poll.

export class LiveFeed {
    // onItem(item), onState('open'|'connecting'|'closed'), onClosed() → after a refusal,
    // onFinding(doc) → a new finding of research and judgment (judgment.js).
    constructor({ onItem, onState, onClosed, onFinding }) {
        this.onItem = onItem;
        this.onFinding = onFinding;
        this.onState = onState;
        this.onClosed = onClosed;
        this.source = null;
        this.retry = 0;
        this.stopped = false;
    }

    start() {
        this.stopped = false;
        this.onState('connecting');
        const es = new EventSource('/api/v1/events', { withCredentials: true });
        this.source = es;
        es.addEventListener('open', () => { this.retry = 0; this.onState('open'); });
        es.addEventListener('item', (e) => {
            let item;
            try { item = JSON.parse(e.data); } catch (err) { return; }
            this.onItem(item);
        });
        es.addEventListener('finding', (e) => {
            let doc;
            try { doc = JSON.parse(e.data); } catch (err) { return; }
            if (this.onFinding) this.onFinding(doc);
        });
        es.addEventListener('error', () => {
            if (es.readyState === EventSource.CLOSED) {
                this.onState('closed');
                this.source = null;
                if (this.stopped) return;
                // Refused (not a dropped line, which EventSource retries itself):
                // ask whether the session still holds, then try again, backing off to 30 s.
                this.onClosed();
                this.retry = Math.min(30000, (this.retry || 1000) * 2);
                this.timer = setTimeout(() => { if (!this.stopped) this.start(); }, this.retry);
            } else {
                this.onState('connecting');
            }
        });
    }

    stop() {
        this.stopped = true;
        clearTimeout(this.timer);
        if (this.source) this.source.close();
        this.source = null;
    }
}
