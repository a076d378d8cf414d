// The Teams app package: what `npm run teams:package` zips validates against the Teams manifest schema (the copy
// bundled in @microsoft/app-manifest; the network is closed in tests), with icons of the sizes Teams requires.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { buildTeamsPackage, teamsManifest } from '../../scripts/teams-package.js';
import { COMMANDS } from '../../src/bot/commands.js';

const APP_ID = '6f1c3e2a-8d4b-4f5e-9a7c-1b2d3e4f5a6b';

/** Width, height and RGBA pixels of a PNG written without row filters (as scripts/teams-icons.ts writes them). */
function decodePng(png: Uint8Array): { width: number; height: number; pixels: number[][] } {
  const buf = Buffer.from(png);
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  expect([buf[24], buf[25]]).toEqual([8, 6]); // 8-bit RGBA
  const idat: Buffer[] = [];
  for (let at = 8; at < buf.length;) {
    const len = buf.readUInt32BE(at);
    if (buf.toString('ascii', at + 4, at + 8) === 'IDAT') idat.push(buf.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const pixels: number[][] = [];
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    for (let x = 0; x < width; x++)
      pixels.push([...raw.subarray(y * (width * 4 + 1) + 1 + x * 4, y * (width * 4 + 1) + 5 + x * 4)]);
  }
  return { width, height, pixels };
}

describe('Teams app package', () => {
  it('zips a manifest that validates against the Teams schema, with the bot, its scopes and its commands', async () => {
    const files = unzipSync(buildTeamsPackage({ appId: APP_ID, host: 'uso.example.org', version: '1.2.0' }));
    expect(Object.keys(files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(strFromU8(files['manifest.json']!)) as Record<string, any>;
    expect(await AppManifestUtils.validateAgainstSchema(manifest as never)).toEqual([]);
    expect(manifest).toMatchObject({
      manifestVersion: '1.24',
      id: APP_ID,
      version: '1.2.0',
      validDomains: ['uso.example.org'],
      developer: { websiteUrl: 'https://uso.example.org/' },
    });
    const [bot] = manifest.bots;
    expect(bot).toMatchObject({ botId: APP_ID, scopes: ['team', 'groupChat', 'personal'] });
    // the command menu offers commands the bot answers, as many as Teams allows (10); help lists the rest
    const menu = bot.commandLists[0].commands.map((c: { title: string }) => c.title);
    expect(menu).toHaveLength(10);
    expect(COMMANDS.map(([usage]) => usage.split(' ')[0])).toEqual(expect.arrayContaining(menu));
    expect(menu).toContain('help');
    expect(JSON.stringify(manifest)).not.toMatch(/HOST|00000000-0000/);
  });

  it('has a 192×192 colour icon and a 32×32 outline icon that is white on transparent', () => {
    const files = unzipSync(buildTeamsPackage({ appId: APP_ID, host: 'uso.example.org' }));
    const color = decodePng(files['color.png']!);
    expect([color.width, color.height]).toEqual([192, 192]);
    const outline = decodePng(files['outline.png']!);
    expect([outline.width, outline.height]).toEqual([32, 32]);
    expect(outline.pixels.every(([r, g, b]) => r === 255 && g === 255 && b === 255)).toBe(true);
    expect(outline.pixels.some(([, , , a]) => a === 0)).toBe(true);
    expect(outline.pixels.some(([, , , a]) => a === 255)).toBe(true);
  });

  it('the schema check catches a broken manifest, and the script refuses bad arguments', async () => {
    const broken = {
      ...teamsManifest({ appId: APP_ID, host: 'uso.example.org' }),
      accentColor: 'teal',
      bots: [{ botId: APP_ID, scopes: ['everywhere'] }],
    };
    const problems = await AppManifestUtils.validateAgainstSchema(broken as never);
    expect(problems.join('\n')).toMatch(/accentColor/);
    expect(problems.join('\n')).toMatch(/scopes/);
    const run = promisify(execFile);
    const failed = await run(process.execPath, [
      '--import',
      'tsx',
      'scripts/teams-package.ts',
      '--host',
      'https://uso.example.org/x',
      '--app-id',
      'nope',
    ]).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/appId: --app-id .* GUID[\s\S]*host: --host must be the public host name/),
    });
  });
});
