/**
 * Opens a TIFF-family slide: picks the vendor layout from IFD 0's description (Aperio, OME,
 * generic); hands NDPI (tag 65420) to the ndpi folder when the detector could not see it.
 */
import type { ByteSource } from '../bytes/byte-source.ts';
import { NdpiSlide } from '../ndpi/ndpi-slide.ts';
import type { SlideSource } from '../types.ts';
import { aperioLayout, isAperioDescription } from './aperio.ts';
import { genericLayout } from './generic.ts';
import { isOmeDescription, omeLayout } from './ome.ts';
import { readIfdInfo, TiffFile } from './tiff-file.ts';
import { type TiffSlideOptions, TiffSlide } from './tiff-slide.ts';

export async function loadTiffSlide(src: ByteSource, opts: TiffSlideOptions, signal?: AbortSignal): Promise<SlideSource> {
  const file = await TiffFile.open(src, signal);
  try {
    // an NDPI whose first IFD lies past the bytes the detector saw
    if (NdpiSlide.isNdpi(file)) return await NdpiSlide.fromTiff(file, opts);
    const infos = [];
    for (let i = 0; i < file.ifds.length; i++) infos.push(await readIfdInfo(file.ifds[i], i));
    const desc = infos[0].description;
    const layout = isAperioDescription(desc)
      ? aperioLayout(infos)
      : isOmeDescription(desc)
        ? await omeLayout(file, infos)
        : await genericLayout(infos);
    if (file.bigTiff) layout.properties['tiff.BigTIFF'] = 'true';
    return new TiffSlide(file, layout, opts);
  } catch (e) {
    file.close();
    throw e;
  }
}
