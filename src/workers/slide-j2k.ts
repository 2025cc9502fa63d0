/**
 * JPEG 2000 for the slide worker: @cornerstonejs/codec-openjpeg's emscripten glue is CommonJS
 * (and excluded from Vite's dependency pre-bundling), so it cannot be imported as an ES module
 * in dev. It runs instead as a classic script in a small blob: sub-worker (CSP: worker-src
 * blob:), loading the .wasm that the bundler ships (?url). One decoder, requests in order.
 */
import openJpegGlue from '@cornerstonejs/codec-openjpeg/decodewasmjs?raw';
import openJpegWasmUrl from '@cornerstonejs/codec-openjpeg/decodewasm?url';
import type { J2kImage } from '../core/image/codec.ts';
import { j2kTo8Bit, type OpenJpegFrameInfo } from '../core/image/j2k.ts';

const HANDLER = `
var __fusescopeModule = null;
var __fusescopeDecoder = null;
onmessage = function (e) {
  var id = e.data.id;
  if (!__fusescopeModule) {
    __fusescopeModule = OpenJPEGWASM({
      locateFile: function () { return e.data.wasmUrl; },
      print: function () {},
      printErr: function () {}
    });
  }
  __fusescopeModule.then(function (m) {
    try {
      if (!__fusescopeDecoder) __fusescopeDecoder = new m.J2KDecoder();
      var b = e.data.bytes;
      __fusescopeDecoder.getEncodedBuffer(b.length).set(b);
      __fusescopeDecoder.decode();
      var fi = __fusescopeDecoder.getFrameInfo();
      var out = __fusescopeDecoder.getDecodedBuffer().slice();
      postMessage({ id: id, ok: true, info: { width: fi.width, height: fi.height, bitsPerSample: fi.bitsPerSample, componentCount: fi.componentCount, isSigned: fi.isSigned }, data: out }, [out.buffer]);
    } catch (err) {
      __fusescopeDecoder = null;
      postMessage({ id: id, ok: false, message: String((err && err.message) || err) });
    }
  }, function (err) {
    postMessage({ id: id, ok: false, message: 'OpenJPEG could not be loaded: ' + String((err && err.message) || err) });
  });
};
`;

type J2kReply = { id: number; ok: true; info: OpenJpegFrameInfo; data: Uint8Array } | { id: number; ok: false; message: string };

export function createBlobWorkerJ2kDecoder(): (bytes: Uint8Array) => Promise<J2kImage> {
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: J2kImage) => void; reject: (e: Error) => void }>();
  const wasmUrl = new URL(openJpegWasmUrl, self.location.href).href;
  const start = (): Worker => {
    const url = URL.createObjectURL(new Blob([openJpegGlue, HANDLER], { type: 'text/javascript' }));
    const w = new Worker(url, { name: 'openjpeg' });
    URL.revokeObjectURL(url);
    w.onmessage = (ev: MessageEvent<J2kReply>) => {
      const p = pending.get(ev.data.id);
      if (!p) return;
      pending.delete(ev.data.id);
      if (ev.data.ok) p.resolve(j2kTo8Bit(ev.data.info, ev.data.data));
      else p.reject(new Error(`JPEG 2000 decode failed: ${ev.data.message}`));
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      for (const p of pending.values()) p.reject(new Error(`JPEG 2000 decoder failed: ${ev.message}`));
      pending.clear();
      worker = null;
    };
    return w;
  };
  return (bytes) => {
    if (!worker) worker = start();
    const id = nextId++;
    const copy = bytes.slice();
    return new Promise<J2kImage>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker?.postMessage({ id, bytes: copy, wasmUrl }, [copy.buffer]);
    });
  };
}
