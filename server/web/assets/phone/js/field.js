// field: the phone page's calls of the field API (docs/http-api.md, "The
// field API"), through the console's one request function (api.js), so both
// pages share the CSRF token handling, the error shape and the time zone.

import { call, query } from '../../js/api.js';

const id = (n) => encodeURIComponent(n);

export const field = {
    session: () => call('GET', '/api/v1/session', undefined, { quiet401: true }),
    login: (account, password) => call('POST', '/api/v1/login', { account, password }, { quiet401: true }),
    logout: () => call('POST', '/api/v1/logout', {}),
    topology: () => call('GET', '/api/v1/topology'),
    // The long-poll: at once when the outbox has items after `after`, else
    // held up to waitMs. Asking with after=N acknowledges the items up to N.
    sync: (after, waitMs, position) => call('GET', `/api/v1/field/sync${query({
        after, wait_ms: waitMs, lat: position && position.lat, lng: position && position.lng,
    })}`),
    assignments: () => call('GET', '/api/v1/field/assignments'),
    assignment: (n) => call('GET', `/api/v1/field/assignments/${id(n)}`),
    action: (n, body) => call('POST', `/api/v1/field/assignments/${id(n)}/actions`, body),
    report: (body) => call('POST', '/api/v1/field/reports', body),
};
