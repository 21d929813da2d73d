// placemap: where an assignment is — the grid's boundary and the point on a
// small Leaflet map (Debian's libjs-leaflet, no tile server unless the
// deployment configured one), fitted to both.

const L = window.L;

export function placeMap(container, { ring, point, tileUrl }) {
    const map = L.map(container, {
        zoomControl: true, attributionControl: false, scrollWheelZoom: false,
        // One finger scrolls the page on a phone; the map keeps pinch-zoom and its buttons.
        dragging: !L.Browser.mobile, tap: false, minZoom: 10, maxZoom: 19,
    });
    const bounds = L.latLngBounds([]);
    for (const p of ring || []) bounds.extend(p);
    if (point) bounds.extend([point.lat, point.lng]);
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [18, 18], maxZoom: 17 });
    else map.setView([30.25, 120.13], 13);
    if (tileUrl) L.tileLayer(tileUrl, { maxZoom: 19 }).addTo(map);
    if (ring && ring.length >= 3) L.polygon(ring, { className: 'grid-shape', weight: 2, fillOpacity: 0.12 }).addTo(map);
    if (point) {
        L.circleMarker([point.lat, point.lng], {
            className: `place-point${point.approx ? ' approx' : ''}`, radius: 9, weight: 3, fillOpacity: 0.9,
        }).addTo(map);
    }
    return map;
}
