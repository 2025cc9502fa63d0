/** Node edge: a CLI argument (local path or http(s) URL) as a SlideInput. */
import type { SlideInput } from './byte-source.ts';
import { openNodeSlideInput } from './node-file-source.ts';
import { openUrlSlideInput } from './url-source.ts';

export function isUrl(arg: string): boolean {
  return /^https?:\/\//i.test(arg);
}

export function openSlideInputNode(arg: string, signal?: AbortSignal): Promise<SlideInput> {
  return isUrl(arg) ? openUrlSlideInput(arg, signal) : openNodeSlideInput(arg);
}
