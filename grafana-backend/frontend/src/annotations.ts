// Annotation support: an annotation of this datasource is a query of type `annotations` (the
// backend answers with Grafana's annotation frame: `time`, `timeEnd`, `title`, `text`, `tags`),
// which Grafana's standard annotation processing turns into regions. Annotations saved without a
// `target` (written by hand, or by an older slokit with the selectors at the top level) get one
// built from their fields, so they keep working.
import type { AnnotationQuery } from '@grafana/data';

import type { Selector, SloQuery } from './types';

/** The refId of annotation queries: one query per annotation, so any fixed id will do. */
export const ANNOTATION_REF_ID = 'Anno';

type SavedAnnotation = AnnotationQuery<SloQuery> & {
  product?: Selector;
  service?: Selector;
  slo?: Selector;
};

/** The annotation with a `target` that is an `annotations` query of the same selectors. */
export function prepareAnnotation(json: SavedAnnotation): AnnotationQuery<SloQuery> {
  const target = json.target ?? {
    refId: ANNOTATION_REF_ID,
    product: json.product,
    service: json.service,
    slo: json.slo,
  };
  return { ...json, target: { ...target, refId: target.refId || ANNOTATION_REF_ID, queryType: 'annotations' } };
}

/** The query Grafana runs for an annotation, or nothing for an annotation without a target. */
export function prepareAnnotationQuery(annotation: AnnotationQuery<SloQuery>): SloQuery | undefined {
  if (!annotation.target) {
    return undefined;
  }
  return { ...annotation.target, refId: annotation.target.refId || ANNOTATION_REF_ID, queryType: 'annotations' };
}
