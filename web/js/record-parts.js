// The parts the record pages (authorizations, admissions) share, written once as custom elements that put
// their markup in their own place (so ids, labels and the form they sit in are as if written in the page).
//
// <member-fields>: the "Member" fieldset of a request form: #member_id and #birth_date, as on the card.
//
// <dated-list>: the card of a dated list. The page names its words and columns; the element puts in its
// place the markup js/paged-list.js works with:
// #list-card, #list-heading, #search-form with #from_date and #to_date, #list-summary, #list-wrap with
// the table (its id and its rows' tbody id given), and the "More …" button #more.
//
//   <dated-list heading="Admissions" from-label="Admitted from" to-label="Admitted to"
//               search-label="Show admissions" more-label="More admissions"
//               table-id="admissions-table" rows-id="admission-rows"
//               columns="Admission|Member|Admitted|Type|Diagnosis|Status|Discharge"></dated-list>

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function dateField(name, label) {
  return element("div", { class: "field", "data-field": name },
    element("label", { for: name }, label),
    element("p", { class: "field-error", id: `${name}-error`, hidden: true }),
    element("input", { type: "date", id: name, name, min: "1900-01-01" }));
}

class MemberFields extends HTMLElement {
  connectedCallback() {
    const field = (name, label, hint, input) => element("div", { class: "field", "data-field": name },
      element("label", { for: name }, label),
      element("span", { class: "hint", id: `${name}-hint` }, hint),
      element("p", { class: "field-error", id: `${name}-error`, hidden: true }),
      element("input", { id: name, name, autocomplete: "off", "aria-describedby": `${name}-hint`, ...input }));
    this.replaceWith(element("fieldset", { class: "section" }, element("legend", {}, "Member"),
      element("div", { class: "row" },
        field("member_id", "Member ID", "As on the member's ID card, such as M100001.",
              { type: "text", autocapitalize: "characters", spellcheck: "false", maxlength: "20" }),
        field("birth_date", "Date of birth", "MM/DD/YYYY", { type: "date", min: "1900-01-01" }))));
  }
}

class DatedList extends HTMLElement {
  connectedCallback() {
    const say = (name) => this.getAttribute(name) || "";
    const columns = say("columns").split("|").map((title) => element("th", { scope: "col" }, title));
    const card = element("section", { class: "card", id: "list-card", "aria-labelledby": "list-heading" },
      element("h2", { id: "list-heading", tabindex: "-1" }, say("heading")),
      element("form", { id: "search-form", novalidate: true },
        element("div", { class: "row search-row" },
          dateField("from_date", say("from-label")),
          dateField("to_date", say("to-label")),
          element("div", { class: "field search-button" },
            element("button", { type: "submit", class: "button secondary", id: "search" }, say("search-label"))))),
      element("p", { id: "list-summary" }),
      element("div", { class: "table-wrap", tabindex: "0", role: "region",
                       "aria-label": `Table of ${say("heading").toLowerCase()}`, id: "list-wrap", hidden: true },
        element("table", { class: "data-table", id: say("table-id") },
          element("thead", {}, element("tr", {}, ...columns)),
          element("tbody", { id: say("rows-id") }))),
      element("div", { class: "actions" },
        element("button", { type: "button", class: "button secondary", id: "more", hidden: true },
          say("more-label"))));
    this.replaceWith(card);
  }
}

if (!customElements.get("member-fields")) customElements.define("member-fields", MemberFields);
if (!customElements.get("dated-list")) customElements.define("dated-list", DatedList);
