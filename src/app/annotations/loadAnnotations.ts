/** Read dropped or picked annotation files (QuPath GeoJSON) into the annotation store. */
import { getAnnotations } from '../../core/regions/annotations';
import { useSlideStore } from '../stores/slideStore';
import { useAnnotationStore } from './annotationStore';

export async function loadAnnotationFiles(files: File[]): Promise<boolean> {
  const file = files[0];
  if (!file) return false;
  const name = file.name.split('/').pop() ?? file.name;
  try {
    const a = getAnnotations(await file.text(), name);
    const meta = useSlideStore.getState().meta;
    // annotations of another image (or in another frame) miss the slide altogether: say so
    if (meta && !a.shapes.some((s) => s.rings[0].some(([x, y]) => x >= 0 && y >= 0 && x <= meta.width && y <= meta.height))) {
      throw new Error(`${name}: none of its ${a.shapes.length} polygons lies on ${meta.name} (${meta.width} x ${meta.height} px): are they from this slide, in its level-0 pixels?`);
    }
    useAnnotationStore.getState().set({ file: name, annotations: a, error: null, positive: null, visible: true });
    return true;
  } catch (e) {
    useAnnotationStore.getState().set({ error: { file: name, message: e instanceof Error ? e.message : String(e) } });
    return false;
  }
}
