// Draws the Teams app icons into manifest/teams: a 192×192 colour icon (a white person on the brand colour) and the
// 32×32 outline icon Teams wants (white on transparent). Run once after changing the design; the PNGs are committed.
import { writeFileSync } from 'node:fs';
import { deflateSync, crc32 } from 'node:zlib';

type Rgba = [number, number, number, number];
const BRAND: Rgba = [31, 111, 139, 255];
const WHITE: Rgba = [255, 255, 255, 255];

/** Coverage of the person glyph at (x, y) in unit coordinates, 0..1, from signed distances (soft edges). */
function person(x: number, y: number, px: number): number {
  const head = Math.hypot(x - 0.5, y - 0.34) - 0.13;
  // shoulders: the top half of an ellipse below the head, cut flat at the bottom
  const dx = (x - 0.5) / 0.27;
  const dy = (y - 0.8) / 0.25;
  const body = Math.max((Math.hypot(dx, dy) - 1) * 0.25, y - 0.78);
  const d = Math.min(head, body);
  return Math.min(1, Math.max(0, 0.5 - d / px));
}

function roundedSquare(x: number, y: number, px: number): number {
  const r = 0.18;
  const qx = Math.max(Math.abs(x - 0.5) - (0.5 - r), 0);
  const qy = Math.max(Math.abs(y - 0.5) - (0.5 - r), 0);
  return Math.min(1, Math.max(0, 0.5 - (Math.hypot(qx, qy) - r) / px));
}

function png(size: number, pixel: (x: number, y: number, px: number) => Rgba): Buffer {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let j = 0; j < size; j++) {
    raw[j * (size * 4 + 1)] = 0; // filter: none
    for (let i = 0; i < size; i++) {
      const c = pixel((i + 0.5) / size, (j + 0.5) / size, 1 / size);
      raw.set(c, j * (size * 4 + 1) + 1 + i * 4);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const mix = (a: Rgba, b: Rgba, t: number): Rgba =>
  [0, 1, 2, 3].map((k) => Math.round(a[k]! * (1 - t) + b[k]! * t)) as Rgba;

const color = png(192, (x, y, px) => {
  const bg = roundedSquare(x, y, px);
  const fill = mix(BRAND, WHITE, person(x, y, px));
  return [fill[0], fill[1], fill[2], Math.round(255 * bg)];
});
const outline = png(32, (x, y, px) => [255, 255, 255, Math.round(255 * person(x, y, px))]);
writeFileSync(new URL('../manifest/teams/color.png', import.meta.url), color);
writeFileSync(new URL('../manifest/teams/outline.png', import.meta.url), outline);
process.stdout.write(`color.png ${color.length} bytes, outline.png ${outline.length} bytes\n`);
