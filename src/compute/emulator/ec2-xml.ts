/**
 * EC2's XML, rendered by hand: a response is a tree of plain objects (element name -> content),
 * arrays become EC2's `<item>` lists, and every text value is escaped.
 */

export const EC2_XML_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export type XmlContent = string | number | boolean | Date | null | undefined | XmlFields | XmlContent[];
export interface XmlFields {
  [element: string]: XmlContent;
}

/** Characters XML 1.0 cannot carry at all, even escaped. */
const NOT_XML = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXml(text: string): string {
  return text
    .replace(NOT_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Renders `<name>content</name>`; null and undefined leave the element out. */
export function renderElement(name: string, content: XmlContent): string {
  if (content === undefined || content === null) return '';
  if (Array.isArray(content)) {
    const items = content.map((item) => renderElement('item', item)).join('');
    return items === '' ? `<${name}/>` : `<${name}>${items}</${name}>`;
  }
  if (content instanceof Date) return `<${name}>${content.toISOString()}</${name}>`;
  if (typeof content === 'object') return `<${name}>${renderFields(content)}</${name}>`;
  return `<${name}>${escapeXml(String(content))}</${name}>`;
}

function renderFields(fields: XmlFields): string {
  return Object.entries(fields)
    .map(([name, content]) => renderElement(name, content))
    .join('');
}

/** A successful answer: `<ActionResponse xmlns="..."><requestId>..</requestId>...</ActionResponse>`. */
export function renderResponse(action: string, requestId: string, fields: XmlFields): string {
  const root = `${action}Response`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<${root} xmlns="${EC2_XML_NAMESPACE}">${renderElement('requestId', requestId)}${renderFields(fields)}</${root}>`
  );
}

/** EC2's error document (note `RequestID`, unlike the `requestId` of successful answers). */
export function renderError(code: string, message: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<Response><Errors><Error>${renderElement('Code', code)}${renderElement('Message', message)}</Error></Errors>` +
    `${renderElement('RequestID', requestId)}</Response>`
  );
}
