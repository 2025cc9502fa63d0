/**
 * Region reads over a MessagePort straight to a slide worker: the inference worker reads the
 * model's patches from the viewer's slide workers without the main thread relaying every request
 * and every 4 MiB block (where the main thread is busy drawing, e.g. a software-composited overlay
 * read-back of 0.1-0.15 s, each relayed read waited for it). The slide worker serves a port with the
 * same requests and answers as its main-thread channel (slide-protocol.ts).
 */
import type { RgbaImage } from '../core/slide/types.ts';
import type { LevelRect, RemoteReader } from './inference-slide.ts';
import type { SlideWorkerRequest, SlideWorkerResponse } from './slide-protocol.ts';

interface PortState {
  port: MessagePort;
  busy: number;
  waits: Map<number, { resolve: (img: RgbaImage) => void; reject: (e: Error) => void }>;
}

function abortError(message = 'The operation was aborted.'): DOMException {
  return new DOMException(message, 'AbortError');
}

/**
 * A RemoteReader over ports to the slide's workers (each read goes to the least busy one).
 * `onRead` counts what is read (the spot run's timings).
 */
export function createPortReader(ports: MessagePort[], onRead?: (width: number, height: number) => void): RemoteReader & { close(): void } {
  if (!ports.length) throw new Error('createPortReader: no ports');
  let nextId = 1;
  const states: PortState[] = ports.map((port) => {
    const st: PortState = { port, busy: 0, waits: new Map() };
    port.onmessage = (ev: MessageEvent<SlideWorkerResponse>) => {
      const r = ev.data;
      const w = st.waits.get(r.id);
      if (!w) return;
      st.waits.delete(r.id);
      if (r.ok && r.kind === 'rgba') w.resolve({ width: r.width, height: r.height, data: new Uint8ClampedArray(r.buffer) });
      else if (r.ok) w.reject(new Error(`unexpected slide worker answer ${r.kind}`));
      else if (r.name === 'AbortError') w.reject(abortError(r.message));
      else {
        const e = new Error(r.message);
        e.name = r.name;
        w.reject(e);
      }
    };
    port.start();
    return st;
  });
  const send = (level: number, rect: LevelRect): { id: number; state: PortState; result: Promise<RgbaImage> } => {
    const state = states.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = nextId++;
    onRead?.(rect.width, rect.height);
    state.busy++;
    const result = new Promise<RgbaImage>((resolve, reject) => {
      state.waits.set(id, { resolve, reject });
      state.port.postMessage({ type: 'region', id, level, x: rect.x, y: rect.y, width: rect.width, height: rect.height } satisfies SlideWorkerRequest);
    }).finally(() => {
      state.busy--;
    });
    return { id, state, result };
  };
  return {
    read(level, x, y, width, height) {
      return send(level, { x, y, width, height }).result;
    },
    readMany(level, regions, concurrency) {
      // each region's promise, settled when its read is (queued reads are sent as earlier ones end)
      const settle = regions.map(() => {
        let resolve!: (img: RgbaImage) => void;
        let reject!: (e: Error) => void;
        const p = new Promise<RgbaImage>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        return { p, resolve, reject };
      });
      const inFlight = new Map<number, { id: number; state: PortState }>();
      let next = 0;
      let cancelled = false;
      const pump = () => {
        while (!cancelled && inFlight.size < Math.max(1, concurrency) && next < regions.length) {
          const i = next++;
          const sent = send(level, regions[i]);
          inFlight.set(i, sent);
          sent.result.then(settle[i].resolve, settle[i].reject).finally(() => {
            inFlight.delete(i);
            pump();
          });
        }
      };
      pump();
      return {
        results: settle.map((s) => s.p),
        cancel() {
          if (cancelled) return;
          cancelled = true;
          for (const { id, state } of inFlight.values()) state.port.postMessage({ type: 'abort', id } satisfies SlideWorkerRequest);
          for (let i = next; i < regions.length; i++) settle[i].reject(abortError('prefetch cancelled'));
          next = regions.length;
        },
      };
    },
    close() {
      for (const st of states) {
        for (const w of st.waits.values()) w.reject(abortError('the slide was closed'));
        st.waits.clear();
        st.port.close();
      }
    },
  };
}
