// On a narrow screen (portal.css, up to 40rem) a data table shows each row as a block of "label: value"
// lines, so no column (a status, an amount) is out of sight and the page never scrolls sideways. Each
// cell carries the header of its column as data-label, which the stylesheet shows before the value;
// rows added later (a search, a list's next page, a record opened) are labelled as they come.

/** The header text of each column of `table` (a header spanning columns names each of them). */
function columnNames(table) {
  const head = table.tHead && table.tHead.rows[0];
  if (!head) return null;
  const names = [];
  for (const cell of head.cells) {
    for (let i = 0; i < (cell.colSpan || 1); i += 1) names.push(cell.textContent.trim());
  }
  return names;
}

function labelTable(table) {
  const names = columnNames(table);
  if (!names) return;
  for (const body of table.tBodies) {
    for (const tr of body.rows) {
      let column = 0;
      for (const cell of tr.cells) {
        const span = cell.colSpan || 1;
        const name = names[column];
        const empty = !cell.textContent.trim() && !cell.children.length;
        if (span === 1 && name && !empty && cell.dataset.label !== name) cell.dataset.label = name;
        column += span;
      }
    }
  }
}

/** Label the cells of every data table under `root`. */
export function labelTables(root = document) {
  for (const table of root.querySelectorAll("table.data-table")) labelTable(table);
}

let queued = false;
const observer = new MutationObserver(() => {
  if (queued) return;
  queued = true;
  queueMicrotask(() => {
    queued = false;
    labelTables();
  });
});
observer.observe(document.documentElement, { childList: true, subtree: true });
labelTables();
