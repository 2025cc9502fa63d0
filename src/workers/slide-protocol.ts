/** Messages between slide-client.ts (main thread) and slide.worker.ts. */
import type { SlideMetadata } from '../core/slide/types.ts';

export type SlideWorkerRequest =
  | { type: 'open'; id: number; input: File | File[] | string; mpp?: number; cacheBytes?: number }
  | { type: 'tile'; id: number; level: number; col: number; row: number }
  | { type: 'region'; id: number; level: number; x: number; y: number; width: number; height: number }
  | { type: 'associated'; id: number; name: string }
  | { type: 'abort'; id: number }
  /** serve region / tile / associated requests arriving on this port too (slide-port.ts), answering there */
  | { type: 'port'; id: number; port: MessagePort }
  | { type: 'close' };

export type SlideWorkerResponse =
  | { id: number; ok: true; kind: 'meta'; meta: SlideMetadata }
  /** while an open runs: what it does and the fraction done (not an answer: more messages follow) */
  | { id: number; ok: true; kind: 'progress'; stage: string; fraction: number }
  | { id: number; ok: true; kind: 'bitmap'; bitmap: ImageBitmap }
  | { id: number; ok: true; kind: 'rgba'; width: number; height: number; buffer: ArrayBuffer }
  | { id: number; ok: false; name: string; message: string };
