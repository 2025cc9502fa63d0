/** A slide file opened for the CLI (Node file reads, sharp for JPEG tiles). */
import { createNodeCodec } from '../../core/image/node/sharp-codec.ts';
import { openNodeSlideInput } from '../../core/slide/bytes/node-file-source.ts';
import { loadSlide } from '../../core/slide/load-slide.ts';
import type { SlideSource } from '../../core/slide/types.ts';

export async function loadCliSlide(path: string): Promise<SlideSource> {
  return loadSlide(await openNodeSlideInput(path), { codec: createNodeCodec() });
}
