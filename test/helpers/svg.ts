// A strict reader of the SVG the pictures scripts write: well-formed XML (every tag closed in order, quoted
// attributes named once, only the five XML entities), into a tree the tests query. Not a general XML parser: no
// comments, CDATA, processing instructions or doctype, which those files never hold.

export interface SvgElement {
  name: string;
  attributes: Record<string, string>;
  children: SvgElement[];
  /** The element's own text (entities decoded), not its children's. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string, where: number): string {
  return text.replace(/&([^;\s]*);?/g, (whole, name: string) => {
    if (!whole.endsWith(';') || !(name in ENTITIES)) throw new SyntaxError(`svg: bad entity ${whole} near offset ${where}`);
    return ENTITIES[name];
  });
}

/** The root element of `source`; throws a SyntaxError naming the offset of the first fault. */
export function parseSvg(source: string): SvgElement {
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+\s*=\s*"[^"<]*")*)\s*(\/?)>/y;
  const attribute = /\s+([\w:-]+)\s*=\s*"([^"<]*)"/g;
  const stack: SvgElement[] = [];
  let root: SvgElement | undefined;
  let at = source.indexOf('<');
  if (source.slice(0, at).trim() !== '') throw new SyntaxError('svg: text before the root element');
  while (at < source.length) {
    const next = source.indexOf('<', at);
    const text = source.slice(at, next === -1 ? source.length : next);
    if (text.trim() !== '') {
      if (stack.length === 0) throw new SyntaxError(`svg: text outside the root element at offset ${at}`);
      stack.at(-1)!.text += decode(text, at);
    }
    if (next === -1) break;
    tag.lastIndex = next;
    const match = tag.exec(source);
    if (!match) throw new SyntaxError(`svg: malformed tag at offset ${next}: ${source.slice(next, next + 40)}`);
    const [whole, closing, name, attributeText, selfClosing] = match;
    if (closing) {
      const open = stack.pop();
      if (open?.name !== name) throw new SyntaxError(`svg: </${name}> at offset ${next} closes <${open?.name}>`);
    } else {
      if (root && stack.length === 0) throw new SyntaxError(`svg: a second root element at offset ${next}`);
      const attributes: Record<string, string> = {};
      for (const [, key, value] of attributeText.matchAll(attribute)) {
        if (key in attributes) throw new SyntaxError(`svg: attribute ${key} twice at offset ${next}`);
        attributes[key] = decode(value, next);
      }
      const element: SvgElement = { name, attributes, children: [], text: '' };
      if (stack.length > 0) stack.at(-1)!.children.push(element);
      else root = element;
      if (!selfClosing) stack.push(element);
    }
    at = next + whole.length;
  }
  if (stack.length > 0) throw new SyntaxError(`svg: <${stack.at(-1)!.name}> is never closed`);
  if (!root) throw new SyntaxError('svg: no root element');
  return root;
}

/** Every element under `root` (itself included), in document order, that `test` accepts. */
export function findAll(root: SvgElement, test: (element: SvgElement) => boolean): SvgElement[] {
  const found: SvgElement[] = [];
  const visit = (element: SvgElement) => {
    if (test(element)) found.push(element);
    element.children.forEach(visit);
  };
  visit(root);
  return found;
}

/** Elements of class `name` (a word of their class attribute). */
export function byClass(root: SvgElement, name: string): SvgElement[] {
  return findAll(root, (element) => (element.attributes.class ?? '').split(/\s+/).includes(name));
}

/** The text of an element and of its descendants. */
export function textOf(element: SvgElement): string {
  return element.text + element.children.map(textOf).join('');
}
