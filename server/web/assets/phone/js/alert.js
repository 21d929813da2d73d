// alert: telling the worker a new assignment has come — a notification (the
// service worker's, which phones require), a vibration and a short two-tone
// sound, each where the browser allows it. Browsers let a page play sound and
// vibrate only after the person has touched it once: the first touch unlocks
// both.

export class Alerter {
    constructor() {
        this.audio = null;
        this.touched = false;
        const unlock = () => this.unlock();
        document.addEventListener('pointerdown', unlock, { passive: true });
        document.addEventListener('keydown', unlock);
    }

    unlock() {
        this.touched = true;
        const Ctx = window.AudioContext || window.webkitAudioContext;
        if (!this.audio && Ctx) this.audio = new Ctx();
        if (this.audio && this.audio.state === 'suspended') this.audio.resume().catch(() => {});
    }

    canAsk() { return 'Notification' in window && Notification.permission === 'default'; }

    ask() {
        if (!this.canAsk()) return Promise.resolve();
        return Notification.requestPermission().catch(() => {});
    }

    async notify(title, body, tag, url) {
        if (!('Notification' in window) || Notification.permission !== 'granted') return;
        try {
            const reg = navigator.serviceWorker && await navigator.serviceWorker.getRegistration();
            if (reg) {
                await reg.showNotification(title, { body, tag, renotify: true, data: { url }, icon: '../favicon.svg' });
                return;
            }
            new Notification(title, { body, tag }); // eslint-disable-line no-new
        } catch (e) { /* no notification here: the banner and the sound remain */ }
    }

    buzz() {
        const active = navigator.userActivation ? navigator.userActivation.hasBeenActive : this.touched;
        if (active && navigator.vibrate) navigator.vibrate([200, 100, 200]);
    }

    beep() {
        const a = this.audio;
        if (!a || a.state !== 'running') return;
        const start = a.currentTime;
        [[880, 0], [660, 0.18]].forEach(([hz, at]) => {
            const osc = a.createOscillator();
            const gain = a.createGain();
            osc.frequency.value = hz;
            gain.gain.setValueAtTime(0.0001, start + at);
            gain.gain.exponentialRampToValueAtTime(0.3, start + at + 0.02);
            gain.gain.exponentialRampToValueAtTime(0.0001, start + at + 0.16);
            osc.connect(gain).connect(a.destination);
            osc.start(start + at);
            osc.stop(start + at + 0.17);
        });
    }

    newAssignment(title, body, tag, url) {
        this.notify(title, body, tag, url);
        this.buzz();
        this.beep();
    }
}
