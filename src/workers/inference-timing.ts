/**
 * Timing of a spot run in the inference worker (SpotRunTimings): wraps the model's three heads and
 * the worker's slide proxy so the time spent in each is measured without touching the shared
 * pipeline (src/core/model/score-spots.ts). Slide reads overlap each other, so their time is
 * counted as wall time with at least one read outstanding.
 */
import type { FuseModel } from '../core/model/model.ts';
import type { SlideSource } from '../core/slide/types.ts';
import type { SpotRunTimings } from './inference-protocol.ts';

export interface SpotRunClock {
  model: FuseModel;
  slide: SlideSource | null;
  /** count a remote region read (the proxy's cache misses) */
  countRead(width: number, height: number): void;
  getTimings(): SpotRunTimings;
}

export function createSpotRunClock(model: FuseModel, slide: SlideSource | null): SpotRunClock {
  const t0 = performance.now();
  let geneMs = 0;
  let encoderMs = 0;
  let encoderPatches = 0;
  let fusionMs = 0;
  let readWaitMs = 0;
  let regionReads = 0;
  let regionPixels = 0;
  let outstanding = 0;
  let readSince = 0;
  const timed = async <T>(fn: () => Promise<T>, add: (ms: number) => void): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      add(performance.now() - t);
    }
  };
  const timedModel: FuseModel = {
    manifest: model.manifest,
    runtimeName: model.runtimeName,
    imageDim: model.imageDim,
    geneDim: model.geneDim,
    patchPx: model.patchPx,
    panelSize: model.panelSize,
    runHistology: (patches, n) => {
      encoderPatches += n;
      return timed(() => model.runHistology(patches, n), (ms) => (encoderMs += ms));
    },
    runGene: (genes, n) => timed(() => model.runGene(genes, n), (ms) => (geneMs += ms)),
    runFusion: (img, gen, n) => timed(() => model.runFusion(img, gen, n), (ms) => (fusionMs += ms)),
    release: () => model.release(),
  };
  const timedSlide: SlideSource | null = slide && {
    meta: slide.meta,
    async readRegion(level, x, y, width, height, signal) {
      if (outstanding++ === 0) readSince = performance.now();
      try {
        return await slide.readRegion(level, x, y, width, height, signal);
      } finally {
        if (--outstanding === 0) readWaitMs += performance.now() - readSince;
      }
    },
    readTile: (...a) => slide.readTile(...a),
    readAssociated: (...a) => slide.readAssociated(...a),
    close: () => slide.close(),
  };
  return {
    model: timedModel,
    slide: timedSlide,
    countRead(width, height) {
      regionReads++;
      regionPixels += width * height;
    },
    getTimings() {
      const totalMs = performance.now() - t0;
      return {
        totalMs,
        geneMs,
        encoderMs,
        encoderPatches,
        fusionMs,
        readWaitMs,
        regionReads,
        regionPixels,
        otherMs: Math.max(0, totalMs - geneMs - encoderMs - fusionMs - readWaitMs),
      };
    },
  };
}

/** Timings of a run that changed sessions part way (WebGPU lost): the sum, total from the first. */
export function addTimings(a: SpotRunTimings, b: SpotRunTimings): SpotRunTimings {
  const totalMs = a.totalMs + b.totalMs;
  const geneMs = a.geneMs + b.geneMs;
  const encoderMs = a.encoderMs + b.encoderMs;
  const fusionMs = a.fusionMs + b.fusionMs;
  const readWaitMs = a.readWaitMs + b.readWaitMs;
  return {
    totalMs,
    geneMs,
    encoderMs,
    encoderPatches: a.encoderPatches + b.encoderPatches,
    fusionMs,
    readWaitMs,
    regionReads: a.regionReads + b.regionReads,
    regionPixels: a.regionPixels + b.regionPixels,
    otherMs: Math.max(0, totalMs - geneMs - encoderMs - fusionMs - readWaitMs),
  };
}
