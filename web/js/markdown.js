// A small, safe Markdown reader for agreement texts: headings, paragraphs, numbered and bulleted
// lists (with wrapped lines), and **bold**, *emphasis* and `code` inside them. Everything becomes DOM
// nodes with text set as text: no HTML from the text is ever interpreted. Links stay plain text.

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const ORDERED = /^\s{0,3}(\d{1,9})[.)]\s+(.*)$/;
const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const INLINE = /(\*\*|__)(.+?)\1|(\*|_)(?!\s)(.+?)(?<!\s)\3|`([^`]+)`/g;

/** Text with **bold**, *emphasis* and `code` as elements; the rest as text nodes. */
function inline(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    let node;
    if (match[2] !== undefined) {
      node = document.createElement("strong");
      node.textContent = match[2];
    } else if (match[4] !== undefined) {
      node = document.createElement("em");
      node.textContent = match[4];
    } else {
      node = document.createElement("code");
      node.textContent = match[5];
    }
    nodes.push(node);
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

/**
 * The blocks of `markdown` as a DocumentFragment. Headings are shifted by `headingOffset` levels
 * (a document's "#" under the page's own h1 becomes an h2), capped at h6.
 */
export function renderMarkdown(markdown, { headingOffset = 1 } = {}) {
  const fragment = document.createDocumentFragment();
  let paragraph = null; // lines of the open paragraph
  let list = null; // {element, ordered}
  let item = null; // lines of the open list item

  function closeItem() {
    if (item && list) {
      const li = document.createElement("li");
      li.append(...inline(item.join(" ")));
      list.element.append(li);
    }
    item = null;
  }
  function closeList() {
    closeItem();
    if (list) fragment.append(list.element);
    list = null;
  }
  function closeParagraph() {
    if (paragraph) {
      const p = document.createElement("p");
      p.append(...inline(paragraph.join(" ")));
      fragment.append(p);
    }
    paragraph = null;
  }
  function openItem(ordered, number, text) {
    closeParagraph();
    if (list && list.ordered !== ordered) closeList();
    closeItem();
    if (!list) {
      const element = document.createElement(ordered ? "ol" : "ul");
      if (ordered && number !== 1) element.start = number;
      list = { element, ordered };
    }
    item = [text.trim()];
  }

  for (const raw of String(markdown).replace(/\r\n?/g, "\n").split("\n")) {
    const line = raw.replace(/\s+$/, "");
    if (!line.trim()) {
      closeParagraph();
      closeItem();
      continue;
    }
    const heading = HEADING.exec(line);
    const ordered = ORDERED.exec(line);
    const bullet = BULLET.exec(line);
    if (heading) {
      closeParagraph();
      closeList();
      const level = Math.min(6, heading[1].length + headingOffset);
      const h = document.createElement(`h${level}`);
      h.append(...inline(heading[2]));
      fragment.append(h);
    } else if (ordered) {
      openItem(true, Number(ordered[1]), ordered[2]);
    } else if (bullet) {
      openItem(false, 0, bullet[1]);
    } else if (list && item) {
      item.push(line.trim()); // a wrapped line of the open item
    } else if (list && /^\s/.test(line) && list.element.lastElementChild) {
      // an indented paragraph after a blank line: it still belongs to the last item
      list.element.lastElementChild.append(document.createElement("br"), ...inline(line.trim()));
    } else {
      closeList();
      if (!paragraph) paragraph = [];
      paragraph.push(line.trim());
    }
  }
  closeParagraph();
  closeList();
  return fragment;
}
