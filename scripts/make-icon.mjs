// Draws the extension icon (azure-task/images/icon.png, 128×128 RGBA) with nothing but node:zlib:
// a blue rounded square holding a white database drum and a "play" triangle. Deterministic, so the committed
// file and a regenerated one are identical. Run: node scripts/make-icon.mjs [output.png]
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? join(root, 'azure-task', 'images', 'icon.png');
const SIZE = 128;

const BLUE = [0x1f, 0x6f, 0xd1, 255];
const WHITE = [255, 255, 255, 255];
const CLEAR = [0, 0, 0, 0];

/** Colour of pixel (x, y): shapes tested from the top layer down. */
function pixel(x, y) {
  const cx = x + 0.5;
  const cy = y + 0.5;
  // Play triangle, lower right.
  if (cx >= 78 && cx <= 110 && Math.abs(cy - 92) <= (cx - 78) * -0.55 + 17.6 && cx <= 110) return WHITE;
  // Database drum: top ellipse ring, body sides, two band lines.
  const drumLeft = 22;
  const drumRight = 78;
  const rx = (drumRight - drumLeft) / 2;
  const mx = drumLeft + rx;
  const ry = 9;
  const inEllipse = (ey, r = ry, stretch = rx) => ((cx - mx) / stretch) ** 2 + ((cy - ey) / r) ** 2 <= 1;
  if (inEllipse(32) && !inEllipse(32, ry - 3.5, rx - 3.5)) return WHITE;
  if (cy >= 32 && cy <= 96 && cx >= drumLeft && cx <= drumRight) {
    if (cx <= drumLeft + 3.5 || cx >= drumRight - 3.5) return WHITE;
    for (const band of [53, 74, 96]) {
      if (inEllipse(band) && !inEllipse(band - 3.5) && cy >= band) return WHITE;
    }
  }
  // Rounded square background.
  const r = 22;
  const qx = Math.max(r - cx, 0, cx - (SIZE - r));
  const qy = Math.max(r - cy, 0, cy - (SIZE - r));
  if (qx * qx + qy * qy <= r * r) return BLUE;
  return CLEAR;
}

const raw = Buffer.alloc((SIZE * 4 + 1) * SIZE);
for (let y = 0; y < SIZE; y++) {
  const row = y * (SIZE * 4 + 1);
  raw[row] = 0; // filter: none
  for (let x = 0; x < SIZE; x++) Buffer.from(pixel(x, y)).copy(raw, row + 1 + x * 4);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(out, png);
console.log(`wrote ${out} (${png.length} bytes, ${SIZE}x${SIZE})`);
