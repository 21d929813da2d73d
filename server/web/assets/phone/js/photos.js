// photos: a photo the worker chose or took, made ready to send — decoded by
// the browser (anything that does not decode is not an image), scaled so that
// its longest side is at most 1600 px, and encoded as JPEG (quality 0.8, lower
// if it is still over the server's 2 MiB) in base64 for the JSON body.

export const MAX_PHOTOS = 4;           // per action (docs/http-api.md)
export const MAX_PHOTO_BYTES = 2 << 20; // per photo, decoded, as the server counts
export const MAX_FILE_MB = 25;         // a file larger than this is not read at all
const LONGEST_SIDE = 1600;
const PREVIEW_SIDE = 160;

export class PhotoError extends Error {
    constructor(key, vars) {
        super(key);
        this.key = key;
        this.vars = vars;
    }
}

function toBlob(canvas, quality) {
    return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
}

function dataUrl(blob) {
    return new Promise((resolve, reject) => {
        const r = new FileReader();
        r.onload = () => resolve(r.result);
        r.onerror = () => reject(r.error);
        r.readAsDataURL(blob);
    });
}

function draw(bitmap, width, height) {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff'; // a transparent PNG becomes a JPEG on white, not black
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(bitmap, 0, 0, width, height);
    return canvas;
}

// → {name, content_type, data (base64), width, height, bytes, preview (data: URL)}
export async function preparePhoto(file, name) {
    const shown = file.name || name;
    if (file.size > MAX_FILE_MB * 1048576) {
        throw new PhotoError('fileTooBig', { name: shown, mb: (file.size / 1048576).toFixed(1), max: MAX_FILE_MB });
    }
    let bitmap;
    try {
        bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch (e) {
        throw new PhotoError('notAnImage', { name: shown });
    }
    try {
        const scale = Math.min(1, LONGEST_SIDE / Math.max(bitmap.width, bitmap.height));
        const width = Math.max(1, Math.round(bitmap.width * scale));
        const height = Math.max(1, Math.round(bitmap.height * scale));
        const canvas = draw(bitmap, width, height);
        let blob = null;
        for (const quality of [0.8, 0.65, 0.5]) {
            blob = await toBlob(canvas, quality);
            if (blob && blob.size <= MAX_PHOTO_BYTES) break;
        }
        if (!blob || blob.size > MAX_PHOTO_BYTES) throw new PhotoError('photoTooBig', { name: shown });
        const url = await dataUrl(blob);
        const p = Math.min(1, PREVIEW_SIDE / Math.max(width, height));
        const preview = draw(bitmap, Math.max(1, Math.round(width * p)), Math.max(1, Math.round(height * p)))
            .toDataURL('image/jpeg', 0.7);
        return {
            name, content_type: 'image/jpeg', data: url.slice(url.indexOf(',') + 1),
            width, height, bytes: blob.size, preview,
        };
    } finally {
        bitmap.close();
    }
}
