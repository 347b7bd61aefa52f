// Password fields: the plan's rules as live hints, and a Show/Hide toggle. The server checks the same
// rules and has the last word.

/** Fill `list` with the rules of `policy`, ticked while `input` is typed in. */
export function passwordRules(policy, input, list) {
  const rules = [
    { text: `At least ${policy.min_length} characters`, test: (pw) => [...pw].length >= policy.min_length },
    policy.require_upper && { text: "A capital letter", test: (pw) => /\p{Lu}/u.test(pw) },
    policy.require_lower && { text: "A lower-case letter", test: (pw) => /\p{Ll}/u.test(pw) },
    policy.require_digit && { text: "A number", test: (pw) => /\p{Nd}/u.test(pw) },
    policy.require_special && { text: "A special character, such as ! # % or a space", test: (pw) => /[^\p{L}\p{N}]/u.test(pw) },
    { text: "Not your email address or user name" },
    policy.reject_common && { text: "Not a common, easy-to-guess password" },
  ].filter(Boolean);
  const items = rules.map((rule) => {
    const item = document.createElement("li");
    item.className = rule.test ? "" : "info";
    const label = document.createElement("span");
    label.textContent = rule.text;
    const state = document.createElement("span");
    state.className = "visually-hidden";
    item.append(label, state);
    list.append(item);
    return { rule, item, state };
  });
  function update() {
    for (const { rule, item, state } of items) {
      if (!rule.test) continue;
      const met = rule.test(input.value);
      item.classList.toggle("met", met);
      state.textContent = met ? " (done)" : "";
    }
  }
  input.addEventListener("input", update);
  update();
}

/** A Show/Hide button for the password `inputs` (the first one is the one it controls). */
export function passwordToggle(button, inputs) {
  button.addEventListener("click", () => {
    const show = inputs[0].type === "password";
    for (const input of inputs) input.type = show ? "text" : "password";
    button.textContent = show ? "Hide" : "Show";
    button.setAttribute("aria-pressed", String(show));
  });
}
