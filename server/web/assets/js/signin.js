// signin: the sign-in form of the console and of the phone page — one look,
// one behaviour: the refusals in the page's words, a wait the server asks
// for (429, 503) counted down with the button held, the language switch.

import { el } from './dom.js';
import { currentLang, setLang } from './i18n.js';

// The switch to the other language (the page starts again in it).
export function languageButton(text) {
    return el('button', {
        type: 'button', class: 'lang',
        onclick: () => { setLang(currentLang() === 'zh' ? 'en' : 'zh'); location.reload(); },
    }, text);
}

// words(key, vars): the page's texts (signInTitle, account, password, signIn,
// signingIn, wrongPassword, rateLimited, busy, language); login(account,
// password) resolves to the session, given to onSession; otherWords(err): a
// refusal but 401, 429 and 503 in the page's words. Returns the form and its
// account field (the page decides whether to focus it).
export function signInForm({ words, login, onSession, otherWords, notice }) {
    const account = el('input', { type: 'text', name: 'account', autocomplete: 'username', autocapitalize: 'none', required: true });
    const password = el('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
    const message = el('p', { class: 'message error', role: 'alert' }, notice || '');
    const button = el('button', { type: 'submit', class: 'primary' }, words('signIn'));
    const form = el('form', { class: 'signin' },
        el('h1', null, words('signInTitle')),
        el('label', null, el('span', null, words('account')), account),
        el('label', null, el('span', null, words('password')), password),
        button, message, languageButton(words('language')));
    form.addEventListener('submit', async (e) => {
        e.preventDefault();
        button.disabled = true;
        button.textContent = words('signingIn');
        message.textContent = '';
        try {
            const session = await login(account.value.trim(), password.value);
            password.value = '';
            onSession(session);
            return;
        } catch (err) {
            password.value = '';
            password.focus();
            if (err.status === 401) message.textContent = words('wrongPassword');
            else if (err.status === 429 || err.status === 503) {
                // Count the wait down where the person looks; the button comes back when it is over.
                let wait = err.retryAfter || 60;
                const key = err.status === 429 ? 'rateLimited' : 'busy';
                message.textContent = words(key, { s: wait });
                const tick = setInterval(() => {
                    wait--;
                    if (wait <= 0) { clearInterval(tick); message.textContent = ''; button.disabled = false; return; }
                    message.textContent = words(key, { s: wait });
                }, 1000);
                button.textContent = words('signIn');
                return;
            } else message.textContent = otherWords(err);
        }
        button.disabled = false;
        button.textContent = words('signIn');
    });
    return { form, account, password };
}
