/**
 * Slides over HTTP Range requests: a local server (127.0.0.1, ephemeral port) serves CMU-1 with
 * Range support and counts the bytes it sends; another ignores Range (200 + whole file).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeCodec } from '../../image/node/sharp-codec.ts';
import { loadSlide } from '../load-slide.ts';
import { compareImages, loadRef, REFS, readPng, ROOT, SLIDES } from '../testing/refs.ts';
import { openUrlSlideInput, UrlByteSource } from './url-source.ts';

const run = promisify(execFile);
const CMU = readFileSync(join(SLIDES, 'CMU-1-Small-Region.svs'));

let sent = 0;
let rangeServer: Server;
let plainServer: Server;
let rangeBase = '';
let plainBase = '';

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

beforeAll(async () => {
  rangeServer = createServer((req, res) => {
    if (req.url !== '/CMU-1-Small-Region.svs') {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (!m) {
      sent += CMU.length;
      res.writeHead(200, { 'Content-Length': CMU.length, 'Accept-Ranges': 'bytes' }).end(CMU);
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(CMU.length - 1, m[2] ? Number(m[2]) : CMU.length - 1);
    const body = CMU.subarray(start, end + 1);
    sent += body.length;
    res
      .writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${CMU.length}`, 'Content-Length': body.length, 'Accept-Ranges': 'bytes' })
      .end(body);
  });
  plainServer = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Length': CMU.length }).end(CMU);
  });
  rangeBase = await listen(rangeServer);
  plainBase = await listen(plainServer);
});

afterAll(async () => {
  await new Promise((r) => rangeServer.close(r));
  await new Promise((r) => plainServer.close(r));
});

describe('UrlByteSource', () => {
  it('reads metadata and a region with range requests, far below the file size', async () => {
    sent = 0;
    const input = await openUrlSlideInput(`${rangeBase}/CMU-1-Small-Region.svs`);
    const slide = await loadSlide(input, { codec: createNodeCodec() });
    expect(slide.meta.format).toBe('aperio-svs');
    expect([slide.meta.width, slide.meta.height]).toEqual([2220, 2967]);
    expect(slide.meta.mpp).toBeCloseTo(0.499, 6);
    const ref = loadRef('cmu1');
    const r = ref.regions[0];
    const got = await slide.readRegion(r.level, r.x, r.y, r.width, r.height);
    const d = compareImages(got, readPng(join(REFS, r.png)));
    expect(d.alphaMismatch).toBe(0);
    for (const v of d.meanAbs) expect(v).toBeLessThanOrEqual(2);
    expect((input.source as UrlByteSource).bytesTransferred).toBe(sent);
    expect(sent).toBeLessThan(CMU.length / 4);
    slide.close();
  });

  it('refuses a server that ignores Range, without downloading the file', async () => {
    await expect(UrlByteSource.open(`${plainBase}/CMU-1-Small-Region.svs`)).rejects.toThrow(/server does not answer range requests/);
  });

  it('says when the URL does not exist', async () => {
    await expect(UrlByteSource.open(`${rangeBase}/missing.svs`)).rejects.toThrow(/not found on the server \(HTTP 404\)/);
  });

  it('works from the CLI: info and a clear one-line error without Range support', async () => {
    const bin = join(ROOT, 'bin', 'fusescope.mjs');
    sent = 0;
    const ok = await run(process.execPath, [bin, 'info', `${rangeBase}/CMU-1-Small-Region.svs`]);
    const info = JSON.parse(ok.stdout) as { width: number; levels: unknown[] };
    expect(info.width).toBe(2220);
    expect(sent).toBeLessThan(CMU.length / 4);
    const bad = await run(process.execPath, [bin, 'info', `${plainBase}/CMU-1-Small-Region.svs`]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad?.code).toBe(1);
    const lines = bad?.stderr.trim().split('\n') ?? [];
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/server does not answer range requests/);
  });
});
