import type { ComponentType } from 'react';
import { AnnotationPanel } from '../annotations/AnnotationPanel';
import { MeasurePanel } from '../measure/MeasurePanel';
import { ModelPanel } from '../model/ModelPanel';
import { AssociatedPanel } from './AssociatedPanel';
import { SlidePanel } from './SlidePanel';
import { StPanel } from '../st/StPanel';

/**
 * The side panel's sections, top to bottom. To add a section (ST, Models, ...), write one
 * component that reads its own store and add one line here; the layout needs no other change.
 */
export interface PanelDefinition {
  id: string;
  title: string;
  component: ComponentType;
  /** open when the app starts (default true) */
  defaultOpen?: boolean;
}

export const panels: PanelDefinition[] = [
  { id: 'slide', title: 'Slide', component: SlidePanel },
  { id: 'associated', title: 'Associated images', component: AssociatedPanel },
  { id: 'st', title: 'Spatial transcriptomics', component: StPanel },
  { id: 'model', title: 'Models', component: ModelPanel },
  { id: 'annotations', title: 'Annotations', component: AnnotationPanel },
  { id: 'measure', title: 'Measurements', component: MeasurePanel },
];
